"""Memory change events on AWS: the functions on the AWS adapters (DynamoDB, SQS and EventBridge under moto, the
search projection in the real OpenSearch node) publish one event per change to an EventBridge bus; a rule routes
the stack's events to an SQS queue, which is how this test reads what was really published.

create (consolidation) → create + supersede (a contradicting turn) → create (a custom memory) → delete it →
forget the user."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from moto import mock_aws

from functions.reflect.handler import lambda_handler as reflect_handler
from mnemoscope.adapters.aws.dynamodb_chat_log import DynamoDbChatLog
from mnemoscope.adapters.aws.dynamodb_event_outbox import OUTBOX_TABLE_DEFINITION, DynamoDbEventOutbox
from mnemoscope.adapters.aws.dynamodb_table import CHAT_TABLE_DEFINITION
from mnemoscope.adapters.aws.eventbridge_memory_events import EventBridgeMemoryEvents
from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue
from mnemoscope.domain.ids import derived_id
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.settings import Settings
from mnemoscope.wiring import Infrastructure, assemble, override_services
from tests import opensearch_target
from tests.fakes.clock import FixedClock
from tests.fakes.flaky_publisher import FlakyPublisher
from tests.fakes.hash_embedder import HashEmbedder
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json
from tests.functions.api_calls import call_event
from tests.functions.test_aws_stack_flow import ALICE, _deliver
from tests.opensearch_target import SearchTarget

pytestmark = pytest.mark.opensearch
search_target = opensearch_target.search_target
BUS = "mnemoscope-memory-events"


@dataclass
class Stack:
    jobs: str
    heard: str
    model: ScriptedChatModel
    bus: FlakyPublisher
    clock: FixedClock


@pytest.fixture
def stack(search_target: SearchTarget) -> Iterator[Stack]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(TableName="chat", **CHAT_TABLE_DEFINITION)
        dynamodb.create_table(TableName="outbox", **OUTBOX_TABLE_DEFINITION)
        sqs = boto3.client("sqs")
        jobs = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        # The subscriber: a rule on the stack's source that forwards every event to a queue.
        heard = sqs.create_queue(QueueName="heard")["QueueUrl"]
        heard_arn = sqs.get_queue_attributes(QueueUrl=heard, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = boto3.client("events")
        events.create_event_bus(Name=BUS)
        events.put_rule(Name="all-memory-events", EventBusName=BUS, EventPattern=json.dumps({"source": ["mnemoscope"]}))
        events.put_targets(Rule="all-memory-events", EventBusName=BUS, Targets=[{"Id": "heard", "Arn": heard_arn}])
        embedder = HashEmbedder()
        model = ScriptedChatModel()
        bus = FlakyPublisher(EventBridgeMemoryEvents(BUS))
        infra = Infrastructure(
            chat_log=DynamoDbChatLog("chat"),
            memory_index=search_target.memory_index("memories", embedder.dimension),
            job_queue=SqsJobQueue(jobs),
            embedder=embedder,
            memory_events=bus,
            memory_event_outbox=DynamoDbEventOutbox("outbox"),
        )
        settings = Settings.model_validate(
            {
                "backend": "aws",
                "chat_table": "chat",
                "memory_table": "memories",
                "jobs_queue_url": jobs,
                "event_bus_name": BUS,
                "event_outbox_table": "outbox",
                "consolidation_min_similarity": 0.0,
            }
        )
        clock = FixedClock(datetime.now(UTC))
        override_services(assemble(settings, infra, clock=clock, chat_model=model))
        try:
            yield Stack(jobs, heard, model, bus, clock)
        finally:
            override_services(None)


def _heard(queue_url: str) -> list[dict[str, Any]]:
    """Every EventBridge event the rule delivered so far (drains the queue)."""
    sqs = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def _say(user_text: str, message_id: str) -> None:
    body = {"user_id": "alice", "messages": [{"role": "user", "content": user_text, "id": message_id}]}
    assert call_event("append_messages", body=body)[0] == 202


def test_one_event_per_change_with_the_right_ids(stack: Stack, search_target: SearchTarget) -> None:
    jobs, heard, model = stack.jobs, stack.heard, stack.model
    # Given a consolidated fact
    _say("I work as a nurse.", "m-1")
    nurse = {"content": "The user works as a nurse.", "keywords": ["job", "nurse"]}
    model.script(as_json({"turns": [{"message_id": "m-1", "score": 3, "facts": [nurse]}]}))
    assert _deliver(jobs) == {"batchItemFailures": []}
    [created] = _heard(heard)
    _, listed, _ = call_event("list_memories", query={"user_id": "alice"})
    [nurse_id] = [m["id"] for m in listed["memories"]]
    assert (created["source"], created["detail-type"]) == ("mnemoscope", "Memory Created")
    assert created["detail"]["memory_id"] == nurse_id
    assert created["detail"]["memory_type"] == "observation"
    assert created["detail"]["scope"] == {"tenant_id": ALICE.tenant_id, "agent_id": "default", "user_id": "alice"}
    assert "content" not in created["detail"]  # no memory text unless opted in
    # When a contradicting turn is consolidated (once search shows the first fact as its neighbour)
    search_target.settle()
    _say("I quit; I am a teacher now.", "m-2")
    teacher = {"content": "The user works as a teacher.", "keywords": ["job", "teacher"]}
    model.script(
        as_json({"turns": [{"message_id": "m-2", "score": 3, "facts": [teacher]}]}),
        as_json({"decisions": [{"fact": "F1", "decision": "contradicts", "target": "M1"}]}),
    )
    assert _deliver(jobs) == {"batchItemFailures": []}
    # Then one create for the teacher and one supersede naming the old and the new id
    after_supersede = _heard(heard)
    assert sorted(e["detail-type"] for e in after_supersede) == ["Memory Created", "Memory Superseded"]
    [teacher_created] = [e["detail"] for e in after_supersede if e["detail-type"] == "Memory Created"]
    [superseded] = [e["detail"] for e in after_supersede if e["detail-type"] == "Memory Superseded"]
    _, old, _ = call_event("get_memory", path=f"/v1/memories/{nurse_id}")
    assert old["memory"]["status"] == "expired"
    assert (superseded["memory_id"], superseded["superseded_by"]) == (nurse_id, old["memory"]["superseded_by"])
    assert teacher_created["memory_id"] == old["memory"]["superseded_by"]
    # When a custom memory is added, then deleted
    status, added, _ = call_event("add_memory")
    assert status == 201
    custom_id = added["memory"]["id"]
    assert call_event("delete_memory", path=f"/v1/memories/{custom_id}")[0] == 204
    added_then_deleted = _heard(heard)
    assert [(e["detail-type"], e["detail"]["memory_id"]) for e in added_then_deleted] == [
        ("Memory Created", custom_id),
        ("Memory Deleted", custom_id),
    ]
    assert added_then_deleted[1]["detail"]["memory_type"] == "custom"
    # When the user is forgotten
    assert call_event("forget_user")[0] == 204
    [forgotten] = _heard(heard)
    assert forgotten["detail-type"] == "User Forgotten"
    assert forgotten["detail"]["scope"]["user_id"] == "alice"
    assert forgotten["detail"]["memories_deleted"] == 2  # the expired nurse and the teacher
    # And every event id is the one derived from its change, and unique
    every = [created, *after_supersede, *added_then_deleted, forgotten]
    ids = [e["detail"]["event_id"] for e in every]
    assert len(set(ids)) == len(ids) == 6
    assert created["detail"]["event_id"] == derived_id("evt", "memory.created", ALICE.key, nurse_id)
    assert superseded["event_id"] == derived_id(
        "evt", "memory.superseded", ALICE.key, nurse_id, teacher_created["memory_id"]
    )


def test_changes_a_failed_publish_left_behind_are_published_by_the_reflect_sweep(
    stack: Stack, search_target: SearchTarget
) -> None:
    # Given a consolidated fact, announced
    _say("I work as a nurse.", "m-1")
    nurse = {"content": "The user works as a nurse.", "keywords": ["job", "nurse"]}
    stack.model.script(as_json({"turns": [{"message_id": "m-1", "score": 3, "facts": [nurse]}]}))
    assert _deliver(stack.jobs) == {"batchItemFailures": []}
    [created] = _heard(stack.heard)
    nurse_id = created["detail"]["memory_id"]
    search_target.settle()
    # When the bus is down while a contradicting turn is consolidated
    stack.bus.failing = True
    _say("I quit; I am a teacher now.", "m-2")
    teacher = {"content": "The user works as a teacher.", "keywords": ["job", "teacher"]}
    stack.model.script(
        as_json({"turns": [{"message_id": "m-2", "score": 3, "facts": [teacher]}]}),
        as_json({"decisions": [{"fact": "F1", "decision": "contradicts", "target": "M1"}]}),
    )
    # Then the job fails (its whole batch: SQS will retry it), though the supersede is committed; nothing was heard
    with pytest.raises(BatchProcessingError, match="event bus down"):
        _deliver(stack.jobs)
    _, old, _ = call_event("get_memory", path=f"/v1/memories/{nurse_id}")
    assert old["memory"]["status"] == "expired"
    assert _heard(stack.heard) == []
    # When the bus is back and the reflect sweep runs after the outbox's grace period
    stack.bus.failing = False
    stack.clock.advance(minutes=6)
    swept = reflect_handler({"min_observations": 99}, LocalLambdaContext("reflect"))
    # Then the held create and supersede are published, with the ids their change derives
    assert (swept["events_relayed"], swept["events_discarded"]) == (2, 0)
    heard = {e["detail-type"]: e["detail"] for e in _heard(stack.heard)}
    teacher_id = old["memory"]["superseded_by"]
    assert heard["Memory Superseded"]["event_id"] == derived_id(
        "evt", "memory.superseded", ALICE.key, nurse_id, teacher_id
    )
    assert heard["Memory Created"]["memory_id"] == teacher_id
    # And the outbox is empty: the next sweep publishes nothing again
    again = reflect_handler({"min_observations": 99}, LocalLambdaContext("reflect"))
    assert (again["events_relayed"], again["events_discarded"]) == (0, 0)
