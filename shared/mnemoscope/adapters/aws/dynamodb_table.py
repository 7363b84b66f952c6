"""The chat table's layout (shared by the adapter, the template test and the tests) and item conversion.

Items of partition pk = "SCOPE#<scope.key>":
  sk "MSG#<seq:012d>"  a turn; seq = arrival order, reserved by an atomic ADD on the state item
  sk "MID#<id>"        the id guard: makes appends idempotent and maps a message id to its seq
  sk "STATE"           last_seq, watermark, unreflected, first_unreflected_at, last_reflected_at; while
                       unreflected > 0 it also carries due_pk = "DUE#<shard>" (sparse GSI reflect-due), and
                       while last_seq > watermark pending_pk = "PENDING#<shard>" + pending_since (sparse GSI
                       pending): the reflect sweep queries both indexes instead of scanning the table; while
                       consolidation keeps failing on the pending head, `failure` (S: FailureStreak as JSON)
  sk "QUAR#<seq:012d>" a quarantined turn: seq, id, error, reason (short, never user text), attempts,
                       quarantined_at, retrying (BOOL: released for a retry, pending again); same TTL as the turn
Index partition keys are spread over SWEEP_SHARDS values by a hash of the scope, so no single GSI partition takes
every scope's writes (docs/decisions.md, "Pending-scope index").
"""

from __future__ import annotations

import hashlib
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

from mnemoscope.domain.message import LoggedMessage, Message
from mnemoscope.domain.scope import Scope

REFLECT_DUE_INDEX = "reflect-due"
PENDING_INDEX = "pending"
SWEEP_SHARDS = 16
TTL_ATTRIBUTE = "expires_at"
# The one description of the table: the tests create it from this, and a test checks template.yaml against it.
CHAT_TABLE_DEFINITION: dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "due_pk", "AttributeType": "S"},
        {"AttributeName": "first_unreflected_at", "AttributeType": "S"},
        {"AttributeName": "pending_pk", "AttributeType": "S"},
        {"AttributeName": "pending_since", "AttributeType": "S"},
    ],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": REFLECT_DUE_INDEX,
            "KeySchema": [
                {"AttributeName": "due_pk", "KeyType": "HASH"},
                {"AttributeName": "first_unreflected_at", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["unreflected"]},
        },
        {
            "IndexName": PENDING_INDEX,
            "KeySchema": [
                {"AttributeName": "pending_pk", "KeyType": "HASH"},
                {"AttributeName": "pending_since", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        },
    ],
    "BillingMode": "PAY_PER_REQUEST",
}

Item = dict[str, Any]  # one DynamoDB item in the low-level client's typed-attribute form
MSG, MID, STATE, QUAR, DUE, PENDING = "MSG#", "MID#", "STATE", "QUAR#", "DUE#", "PENDING#"
FIRST_TURN_SK, LAST_TURN_SK = f"{MSG}{0:012d}", f"{MSG}{'9' * 12}"
MAX_SEQ = 10**12 - 1


def chat_table_definition() -> dict[str, Any]:
    """create_table arguments (without TableName) for the chat table: keys, attributes, GSI, billing."""
    return deepcopy(CHAT_TABLE_DEFINITION)


def sweep_shard(scope: Scope) -> int:
    """A stable shard of the scope (not Python's salted hash: every process must agree)."""
    return int.from_bytes(hashlib.sha256(scope.key.encode()).digest()[:4], "big") % SWEEP_SHARDS


def due_key(scope: Scope) -> str:
    return f"{DUE}{sweep_shard(scope):02d}"


def pending_key(scope: Scope) -> str:
    return f"{PENDING}{sweep_shard(scope):02d}"


def shard_keys(prefix: str) -> list[str]:
    return [f"{prefix}{shard:02d}" for shard in range(SWEEP_SHARDS)]


def item_key(scope: Scope, sk: str) -> Item:
    return {"pk": {"S": f"SCOPE#{scope.key}"}, "sk": {"S": sk}}


def scope_of_pk(pk: str) -> Scope:
    return Scope.from_key(pk.removeprefix("SCOPE#"))


def turn_sk(seq: int) -> str:
    return f"{MSG}{seq:012d}"


def quarantine_sk(seq: int) -> str:
    return f"{QUAR}{seq:012d}"


def iso(moment: datetime) -> str:
    # Fixed width, UTC: string order is time order, which the GSI sort key relies on.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def expiry(now: datetime, ttl_seconds: int | None) -> Item:
    """The TTL attribute for an item written now (none when the table keeps items forever)."""
    return {} if ttl_seconds is None else {TTL_ATTRIBUTE: {"N": str(int(now.timestamp()) + ttl_seconds)}}


def text_attr(item: Item, name: str) -> str | None:
    value = item.get(name)
    return str(value["S"]) if value else None


def number_attr(item: Item, name: str) -> int:
    value = item.get(name)
    return int(value["N"]) if value else 0


def logged_message(item: Item) -> LoggedMessage:
    """A turn item (sk MSG#...) as the domain's LoggedMessage."""
    fields = {k: text_attr(item, k) for k in ("id", "role", "name", "content", "created_at")}
    return LoggedMessage(
        seq=number_attr(item, "seq"),
        message=Message.model_validate(fields),
        logged_at=datetime.fromisoformat(str(text_attr(item, "logged_at"))),
    )
