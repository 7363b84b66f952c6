"""MemoryEventOutbox on its own DynamoDB table: one item per held event, keyed by its event id.

Items live from just before a memory write until its events are published (normally milliseconds), so the table is
nearly empty and the relay's Scan of what is left is cheap. Layout: pk `event_id`, `event` (the MemoryEvent JSON),
`held_at` (epoch ms)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3

from mnemoscope.adapters.aws import DEFAULT_CLIENT_CONFIG
from mnemoscope.adapters.aws.dynamodb_memory_records import record_errors
from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.domain.memory_events import MemoryEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

OUTBOX_TABLE_DEFINITION: dict[str, Any] = {
    "AttributeDefinitions": [{"AttributeName": "event_id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "event_id", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
}
_BATCH_WRITE = 25
_ATTEMPTS = 6


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


class DynamoDbEventOutbox:
    """Hold, release and list held memory events."""

    def __init__(
        self, table_name: str, client: DynamoDBClient | None = None, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._table = table_name
        self._client: DynamoDBClient = client or boto3.client("dynamodb", config=DEFAULT_CLIENT_CONFIG)
        self._sleep = sleep

    def hold(self, events: Sequence[MemoryEvent], at: datetime) -> None:
        items = {
            e.event_id: {
                "event_id": {"S": e.event_id},
                "event": {"S": e.model_dump_json()},
                "held_at": {"N": str(_ms(at))},
            }
            for e in events
        }
        self._write([{"PutRequest": {"Item": item}} for item in items.values()])

    def release(self, event_ids: Sequence[str]) -> None:
        ids = dict.fromkeys(event_ids)
        self._write([{"DeleteRequest": {"Key": {"event_id": {"S": event_id}}}} for event_id in ids])

    def held(self, before: datetime, limit: int) -> list[MemoryEvent]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "ConsistentRead": True,
            "FilterExpression": "held_at < :before",
            "ExpressionAttributeValues": {":before": {"N": str(_ms(before))}},
        }
        found: list[MemoryEvent] = []
        while len(found) < limit:
            with record_errors("Scan"):
                response = self._client.scan(**request)
            found += [MemoryEvent.model_validate_json(item["event"]["S"]) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found[:limit]

    def _write(self, requests: list[Any]) -> None:
        for start in range(0, len(requests), _BATCH_WRITE):
            pending = requests[start : start + _BATCH_WRITE]
            for attempt in range(_ATTEMPTS):
                with record_errors("BatchWriteItem"):
                    response = self._client.batch_write_item(RequestItems={self._table: pending})
                pending = list((response.get("UnprocessedItems") or {}).get(self._table, []))
                if not pending:
                    break
                self._sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise DependencyUnavailable("DynamoDB kept throttling the memory event outbox")
