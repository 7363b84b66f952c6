"""ChatLog on DynamoDB: one table, one partition per scope holding its turns, id guards and bookkeeping
(layout: `dynamodb_table`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3

from mnemoscope.adapters.aws import DEFAULT_CLIENT_CONFIG, dependency_errors
from mnemoscope.adapters.aws.dynamodb_append import TurnAppender
from mnemoscope.adapters.aws.dynamodb_quarantine import QuarantineItems, turn_view
from mnemoscope.adapters.aws.dynamodb_table import (
    DUE,
    FIRST_TURN_SK,
    LAST_TURN_SK,
    MAX_SEQ,
    MID,
    PENDING,
    PENDING_INDEX,
    REFLECT_DUE_INDEX,
    STATE,
    Item,
    due_key,
    iso,
    item_key,
    logged_message,
    number_attr,
    scope_of_pk,
    shard_keys,
    text_attr,
    turn_sk,
)
from mnemoscope.adapters.aws.dynamodb_table_client import BATCH_WRITE, ChatTableClient
from mnemoscope.domain.message import LoggedMessage, Message
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import (
    AppendResult,
    FailureStreak,
    QuarantineRecord,
    ScopeState,
    TurnPage,
    turn_cursor_seq,
)
from mnemoscope.ports.clock import Clock, SystemClock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_WATERMARK_MOVES = "attribute_not_exists(watermark) OR watermark < :seq"


class DynamoDbChatLog:
    """ChatLog over one DynamoDB table laid out as `dynamodb_table.CHAT_TABLE_DEFINITION` describes."""

    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        ttl_days: int | None = None,
        *,
        page_size: int = 500,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        client = client or boto3.client("dynamodb", config=DEFAULT_CLIENT_CONFIG)
        ttl_seconds = ttl_days * 86_400 if ttl_days else None
        self._clock = clock or SystemClock()
        self._io = ChatTableClient(client, table_name, page_size=page_size, sleep=sleep)
        self._quarantine = QuarantineItems(self._io, ttl_seconds)
        self._appender = TurnAppender(self._io, ttl_seconds, self._clock, sleep)

    def append(self, scope: Scope, messages: Sequence[Message]) -> AppendResult:
        """Store turns in order; ids already in the scope (or repeated in the batch) are reported as duplicates.

        Raises:
            DependencyUnavailable: DynamoDB throttled, failed or was unreachable; retrying the call is safe.
        """
        unique = list({m.id: m for m in reversed(messages)}.values())[::-1]
        with dependency_errors("DynamoDB"):
            known = self._seqs_of(scope, [m.id for m in unique])
            fresh = [m for m in unique if m.id not in known]
            stored = set(self._appender.store(scope, fresh)) if fresh else set()
        stored_ids, duplicate_ids = list[str](), list[str]()
        for message in messages:
            first_time = message.id in stored and message.id not in stored_ids
            (stored_ids if first_time else duplicate_ids).append(message.id)
        return AppendResult(stored_ids=tuple(stored_ids), duplicate_ids=tuple(duplicate_ids))

    def pending(self, scope: Scope, limit: int = 1000) -> list[LoggedMessage]:
        """Released quarantined turns, then the turns after the watermark, oldest first (at most `limit`)."""
        watermark = self.state(scope).watermark
        released = self._quarantine.released_seqs(scope)[:limit]
        with dependency_errors("DynamoDB"):
            retried = self._io.batch_get([item_key(scope, turn_sk(seq)) for seq in released])
        first = sorted((logged_message(item) for item in retried), key=lambda logged: logged.seq)
        if len(first) >= limit:
            return first
        return first + self._turns(scope, turn_sk(watermark + 1), limit - len(first), forward=True)

    def recent(self, scope: Scope, limit: int) -> list[LoggedMessage]:
        """The scope's last `limit` turns, oldest first."""
        return self._turns(scope, FIRST_TURN_SK, limit, forward=False)[::-1]

    def _turns(self, scope: Scope, low: str, limit: int, *, forward: bool) -> list[LoggedMessage]:
        query = turn_range_query(scope, low, LAST_TURN_SK, forward=forward)
        return [logged_message(item) for item in self._io.query(query, limit)]

    def get_messages(self, scope: Scope, message_ids: Sequence[str]) -> list[LoggedMessage]:
        """The turns with these ids (missing ids are skipped), oldest first."""
        with dependency_errors("DynamoDB"):
            seqs = self._seqs_of(scope, list(dict.fromkeys(message_ids)))
            items = self._io.batch_get([item_key(scope, turn_sk(seq)) for seq in seqs.values()])
        return sorted((logged_message(item) for item in items), key=lambda logged: logged.seq)

    def _seqs_of(self, scope: Scope, message_ids: list[str]) -> dict[str, int]:
        guards = self._io.batch_get([item_key(scope, f"{MID}{message_id}") for message_id in message_ids])
        return {str(item["sk"]["S"]).removeprefix(MID): number_attr(item, "seq") for item in guards}

    def state(self, scope: Scope) -> ScopeState:
        """The scope's bookkeeping (zeros for an unknown scope)."""
        with dependency_errors("DynamoDB"):
            got = self._io.client.get_item(TableName=self._io.table, Key=item_key(scope, STATE), ConsistentRead=True)
        found: Item = dict(got.get("Item", {}))
        reflected, unreflected_since = (text_attr(found, k) for k in ("last_reflected_at", "first_unreflected_at"))
        failure = text_attr(found, "failure")
        return ScopeState(
            scope=scope,
            last_seq=number_attr(found, "last_seq"),
            watermark=number_attr(found, "watermark"),
            unreflected_observations=number_attr(found, "unreflected"),
            last_reflected_at=datetime.fromisoformat(reflected) if reflected else None,
            first_unreflected_at=datetime.fromisoformat(unreflected_since) if unreflected_since else None,
            failure=FailureStreak.model_validate_json(failure) if failure else None,
        )

    def advance_watermark(self, scope: Scope, seq: int, new_observations: int = 0, at: datetime | None = None) -> None:
        """Move the watermark forward to `seq`; a seq at or below it is a no-op, counters included, so a retried
        consolidation job does not count its observations twice. Released quarantined turns up to `seq` are
        settled first (each delete is conditional, so a redelivered job settles and counts them once)."""
        settled = self._quarantine.settle_released(scope, seq)
        update, values = "SET watermark = :seq", {":seq": {"N": str(seq)}}
        counters, counter_values = "", dict[str, Any]()
        if new_observations > 0:
            counters = (
                "first_unreflected_at = if_not_exists(first_unreflected_at, :at), due_pk = :due ADD unreflected :n"
            )
            at_text = iso(at or self._clock.now())
            counter_values = {
                ":n": {"N": str(new_observations)},
                ":at": {"S": at_text},
                ":due": {"S": due_key(scope)},
            }
        moved = self._io.update_state_if(
            scope, f"{update}, {counters}" if counters else update, values | counter_values, _WATERMARK_MOVES
        )
        if not moved and settled and counters:
            # Only released turns (behind the watermark) were consolidated: count their observations.
            self._io.update_state_if(scope, f"SET {counters}", counter_values, "attribute_exists(sk)")
        self._leave_pending_index(scope, seq)

    def _leave_pending_index(self, scope: Scope, seq: int) -> None:
        # Caught up: leave the pending index. An append racing in between raised last_seq, so the scope stays.
        caught_up = "last_seq <= watermark AND watermark >= :seq"  # :seq only because a value must be used
        self._io.update_state_if(scope, "REMOVE pending_pk, pending_since", {":seq": {"N": str(seq)}}, caught_up)

    def list_turns(self, scope: Scope, limit: int, cursor: str | None = None) -> TurnPage:
        """Newest first; a page is one query of the turns and one of the quarantine records in its seq range."""
        below = turn_cursor_seq(cursor)
        high = turn_sk(min(below - 1, MAX_SEQ)) if cursor is not None else LAST_TURN_SK
        query = turn_range_query(scope, FIRST_TURN_SK, high, forward=False)
        turns = [logged_message(item) for item in self._io.query(query, limit + 1)] if below > 1 else []
        shown = turns[:limit]
        if not shown:
            return TurnPage(items=())
        watermark = self.state(scope).watermark
        records = self._quarantine.records(scope, shown[-1].seq, shown[0].seq)
        views = tuple(turn_view(logged, watermark, records.get(logged.seq)) for logged in shown)
        return TurnPage(items=views, next_cursor=str(shown[-1].seq) if len(turns) > limit else None)

    def save_failure(self, scope: Scope, streak: FailureStreak | None) -> None:
        """The streak is one attribute of the STATE item (a small JSON string); the other attributes stay."""
        if streak is None:
            self._io.update_state(scope, "REMOVE failure", None)
        else:
            self._io.update_state(scope, "SET failure = :f", {":f": {"S": streak.model_dump_json()}})

    def quarantine(self, scope: Scope, seqs: Sequence[int], record: QuarantineRecord) -> None:
        """Write one QUAR item per turn (overwriting a released one), then move the watermark and drop the streak."""
        if not seqs:
            return
        with dependency_errors("DynamoDB"):
            turns = self._io.batch_get([item_key(scope, turn_sk(seq)) for seq in seqs])
        self._quarantine.write(scope, turns, record, self._clock.now())
        values: Item = {":seq": {"N": str(max(seqs))}}
        if not self._io.update_state_if(scope, "SET watermark = :seq REMOVE failure", values, _WATERMARK_MOVES):
            self._io.update_state(scope, "REMOVE failure", None)
        self._leave_pending_index(scope, max(seqs))

    def release_quarantine(self, scope: Scope, message_ids: Sequence[str] | None = None) -> list[str]:
        """Flip `retrying` on each quarantined turn (conditionally: a concurrent release counts once)."""
        return self._quarantine.release(scope, message_ids)

    def mark_reflected(self, scope: Scope, at: datetime) -> None:
        """Reset the reflection counters (and leave the due index) after a reflection run."""
        update = "SET unreflected = :zero, last_reflected_at = :at REMOVE first_unreflected_at, due_pk"
        values: Item = {":zero": {"N": "0"}, ":at": {"S": iso(at)}}
        self._io.update_state_if(scope, update, values, "attribute_exists(sk)")

    def scopes_due_for_reflection(self, min_observations: int, max_age_before: datetime) -> list[Scope]:
        """Scopes with >= min_observations unreflected observations, or an unreflected one older than the cut:
        two queries per shard of the sparse reflect-due index (it only holds scopes owing a reflection)."""
        # A filter cannot use the index's own keys, hence two queries instead of one OR.
        old: dict[str, Any] = {"KeyConditionExpression": "due_pk = :due AND first_unreflected_at <= :cut"}
        busy: dict[str, Any] = {
            "KeyConditionExpression": "due_pk = :due AND first_unreflected_at > :cut",
            "FilterExpression": "unreflected >= :min",
        }
        keys: set[str] = set()
        extra: Item
        for due in shard_keys(DUE):
            values: Item = {":due": {"S": due}, ":cut": {"S": iso(max_age_before)}}
            for query, extra in ((old, {}), (busy, {":min": {"N": str(min_observations)}})):
                call = query | {"IndexName": REFLECT_DUE_INDEX, "ExpressionAttributeValues": values | extra}
                keys.update(str(item["pk"]["S"]) for item in self._io.query(call))
        return [scope_of_pk(pk) for pk in sorted(keys)]

    def scopes_with_pending(self, limit: int = 1000) -> list[Scope]:
        """Scopes with turns after the watermark, the longest-waiting first: one query per shard of the sparse
        pending index, so the sweep reads only pending scopes, never the table."""
        if limit <= 0:
            return []
        found: list[tuple[str, str]] = []
        for shard in shard_keys(PENDING):
            query: dict[str, Any] = {
                "IndexName": PENDING_INDEX,
                "KeyConditionExpression": "pending_pk = :p",
                "ExpressionAttributeValues": {":p": {"S": shard}},
            }
            # Each shard is read oldest first, so its first `limit` items are all it can contribute.
            found += [(text_attr(i, "pending_since") or "", str(i["pk"]["S"])) for i in self._io.query(query, limit)]
        oldest = sorted(found)[:limit]
        return [scope_of_pk(pk) for _, pk in oldest]

    def delete_scope(self, scope: Scope) -> None:
        """Forget every turn, guard and the bookkeeping of the scope, page by page."""
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": item_key(scope, "")["pk"]},
            "ProjectionExpression": "pk, sk",
            "ConsistentRead": True,
        }
        batch: list[Item] = []
        for item in self._io.query(query):
            batch.append({"DeleteRequest": {"Key": {"pk": item["pk"], "sk": item["sk"]}}})
            if len(batch) == BATCH_WRITE:
                self._io.batch_write(batch)
                batch = []
        if batch:
            self._io.batch_write(batch)


def turn_range_query(scope: Scope, low: str, high: str, *, forward: bool) -> dict[str, Any]:
    """A strongly consistent query of the scope's turns with sort keys in [low, high]."""
    return {
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {":pk": item_key(scope, "")["pk"], ":low": {"S": low}, ":high": {"S": high}},
        "ScanIndexForward": forward,
        "ConsistentRead": True,
    }
