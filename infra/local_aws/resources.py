"""What `make local-aws` creates, read from template.yaml (the one source of truth): the DynamoDB tables, the FIFO
queue and its DLQ, and how the consolidate function's event source and the reflect schedule drive them.

Only properties a local endpoint cannot honour are left out (billing, point-in-time recovery); everything that
shapes behaviour (keys, indexes, projections, TTL, FIFO, deduplication scope, visibility timeout, retention,
redrive) is carried over as the template states it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from infra.cfn_yaml import load_template

# Table properties create_table takes as they are; TTL is a separate call; the rest is account-side.
_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "BillingMode")
_QUEUE_PROPERTIES = {
    "FifoQueue": "FifoQueue",
    "ContentBasedDeduplication": "ContentBasedDeduplication",
    "DeduplicationScope": "DeduplicationScope",
    "FifoThroughputLimit": "FifoThroughputLimit",
    "VisibilityTimeout": "VisibilityTimeout",
    "MessageRetentionPeriod": "MessageRetentionPeriod",
    "SqsManagedSseEnabled": "SqsManagedSseEnabled",
}
_TYPES = ("AWS::DynamoDB::Table", "AWS::SQS::Queue")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours)\)$")


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    name: str
    create: dict[str, Any]  # create_table arguments, TableName included
    ttl_attribute: str | None


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name: str
    attributes: dict[str, str]  # create_queue attributes, without the RedrivePolicy
    dead_letter_queue: str | None  # logical id of the redrive target
    max_receive_count: int | None


@dataclass(frozen=True)
class WorkerSpec:
    """The consolidate function's SQS event source and the reflect function's schedule."""

    queue: str  # logical id of the polled queue
    batch_size: int
    reflect_every_seconds: int
    reflect_input: dict[str, Any]


@dataclass(frozen=True)
class LocalStack:
    tables: list[TableSpec]
    queues: list[QueueSpec]  # dead-letter queues first
    worker: WorkerSpec


def _sub(value: Any, parameters: dict[str, str]) -> str:
    """A name: a plain string or an `!Sub` of stack parameters."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        return re.sub(r"\$\{([A-Za-z0-9:]+)\}", lambda m: parameters[m.group(1)], value["Fn::Sub"])
    if not isinstance(value, str):
        raise ValueError(f"cannot resolve {value!r} outside CloudFormation")
    return value


def _cfn_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _table(logical_id: str, properties: dict[str, Any], stage: str) -> TableSpec:
    create = {key: properties[key] for key in _TABLE_KEYS if key in properties}
    ttl = properties.get("TimeToLiveSpecification") or {}
    # The template names no table (CloudFormation makes one up); locally the name says stage and role.
    name = f"mnemoscope-{stage}-{logical_id.removesuffix('Table').lower()}"
    return TableSpec(logical_id, name, {"TableName": name, **create}, ttl["AttributeName"] if ttl else None)


def _queue(logical_id: str, properties: dict[str, Any], parameters: dict[str, str]) -> QueueSpec:
    attributes = {_QUEUE_PROPERTIES[k]: _cfn_value(v) for k, v in properties.items() if k in _QUEUE_PROPERTIES}
    redrive = properties.get("RedrivePolicy") or {}
    target = redrive.get("deadLetterTargetArn", {}).get("Fn::GetAtt", [None])[0] if redrive else None
    count = int(redrive["maxReceiveCount"]) if redrive else None
    return QueueSpec(logical_id, _sub(properties["QueueName"], parameters), attributes, target, count)


def _every_seconds(expression: str) -> int:
    match = _RATE.match(expression)
    if not match:
        raise ValueError(f"unsupported schedule {expression!r} (only rate(N minutes|hours))")
    return int(match.group(1)) * (60 if match.group(2).startswith("minute") else 3600)


def _worker(resources: dict[str, Any]) -> WorkerSpec:
    sqs = schedule = None
    for resource in resources.values():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event["Type"] == "SQS":
                sqs = event["Properties"]
            elif event["Type"] == "ScheduleV2":
                schedule = event["Properties"]
    if sqs is None or schedule is None:
        raise ValueError("the template has no SQS event source or no ScheduleV2 schedule")
    return WorkerSpec(
        queue=sqs["Queue"]["Fn::GetAtt"][0],
        batch_size=int(sqs.get("BatchSize", 10)),
        reflect_every_seconds=_every_seconds(schedule["ScheduleExpression"]),
        reflect_input=json.loads(schedule.get("Input") or "{}"),
    )


def local_stack(stage: str = "local", template: dict[str, Any] | None = None) -> LocalStack:
    """The template's tables, queues and worker settings for a stack named by `stage`."""
    template = template or load_template()
    resources: dict[str, Any] = template["Resources"]
    parameters = {"Stage": stage, "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}
    tables = [
        _table(lid, r["Properties"], stage) for lid, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"
    ]
    queues = [
        _queue(lid, r["Properties"], parameters) for lid, r in resources.items() if r["Type"] == "AWS::SQS::Queue"
    ]
    queues.sort(key=lambda q: q.dead_letter_queue is not None)  # a redrive target must exist first
    return LocalStack(tables, queues, _worker(resources))
