"""The chat table's layout (shared by the adapter, the template test and the tests) and item conversion.

Items of partition pk = "SCOPE#<scope.key>":
  sk "MSG#<seq:012d>"  a turn; seq = arrival order, reserved by an atomic ADD on the state item
  sk "MID#<id>"        the id guard: makes appends idempotent and maps a message id to its seq
  sk "STATE"           last_seq, watermark, unreflected, first_unreflected_at, last_reflected_at; while
                       unreflected > 0 it also carries due_pk = "DUE", which puts it in the sparse GSI; while
                       consolidation keeps failing on the pending head, `failure` (S: FailureStreak as JSON)
  sk "QUAR#<seq:012d>" a quarantined turn: seq, id, error, reason (short, never user text), attempts,
                       quarantined_at, retrying (BOOL: released for a retry, pending again); same TTL as the turn
"""

from __future__ import annotations

from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

from mnemoscope.domain.message import LoggedMessage, Message
from mnemoscope.domain.scope import Scope

REFLECT_DUE_INDEX = "reflect-due"
TTL_ATTRIBUTE = "expires_at"
# The one description of the table: the tests create it from this, and a test checks template.yaml against it.
CHAT_TABLE_DEFINITION: dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "due_pk", "AttributeType": "S"},
        {"AttributeName": "first_unreflected_at", "AttributeType": "S"},
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
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
}

_Item = dict[str, Any]
_MSG, _MID, _STATE, _DUE = "MSG#", "MID#", "STATE", "DUE"
_FIRST_SK, _LAST_SK = f"{_MSG}{0:012d}", f"{_MSG}{'9' * 12}"


def chat_table_definition() -> dict[str, Any]:
    """create_table arguments (without TableName) for the chat table: keys, attributes, GSI, billing."""
    return deepcopy(CHAT_TABLE_DEFINITION)


def _key(scope: Scope, sk: str) -> _Item:
    return {"pk": {"S": f"SCOPE#{scope.key}"}, "sk": {"S": sk}}


def _iso(moment: datetime) -> str:
    # Fixed width, UTC: string order is time order, which the GSI sort key relies on.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _text(item: _Item, name: str) -> str | None:
    value = item.get(name)
    return str(value["S"]) if value else None


def _number(item: _Item, name: str) -> int:
    value = item.get(name)
    return int(value["N"]) if value else 0


def _logged(item: _Item) -> LoggedMessage:
    fields = {k: _text(item, k) for k in ("id", "role", "name", "content", "created_at")}
    return LoggedMessage(
        seq=_number(item, "seq"),
        message=Message.model_validate(fields),
        logged_at=datetime.fromisoformat(str(_text(item, "logged_at"))),
    )
