"""Appending turns to the chat table: seqs reserved with one atomic ADD on the STATE item, then the turns and their
id guards written in transactions that also check the watermark has not passed them (layout: `dynamodb_table`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from mnemoscope.adapters.aws import error_code
from mnemoscope.adapters.aws.dynamodb_table import (
    MID,
    STATE,
    Item,
    expiry,
    iso,
    item_key,
    number_attr,
    pending_key,
    turn_sk,
)
from mnemoscope.adapters.aws.dynamodb_table_client import ATTEMPTS, ChatTableClient, backoff
from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.domain.message import Message
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.clock import Clock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import ConditionCheckTypeDef, PutTypeDef, TransactWriteItemTypeDef

# 2 actions per turn + 1 watermark check stay under the 100-action transaction limit, and 49 turns of at
# most 16,000 chars (64 KB in UTF-8) stay under its 4 MB limit.
_TX_TURNS = 49
_NEW = "attribute_not_exists(sk)"


class TurnAppender:
    """Writes turns that are not in the scope yet (the caller filters known ids) in arrival order."""

    def __init__(
        self, table: ChatTableClient, ttl_seconds: int | None, clock: Clock, sleep: Callable[[float], None]
    ) -> None:
        self._io = table
        self._ttl_seconds = ttl_seconds
        self._clock = clock
        self._sleep = sleep

    def _reserve(self, scope: Scope, count: int) -> int:
        """Reserve `count` consecutive seqs with one atomic ADD; returns the first. The same write puts the scope in
        the sparse pending index (kept until the watermark catches up), so a scope whose first job dead-letters
        before any watermark exists is still found by the sweep."""
        response = self._io.client.update_item(
            TableName=self._io.table,
            Key=item_key(scope, STATE),
            UpdateExpression="ADD last_seq :n "
            "SET pending_pk = if_not_exists(pending_pk, :p), pending_since = if_not_exists(pending_since, :at)",
            ExpressionAttributeValues={
                ":n": {"N": str(count)},
                ":p": {"S": pending_key(scope)},
                ":at": {"S": iso(self._clock.now())},
            },
            ReturnValues="UPDATED_NEW",
        )
        return number_attr(response["Attributes"], "last_seq") - count + 1

    def store(self, scope: Scope, fresh: list[Message]) -> list[str]:
        """Write the turns in transactions of <= 49; seqs are reserved once, and again only after a conflict."""
        stored: list[str] = []
        todo, first, failures = fresh, self._reserve(scope, len(fresh)), 0
        while todo:
            chunk = todo[:_TX_TURNS]
            outcome = self._write_chunk(scope, chunk, first)
            if outcome is None:
                stored += [m.id for m in chunk]
                todo, first, failures = todo[len(chunk) :], first + len(chunk), 0
                continue
            taken, seqs_stale = outcome
            failures += 1
            if failures >= ATTEMPTS:
                raise DependencyUnavailable("DynamoDB chat log: append kept conflicting with concurrent writes")
            todo = [m for m in todo if m.id not in taken]  # stored by a concurrent append: duplicates after all
            if seqs_stale and todo:
                # The watermark passed our seqs (a later append got consolidated first): take newer seqs for
                # everything left, so no turn hides behind the watermark and the order stays the arrival order.
                first = self._reserve(scope, len(todo))
            elif not taken:
                self._sleep(backoff(failures))  # a transaction conflict: try the same write again
        return stored

    def _write_chunk(self, scope: Scope, chunk: list[Message], first: int) -> tuple[set[str], bool] | None:
        """One transaction; None on success, else (ids whose guard exists, whether the seqs went stale)."""
        try:
            token = self._token(scope, chunk, first)
            self._io.client.transact_write_items(
                TransactItems=self._actions(scope, chunk, first), ClientRequestToken=token
            )
            return None
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            codes = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
        # Action 0 is the watermark check, then guard 1 + 2i and turn 2 + 2i for the i-th message.
        failed = [code == "ConditionalCheckFailed" for code in codes] + [False] * (1 + 2 * len(chunk))
        taken = {m.id for i, m in enumerate(chunk) if failed[1 + 2 * i]}
        return taken, failed[0] or any(failed[2 : 1 + 2 * len(chunk) : 2])

    def _actions(self, scope: Scope, chunk: list[Message], first: int) -> list[TransactWriteItemTypeDef]:
        watermark_check: ConditionCheckTypeDef = {
            "TableName": self._io.table,
            "Key": item_key(scope, STATE),
            "ConditionExpression": "attribute_not_exists(watermark) OR watermark < :first",
            "ExpressionAttributeValues": {":first": {"N": str(first)}},
        }
        actions: list[TransactWriteItemTypeDef] = [{"ConditionCheck": watermark_check}]
        now = self._clock.now()
        for seq, message in enumerate(chunk, start=first):
            guard, turn = self._items(scope, message, seq, now)
            for item in (guard, turn):
                put: PutTypeDef = {"TableName": self._io.table, "Item": item, "ConditionExpression": _NEW}
                actions.append({"Put": put})
        return actions

    def _items(self, scope: Scope, message: Message, seq: int, now: datetime) -> tuple[Item, Item]:
        extra = expiry(now, self._ttl_seconds)
        guard = {**item_key(scope, f"{MID}{message.id}"), "seq": {"N": str(seq)}, **extra}
        turn = {
            **item_key(scope, turn_sk(seq)),
            "seq": {"N": str(seq)},
            "id": {"S": message.id},
            "role": {"S": message.role},
            "content": {"S": message.content},
            "created_at": {"S": message.created_at.isoformat()},
            "logged_at": {"S": iso(now)},
            **({"name": {"S": message.name}} if message.name is not None else {}),
            **extra,
        }
        return guard, turn

    @staticmethod
    def _token(scope: Scope, chunk: list[Message], first: int) -> str:
        # Same token for an SDK-level retry of the same write: DynamoDB then answers "done", not "duplicate".
        material = "\x1f".join([scope.key, str(first), *(m.id for m in chunk)])
        return hashlib.sha256(material.encode()).hexdigest()[:36]
