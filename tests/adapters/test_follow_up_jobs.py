"""Follow-up jobs (a long backlog, or a counted poison failure) reach SQS FIFO although the job they follow was
sent seconds earlier with the same debounce key."""

from typing import Any

from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue
from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.scope import Scope
from mnemoscope.services.jobs import JobReport, JobRunner
from tests.adapters.test_sqs_job_queue import receive_all, sqs  # noqa: F401 - the moto FIFO queue fixture
from tests.contracts.builders import scope
from tests.fakes.clock import FixedClock


class BacklogWorker:
    """Asks for a follow-up twice, then is done."""

    def __init__(self) -> None:
        self.runs = 0

    def run(self, the_scope: Scope) -> JobReport:
        self.runs += 1
        return JobReport(scope_key=the_scope.key, has_more=self.runs < 3)


def test_each_follow_up_is_delivered_within_the_debounce_window(sqs: tuple[Any, str]) -> None:  # noqa: F811
    # Given a job sent at t0 and a runner whose clock is 2 seconds later (the same 10-second debounce window)
    client, url = sqs
    queue = SqsJobQueue(url, client)
    clock = FixedClock()
    queue.enqueue(ScopeJob(kind="consolidate", scope=scope(), requested_at=clock.now()))
    clock.advance(seconds=2)
    worker = BacklogWorker()
    log = SqliteChatLog(SqliteDatabase(":memory:"))
    runner = JobRunner(log, consolidation=worker, reflection=None, job_queue=queue, clock=clock)

    # When every delivered job is run and deleted, as the consolidate function does
    delivered: list[ScopeJob] = []
    while received := receive_all(client, url):
        for message in received:
            job = ScopeJob.model_validate_json(message["Body"])
            delivered.append(job)
            runner.run(job)
            client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    # Then both follow-ups arrived (none was dropped as a duplicate of the job before it)
    assert [j.follow_up for j in delivered] == [0, 1, 2]
    assert worker.runs == 3
