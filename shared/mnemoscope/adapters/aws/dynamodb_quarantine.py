"""The chat log's quarantine records on DynamoDB (sk "QUAR#<seq>", layout: `dynamodb_table`) and the turn views
built from them: writing, releasing for a retry, settling once retried, and reading them back with the turns."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from mnemoscope.adapters.aws import dependency_errors, error_code
from mnemoscope.adapters.aws.dynamodb_table import (
    MAX_SEQ,
    Item,
    expiry,
    iso,
    item_key,
    number_attr,
    quarantine_sk,
    text_attr,
)
from mnemoscope.adapters.aws.dynamodb_table_client import CONDITION_FAILED, ChatTableClient
from mnemoscope.domain.message import LoggedMessage
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import QuarantineRecord, TurnView


class QuarantineItems:
    def __init__(self, table: ChatTableClient, ttl_seconds: int | None) -> None:
        self._table = table
        self._ttl_seconds = ttl_seconds

    def items(self, scope: Scope, low: int = 0, high: int = MAX_SEQ) -> Iterator[Item]:
        """QUAR items with low <= seq <= high (strongly consistent: a release is read by the next job)."""
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": {
                ":pk": item_key(scope, "")["pk"],
                ":low": {"S": quarantine_sk(low)},
                ":high": {"S": quarantine_sk(high)},
            },
            "ConsistentRead": True,
        }
        return self._table.query(query)

    def released_seqs(self, scope: Scope) -> list[int]:
        return sorted(number_attr(item, "seq") for item in self.items(scope) if released(item))

    def records(self, scope: Scope, low: int, high: int) -> dict[int, QuarantineRecord]:
        return {number_attr(item, "seq"): record_of(item) for item in self.items(scope, low, high)}

    def write(self, scope: Scope, turns: Sequence[Item], record: QuarantineRecord, now: datetime) -> None:
        """One QUAR item per turn item (overwriting a released one), with the turn's TTL."""
        requests: list[Item] = []
        for turn in turns:
            item = {
                **item_key(scope, quarantine_sk(number_attr(turn, "seq"))),
                "seq": turn["seq"],
                "id": turn["id"],
                "error": {"S": record.error},
                "reason": {"S": record.reason},
                "attempts": {"N": str(record.attempts)},
                "quarantined_at": {"S": iso(record.quarantined_at)},
                "retrying": {"BOOL": False},
                **expiry(now, self._ttl_seconds),
            }
            requests.append({"PutRequest": {"Item": item}})
        self._table.batch_write(requests)

    def settle_released(self, scope: Scope, seq: int) -> int:
        """Delete the released records up to `seq` (their turns are consolidated now); returns how many. Each delete
        is conditional, so a redelivered job settles and counts them once."""
        settled = 0
        for item in list(self.items(scope, high=seq)):
            if not released(item):
                continue
            try:
                with dependency_errors("DynamoDB"):
                    self._table.client.delete_item(
                        TableName=self._table.table,
                        Key={"pk": item["pk"], "sk": item["sk"]},
                        ConditionExpression="retrying = :yes",
                        ExpressionAttributeValues={":yes": {"BOOL": True}},
                    )
                settled += 1
            except ClientError as error:
                if error_code(error) != CONDITION_FAILED:
                    raise
        return settled

    def release(self, scope: Scope, message_ids: Sequence[str] | None = None) -> list[str]:
        """Flip `retrying` on each quarantined turn (conditionally: a concurrent release counts once)."""
        wanted = None if message_ids is None else set(message_ids)
        done: list[str] = []
        for item in list(self.items(scope)):
            message_id = str(text_attr(item, "id"))
            if released(item) or (wanted is not None and message_id not in wanted):
                continue
            try:
                with dependency_errors("DynamoDB"):
                    self._table.client.update_item(
                        TableName=self._table.table,
                        Key={"pk": item["pk"], "sk": item["sk"]},
                        UpdateExpression="SET retrying = :yes",
                        ConditionExpression="attribute_exists(sk) AND retrying = :no",
                        ExpressionAttributeValues={":yes": {"BOOL": True}, ":no": {"BOOL": False}},
                    )
                done.append(message_id)
            except ClientError as error:
                if error_code(error) != CONDITION_FAILED:
                    raise
        return done


def released(item: Item) -> bool:
    return bool(item.get("retrying", {}).get("BOOL"))


def record_of(item: Item) -> QuarantineRecord:
    return QuarantineRecord(
        error=str(text_attr(item, "error")),
        reason=str(text_attr(item, "reason")),
        attempts=number_attr(item, "attempts"),
        quarantined_at=datetime.fromisoformat(str(text_attr(item, "quarantined_at"))),
        retrying=released(item),
    )


def turn_view(logged: LoggedMessage, watermark: int, record: QuarantineRecord | None) -> TurnView:
    if record is not None:
        return TurnView(logged=logged, state="pending" if record.retrying else "quarantined", quarantine=record)
    return TurnView(logged=logged, state="pending" if logged.seq > watermark else "consolidated")
