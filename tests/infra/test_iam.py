"""Least privilege: each function's role in the TRANSLATED template grants exactly what infra/iam_needs.py derives
for it (no action missing, none extra), and infra/iam_needs.py matches what the adapters really call (moto)."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import iam_needs
from mnemoscope.adapters.aws.dynamodb_chat_log import DynamoDbChatLog
from mnemoscope.adapters.aws.dynamodb_event_outbox import OUTBOX_TABLE_DEFINITION, DynamoDbEventOutbox
from mnemoscope.adapters.aws.dynamodb_memory_records import (
    MEMORY_TABLE_DEFINITION,
    DynamoDbMemoryRecords,
    RecordChange,
)
from mnemoscope.adapters.aws.dynamodb_table import CHAT_TABLE_DEFINITION
from mnemoscope.adapters.aws.eventbridge_memory_events import EventBridgeMemoryEvents
from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue
from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain import memory_events
from mnemoscope.ports.chat_log import ChatLog, FailureStreak, QuarantineRecord
from mnemoscope.ports.memory_index import ANY
from tests.contracts.builders import T0, memory, message, scope
from tests.infra.conftest import Resolved

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:model"
SCENARIOS: dict[str, dict[str, str]] = {
    "new domain (default), tracing off": {"OpenAiApiKeySecretArn": SECRET},
    "collection, tracing off": {"OpenAiApiKeySecretArn": SECRET, "SearchTarget": "serverless"},
    "collection, tracing on": {"OpenAiApiKeySecretArn": SECRET, "SearchTarget": "serverless", "EnableTracing": "true"},
    "existing domain, dashscope, tracing on": {
        "ModelProvider": "dashscope",
        "EmbeddingProvider": "dashscope",
        "DashScopeApiKeySecretArn": SECRET,
        "ExistingOpenSearchEndpoint": "https://search-memories-abc.us-east-1.es.amazonaws.com",
        "ExistingOpenSearchDomainName": "memories",
        "EnableTracing": "true",
    },
    "bedrock for both, no key": {"ModelProvider": "bedrock", "EmbeddingProvider": "bedrock"},
    "bedrock chat via a profile, openai embeddings": {
        "ModelProvider": "bedrock",
        "ChatModel": "anthropic.claude-3-5-haiku-20241022-v1:0",
        "BedrockChatInferenceProfile": "us",
        "OpenAiApiKeySecretArn": SECRET,
    },
    "no memory events": {"OpenAiApiKeySecretArn": SECRET, "MemoryEventBus": "none"},
    "own memory event bus": {"OpenAiApiKeySecretArn": SECRET, "MemoryEventBus": "create"},
}


def _statements(resources: dict[str, Any], function: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """Allow statements of the function's role (inline + the template's managed policies), and any other policy."""
    role_ref = resources[function]["Properties"]["Role"]
    assert set(role_ref) == {"Fn::GetAtt"}, f"{function}: the role must be the template's own"
    role = resources[role_ref["Fn::GetAtt"][0]]["Properties"]
    statements: list[dict[str, Any]] = []
    for policy in role.get("Policies", []):
        statements += policy["PolicyDocument"]["Statement"]
    foreign = []
    for arn in role.get("ManagedPolicyArns", []):
        managed = resources.get(arn.get("Ref", "")) if isinstance(arn, dict) else None
        if managed is None or managed["Type"] != "AWS::IAM::ManagedPolicy":
            foreign.append(arn)  # an AWS managed policy (AWSXrayWriteOnlyAccess...): grants what we cannot check
            continue
        statements += managed["Properties"]["PolicyDocument"]["Statement"]
    return [s for s in statements if s["Effect"] == "Allow"], foreign


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for statement in statements:
        action = statement["Action"]
        found |= {action} if isinstance(action, str) else set(action)
    return found


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("function", sorted(iam_needs.FUNCTIONS))
def test_each_role_grants_exactly_the_actions_its_function_needs(
    translated: dict[str, Any], function: str, scenario: str
) -> None:
    overrides = SCENARIOS[scenario]
    resolved = Resolved(translated, overrides)
    statements, foreign = _statements(resolved.resources(), function)
    granted = _actions(statements)
    needed = iam_needs.needed_actions(
        function,
        tracing=overrides.get("EnableTracing") == "true",
        secrets=any(name.endswith("ApiKeySecretArn") for name in overrides),
        collection=overrides.get("SearchTarget") == "serverless" and "ExistingOpenSearchEndpoint" not in overrides,
        bedrock="bedrock" in (overrides.get("ModelProvider"), overrides.get("EmbeddingProvider")),
        events=overrides.get("MemoryEventBus", "default") != "none",
    )
    assert foreign == []
    assert sorted(granted - needed) == [], "granted but not needed"
    assert sorted(needed - granted) == [], "needed but not granted"
    assert not any("*" in action for action in granted)


def test_every_function_has_its_needs_declared(translated: dict[str, Any]) -> None:
    functions = {n for n, r in translated["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}
    assert functions == set(iam_needs.FUNCTIONS)


def test_only_xray_is_granted_on_every_resource_and_reflect_queries_only_its_indexes(
    translated: dict[str, Any],
) -> None:
    resolved = Resolved(translated, SCENARIOS["collection, tracing on"])
    resources = resolved.resources()
    for function in iam_needs.FUNCTIONS:
        statements, _ = _statements(resources, function)
        for statement in statements:
            if statement["Resource"] == "*":
                assert _actions([statement]) <= iam_needs.TRACING, function
    reflect, _ = _statements(resources, "ReflectFunction")
    [query] = [s for s in reflect if _actions([s]) == {"dynamodb:Query"}]
    indexes = iam_needs.FUNCTIONS["ReflectFunction"].chat_log_indexes
    assert {r["Fn::Sub"] for r in query["Resource"]} == {f"${{ChatTable.Arn}}/index/{name}" for name in indexes}


@pytest.mark.parametrize(
    ("bus", "resource"),
    [
        ("default", {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"}),
        ("create", {"Fn::GetAtt": ["MemoryEvents", "Arn"]}),
    ],
)
def test_memory_events_are_published_to_exactly_the_stack_bus(
    translated: dict[str, Any], bus: str, resource: dict[str, Any]
) -> None:
    resolved = Resolved(translated, {"OpenAiApiKeySecretArn": SECRET, "MemoryEventBus": bus})
    resources = resolved.resources()
    for function, uses in iam_needs.FUNCTIONS.items():
        statements, _ = _statements(resources, function)
        granting = [s for s in statements if iam_needs.MEMORY_EVENTS & _actions([s])]
        assert [s["Resource"] for s in granting] == ([resource] if uses.publishes_memory_events else []), function
    for function in iam_needs.FUNCTIONS:
        statements, _ = _statements(resources, function)
        outbox = [s for s in statements if s["Resource"] == {"Fn::GetAtt": ["MemoryEventOutbox", "Arn"]}]
        assert _actions(outbox) == set().union(
            *(iam_needs.EVENT_OUTBOX[m] for m in iam_needs.FUNCTIONS[function].event_outbox)
        ), function
    bus_variable = resolved.value(translated["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"])
    expected = {"Ref": "MemoryEvents"} if bus == "create" else "default"
    assert bus_variable["MNEMOSCOPE_EVENT_BUS_NAME"] == expected


def test_the_publisher_map_covers_what_publish_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        calls: list[str] = []
        client = boto3.client("events", region_name="us-east-1")
        client.meta.events.register("before-call", lambda model, **_: calls.append(f"events:{model.name}"))
        EventBridgeMemoryEvents("default", client=client).publish([memory_events.deleted(memory("m1", "x"), T0)])
    assert set(calls) == set(iam_needs.MEMORY_EVENTS)


OUTBOX_CALLS: dict[str, Callable[[DynamoDbEventOutbox], object]] = {
    "hold": lambda outbox: outbox.hold([memory_events.deleted(memory("m2", "x"), T0)], T0),
    "release": lambda outbox: outbox.release(["evt_1"]),
    "held": lambda outbox: outbox.held(T0 + timedelta(days=1), 10),
}


@pytest.mark.parametrize("method", sorted(iam_needs.EVENT_OUTBOX))
def test_the_outbox_map_covers_what_each_method_calls(recorded: tuple[Any, Any, list[str]], method: str) -> None:
    dynamodb, _, calls = recorded
    dynamodb.create_table(TableName="outbox", **OUTBOX_TABLE_DEFINITION)
    outbox = DynamoDbEventOutbox("outbox", dynamodb, sleep=lambda _s: None)
    outbox.hold([memory_events.deleted(memory("m1", "x"), T0)], T0)
    calls.clear()
    OUTBOX_CALLS[method](outbox)
    assert calls
    assert _as_actions(calls) <= iam_needs.EVENT_OUTBOX[method]


# ---------------------------------------------------------------- iam_needs against the adapters' real calls

# The transactions this adapter writes hold Puts and one ConditionCheck.
OPERATION_ACTIONS = {"TransactWriteItems": {"dynamodb:PutItem", "dynamodb:ConditionCheckItem"}}
CHAT_LOG_CALLS: dict[str, Callable[[ChatLog], object]] = {
    "append": lambda log: log.append(scope(), [message(3)]),
    "pending": lambda log: log.pending(scope()),
    "recent": lambda log: log.recent(scope(), 5),
    "get_messages": lambda log: log.get_messages(scope(), ["m1"]),
    "state": lambda log: log.state(scope()),
    "advance_watermark": lambda log: log.advance_watermark(scope(), 1, new_observations=1, at=T0),
    "mark_reflected": lambda log: log.mark_reflected(scope(), T0),
    "scopes_due_for_reflection": lambda log: log.scopes_due_for_reflection(1, T0 + timedelta(days=1)),
    "scopes_with_pending": lambda log: log.scopes_with_pending(),
    "delete_scope": lambda log: log.delete_scope(scope()),
    "list_turns": lambda log: log.list_turns(scope(), 10),
    "save_failure": lambda log: log.save_failure(
        scope(), FailureStreak(head_seq=2, window=1, attempts=1, failures=1, suspect_end=2, error="E", reason="r")
    ),
    "quarantine": lambda log: log.quarantine(
        scope(), [2], QuarantineRecord(error="E", reason="r", attempts=2, quarantined_at=T0)
    ),
    "release_quarantine": lambda log: (
        log.quarantine(scope(), [2], QuarantineRecord(error="E", reason="r", attempts=2, quarantined_at=T0)),
        log.release_quarantine(scope()),
    ),
}


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, list[str]]]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        calls: list[str] = []
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        for client in (dynamodb, sqs):
            prefix = client.meta.service_model.signing_name
            client.meta.events.register(
                "before-call", lambda model, prefix=prefix, **_: calls.append(f"{prefix}:{model.name}")
            )
        dynamodb.create_table(TableName="chat", **CHAT_TABLE_DEFINITION)
        yield dynamodb, sqs, calls


def _as_actions(calls: list[str]) -> set[str]:
    actions: set[str] = set()
    for call in calls:
        actions |= OPERATION_ACTIONS.get(call.split(":")[1], {call})
    return actions


@pytest.mark.parametrize("method", sorted(iam_needs.CHAT_LOG))
def test_the_chat_log_map_covers_what_each_method_calls(recorded: tuple[Any, Any, list[str]], method: str) -> None:
    dynamodb, _, calls = recorded
    log = DynamoDbChatLog("chat", dynamodb, sleep=lambda _s: None)
    log.append(scope(), [message(1), message(2)])
    log.advance_watermark(scope(), 1, new_observations=1, at=T0)
    calls.clear()
    # When
    if method == "release_quarantine":
        log.quarantine(scope(), [2], QuarantineRecord(error="E", reason="r", attempts=2, quarantined_at=T0))
        calls.clear()
        log.release_quarantine(scope())
    else:
        CHAT_LOG_CALLS[method](log)
    # Then every operation it made is declared for it
    assert calls
    assert _as_actions(calls) <= iam_needs.CHAT_LOG[method]


def test_the_job_queue_map_covers_enqueue(recorded: tuple[Any, Any, list[str]]) -> None:
    _, sqs, calls = recorded
    url = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    calls.clear()
    SqsJobQueue(url, sqs).enqueue(ScopeJob(kind="consolidate", scope=scope(), requested_at=T0))
    assert _as_actions(calls) == set(iam_needs.JOB_QUEUE["enqueue"])


MEMORY_RECORD_CALLS: dict[str, Callable[[DynamoDbMemoryRecords], object]] = {
    "put": lambda records: records.put([RecordChange(memory("m2", "Alice likes tea"), (1.0, 0.0), None)]),
    "get_many": lambda records: records.get_many([(scope(), "m1")]),
    "list": lambda records: records.list(scope(), ANY, 10, None),
    "delete": lambda records: records.delete(scope(), "m1"),
    "delete_scope": lambda records: records.delete_scope(scope()),
    "scan": lambda records: list(records.scan()),
}


@pytest.mark.parametrize("method", sorted(iam_needs.MEMORY_RECORDS))
def test_the_memory_records_map_covers_what_each_method_calls(
    recorded: tuple[Any, Any, list[str]], method: str
) -> None:
    dynamodb, _, calls = recorded
    dynamodb.create_table(TableName="memories", **MEMORY_TABLE_DEFINITION)
    records = DynamoDbMemoryRecords("memories", dynamodb, sleep=lambda _s: None)
    records.put([RecordChange(memory("m1", "Alice works at a bakery"), (0.0, 1.0), None)])
    calls.clear()
    # When
    MEMORY_RECORD_CALLS[method](records)
    # Then every operation it made is declared for it
    assert calls
    assert _as_actions(calls) <= iam_needs.MEMORY_RECORDS[method]
