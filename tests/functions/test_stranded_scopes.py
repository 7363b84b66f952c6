"""The reflect function's backlog sweep on DynamoDB + SQS (moto): a new user whose first job dead-lettered (turns,
no watermark) gets a new consolidate job, and the sweep reads the sharded pending index, never scans the table."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.reflect.handler import lambda_handler as reflect_handler
from mnemoscope.adapters.aws.dynamodb_chat_log import DynamoDbChatLog
from mnemoscope.adapters.aws.dynamodb_table import (
    CHAT_TABLE_DEFINITION,
    PENDING_INDEX,
    REFLECT_DUE_INDEX,
    SWEEP_SHARDS,
    sweep_shard,
)
from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.scope import Scope
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.settings import Settings
from mnemoscope.wiring import Infrastructure, Services, assemble, override_services
from tests.conftest import load_event
from tests.contracts.builders import message
from tests.fakes.clock import FixedClock
from tests.fakes.hash_embedder import HashEmbedder
from tests.fakes.scripted_chat_model import ScriptedChatModel

TABLE = "chat"


class AwsStack:
    def __init__(self, services: Services, queue_url: str, calls: list[str], clock: FixedClock) -> None:
        self.services, self.queue_url, self.calls, self.clock = services, queue_url, calls, clock

    def queued_jobs(self) -> list[ScopeJob]:
        sqs = boto3.client("sqs")
        received = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [ScopeJob.model_validate_json(m["Body"]) for m in received.get("Messages", [])]


@pytest.fixture
def aws_stack(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsStack]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(TableName=TABLE, **CHAT_TABLE_DEFINITION)
        calls: list[str] = []
        dynamodb.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
        url = boto3.client("sqs").create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        clock = FixedClock()
        db = SqliteDatabase(tmp_path / "index.db")
        embedder = HashEmbedder()
        infra = Infrastructure(
            chat_log=DynamoDbChatLog(TABLE, dynamodb, clock=clock),
            memory_index=SqliteMemoryIndex(db, embedder.dimension),
            job_queue=SqsJobQueue(url),
            embedder=embedder,
        )
        settings = Settings.model_validate({"backend": "aws", "chat_table": TABLE, "jobs_queue_url": url})
        graph = assemble(settings, infra, clock=clock, chat_model=ScriptedChatModel())
        override_services(graph)
        try:
            yield AwsStack(graph, url, calls, clock)
        finally:
            override_services(None)
            db.close()


def test_a_new_user_whose_first_job_dead_lettered_gets_a_new_job(aws_stack: AwsStack) -> None:
    # Given a new user's turns whose consolidate job went to the DLQ: no watermark was ever written
    stranded = Scope(tenant_id="tenant-acme", user_id="new-user")
    aws_stack.services.ports.chat_log.append(stranded, [message(1), message(2)])
    state = boto3.client("dynamodb").get_item(
        TableName=TABLE, Key={"pk": {"S": f"SCOPE#{stranded.key}"}, "sk": {"S": "STATE"}}
    )["Item"]
    assert "watermark" not in state
    boto3.client("sqs").purge_queue(QueueUrl=aws_stack.queue_url)
    aws_stack.calls.clear()
    # When the schedule fires, a while later
    aws_stack.clock.advance(minutes=15)
    result = reflect_handler(load_event("reflect/schedule.json"), LocalLambdaContext("reflect"))
    # Then a consolidate job is queued for the stranded user, found through the indexes alone
    assert result == {"enqueued": 0, "backlog": 1}
    assert [(job.kind, job.scope) for job in aws_stack.queued_jobs()] == [("consolidate", stranded)]
    assert "Scan" not in aws_stack.calls
    assert set(aws_stack.calls) == {"Query"}


def test_the_sweep_finds_scopes_on_every_shard_oldest_first_and_forgets_caught_up_ones(aws_stack: AwsStack) -> None:
    # Given scopes spread over more than one shard, appended a minute apart, and one that caught up
    log = aws_stack.services.ports.chat_log
    scopes = [Scope(tenant_id="t", user_id=f"user-{i}") for i in range(40)]
    assert len({sweep_shard(s) for s in scopes}) > SWEEP_SHARDS // 2
    for scope in scopes:
        log.append(scope, [message(1)])
        aws_stack.clock.advance(minutes=1)
    log.advance_watermark(scopes[0], log.pending(scopes[0])[-1].seq)
    # When
    found = log.scopes_with_pending(limit=1000)
    first_five = log.scopes_with_pending(limit=5)
    # Then
    assert found == scopes[1:]
    assert first_five == scopes[1:6]


def test_a_turn_appended_after_catching_up_puts_the_scope_back(aws_stack: AwsStack) -> None:
    log = aws_stack.services.ports.chat_log
    scope = Scope(tenant_id="t", user_id="alice")
    log.append(scope, [message(1)])
    log.advance_watermark(scope, 1, new_observations=1, at=aws_stack.clock.now())
    assert log.scopes_with_pending() == []
    # When the user speaks again
    log.append(scope, [message(2)])
    # Then
    assert log.scopes_with_pending() == [scope]


def test_index_partition_keys_are_sharded(aws_stack: AwsStack) -> None:
    # Given many scopes owing a consolidation and a reflection
    log = aws_stack.services.ports.chat_log
    for i in range(32):
        scope = Scope(tenant_id="t", user_id=f"user-{i}")
        log.append(scope, [message(1), message(2)])
        log.advance_watermark(scope, 1, new_observations=1, at=aws_stack.clock.now() - timedelta(days=2))
    # Then neither index puts them all under one partition key
    dynamodb = boto3.client("dynamodb")
    for index, key in ((PENDING_INDEX, "pending_pk"), (REFLECT_DUE_INDEX, "due_pk")):
        items = dynamodb.scan(TableName=TABLE, IndexName=index)["Items"]
        assert len(items) == 32
        assert len({item[key]["S"] for item in items}) > SWEEP_SHARDS // 2
    assert len(log.scopes_due_for_reflection(6, aws_stack.clock.now() - timedelta(days=1))) == 32
