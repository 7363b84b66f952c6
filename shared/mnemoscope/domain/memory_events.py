"""Memory change events: what consumers hear when a memory is created, superseded or deleted, or a user forgotten.

An event carries ids, scope, memory type and time, never memory content (unless the operator opts in). Its
`event_id` is derived from the change itself, so a retried job that makes the same change again announces it
under the same id and consumers can de-duplicate on it."""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from mnemoscope.domain.ids import derived_id
from mnemoscope.domain.memory import MemoryNode, MemoryType
from mnemoscope.domain.scope import Scope

MemoryEventKind = Literal["memory.created", "memory.superseded", "memory.deleted", "user.forgotten"]
# EventBridge detail-type per kind (docs/aws.md lists them for rules).
DETAIL_TYPES: dict[MemoryEventKind, str] = {
    "memory.created": "Memory Created",
    "memory.superseded": "Memory Superseded",
    "memory.deleted": "Memory Deleted",
    "user.forgotten": "User Forgotten",
}


class MemoryEvent(BaseModel):
    """One change. `memory_id` is the memory concerned (the old one for a supersede, whose successor is
    `superseded_by`); a forget names no memory."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    kind: MemoryEventKind
    occurred_at: AwareDatetime
    scope: Scope
    memory_id: str | None = None
    memory_type: MemoryType | None = None
    superseded_by: str | None = None
    memories_deleted: int | None = None
    content: str | None = None  # only with MNEMOSCOPE_EVENTS_INCLUDE_CONTENT=true

    @property
    def detail_type(self) -> str:
        return DETAIL_TYPES[self.kind]


def _content(node: MemoryNode, include_content: bool) -> str | None:
    return node.content if include_content else None


def created(node: MemoryNode, at: datetime, *, include_content: bool = False) -> MemoryEvent:
    return MemoryEvent(
        event_id=derived_id("evt", "memory.created", node.scope.key, node.id),
        kind="memory.created",
        occurred_at=at,
        scope=node.scope,
        memory_id=node.id,
        memory_type=node.type,
        content=_content(node, include_content),
    )


def superseded(old: MemoryNode, new_id: str, at: datetime) -> MemoryEvent:
    return MemoryEvent(
        event_id=derived_id("evt", "memory.superseded", old.scope.key, old.id, new_id),
        kind="memory.superseded",
        occurred_at=at,
        scope=old.scope,
        memory_id=old.id,
        memory_type=old.type,
        superseded_by=new_id,
    )


def deleted(node: MemoryNode, at: datetime) -> MemoryEvent:
    return MemoryEvent(
        event_id=derived_id("evt", "memory.deleted", node.scope.key, node.id),
        kind="memory.deleted",
        occurred_at=at,
        scope=node.scope,
        memory_id=node.id,
        memory_type=node.type,
    )


def forgotten(scope: Scope, memories_deleted: int, at: datetime) -> MemoryEvent:
    # A user can be forgotten again later (after new turns), so the time is part of the id: each forget is its own
    # event. A client that repeats a failed forget therefore announces a second one (forgetting twice is harmless).
    return MemoryEvent(
        event_id=derived_id("evt", "user.forgotten", scope.key, at.isoformat()),
        kind="user.forgotten",
        occurred_at=at,
        scope=scope,
        memories_deleted=memories_deleted,
    )
