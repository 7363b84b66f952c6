"""`mnemoscope replay-dlq` on SQS FIFO queues (moto): dead-lettered jobs go back to the job queue, in order, in their
scope's group, and leave the DLQ only once sent."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue, message_group_id
from mnemoscope.cli.main import main
from mnemoscope.cli.replay_dlq import replay
from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.scope import Scope
from tests.contracts.builders import T0

ALICE, BOB = Scope(tenant_id="t", user_id="alice"), Scope(tenant_id="t", user_id="bob")


class Queues:
    def __init__(self, sqs: Any, jobs: str, dlq: str) -> None:
        self.sqs, self.jobs, self.dlq = sqs, jobs, dlq

    def dead_letter(self, *jobs: ScopeJob) -> None:
        """Send the jobs and let them fail once: maxReceiveCount 1 moves them to the DLQ on the next receive."""
        queue = SqsJobQueue(self.jobs, self.sqs)
        for job in jobs:
            queue.enqueue(job)
        for _ in range(2 * len(jobs) + 2):
            self.sqs.receive_message(QueueUrl=self.jobs, MaxNumberOfMessages=10, VisibilityTimeout=0)
        assert self.count(self.dlq) == len(jobs)

    def in_dlq(self, *jobs: ScopeJob) -> None:
        """Jobs already in the DLQ, in this order (moto's own redrive does not keep a group's order)."""
        for job in jobs:
            SqsJobQueue(self.dlq, self.sqs).enqueue(job)
        assert self.count(self.dlq) == len(jobs)

    def count(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def drain(self, url: str) -> list[tuple[str, ScopeJob]]:
        got = self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["MessageGroupId"]
        )
        return [
            (m["Attributes"]["MessageGroupId"], ScopeJob.model_validate_json(m["Body"]))
            for m in got.get("Messages", [])
        ]


@pytest.fixture
def queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[Queues]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        fifo = {"FifoQueue": "true"}
        dlq = sqs.create_queue(QueueName="jobs-dlq.fifo", Attributes=fifo)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
        jobs = sqs.create_queue(QueueName="jobs.fifo", Attributes=fifo | {"RedrivePolicy": redrive})["QueueUrl"]
        yield Queues(sqs, jobs, dlq)


def _job(scope: Scope, kind: str = "consolidate", minute: int = 0) -> ScopeJob:
    return ScopeJob(kind=kind, scope=scope, requested_at=T0.replace(minute=minute))  # type: ignore[arg-type]


def test_replay_round_trips_a_dead_lettered_job(queues: Queues, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a job that went to the DLQ
    job = _job(ALICE)
    queues.dead_letter(job)
    # When the operator replays
    status = main(["replay-dlq", "--dlq-url", queues.dlq, "--queue-url", queues.jobs, "--region", "us-east-1"])
    # Then it is back on the job queue, in its scope's group, and the DLQ is empty
    assert status == 0
    assert "moved 1 job(s)" in capsys.readouterr().out
    assert queues.drain(queues.jobs) == [(message_group_id(ALICE), job)]
    assert queues.count(queues.dlq) == 0


def test_replay_keeps_each_scope_in_order(queues: Queues) -> None:
    dead = [_job(ALICE, "consolidate", 1), _job(BOB, "consolidate", 2), _job(ALICE, "reflect", 3)]
    queues.in_dlq(*dead)
    # When
    moved, error = replay(queues.sqs, queues.dlq, queues.jobs)
    # Then
    assert (moved, error) == (3, None)
    back = queues.drain(queues.jobs)
    for scope in (ALICE, BOB):
        assert [job for group, job in back if group == message_group_id(scope)] == [j for j in dead if j.scope == scope]


def test_a_failed_send_leaves_the_job_in_the_dlq(queues: Queues) -> None:
    queues.in_dlq(_job(ALICE, "consolidate", 1), _job(ALICE, "reflect", 2))
    real_send = queues.sqs.send_message
    sent: list[str] = []

    def send_once(**kwargs: Any) -> Any:
        if sent:
            raise RuntimeError("SQS is down")
        sent.append(kwargs["MessageBody"])
        return real_send(**kwargs)

    queues.sqs.send_message = send_once
    # When the second send fails
    moved, error = replay(queues.sqs, queues.dlq, queues.jobs)
    # Then one moved, and the other is still dead-lettered (not deleted), for the next run
    assert moved == 1 and isinstance(error, RuntimeError)
    assert len(queues.drain(queues.jobs)) == 1
    attributes = queues.sqs.get_queue_attributes(
        QueueUrl=queues.dlq, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )
    assert int(attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"]) == 1


def test_a_limit_moves_at_most_that_many(queues: Queues) -> None:
    queues.in_dlq(_job(ALICE, minute=1), _job(BOB, minute=2))
    assert replay(queues.sqs, queues.dlq, queues.jobs, limit=1) == (1, None)
    assert queues.count(queues.dlq) == 1


def test_without_a_queue_url_the_command_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay-dlq", "--dlq-url", "https://sqs.example/dlq.fifo"]) == 2
    assert "--queue-url" in capsys.readouterr().err
