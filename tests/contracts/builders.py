"""Small builders for contract tests (scopes, messages, memories, unit vectors)."""

import math
from datetime import UTC, datetime, timedelta

from mnemoscope.domain.memory import MemoryNode, MemoryStatus, MemoryType
from mnemoscope.domain.message import Message
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.time_range import TimeRange
from mnemoscope.ports.memory_index import IndexEntry

T0 = datetime(2024, 8, 1, 9, 0, tzinfo=UTC)
DIM = 8


def scope(user: str = "alice", tenant: str = "t1", agent: str = "default") -> Scope:
    return Scope(tenant_id=tenant, agent_id=agent, user_id=user)


def message(i: int, role: str = "user", content: str | None = None, at: datetime | None = None) -> Message:
    return Message.model_validate(
        {"id": f"m{i}", "role": role, "content": content or f"turn {i}", "created_at": at or T0 + timedelta(minutes=i)}
    )


def unit_vector(*weights: float) -> tuple[float, ...]:
    padded = list(weights) + [0.0] * (DIM - len(weights))
    norm = math.sqrt(sum(w * w for w in padded)) or 1.0
    return tuple(w / norm for w in padded)


def memory(
    memory_id: str,
    content: str,
    the_scope: Scope | None = None,
    *,
    kind: MemoryType = "observation",
    status: MemoryStatus = "valid",
    minutes: int = 0,
    event_time: TimeRange | None = None,
    reflected: bool = False,
) -> MemoryNode:
    at = T0 + timedelta(minutes=minutes)
    return MemoryNode(
        id=memory_id,
        scope=the_scope or scope(),
        type=kind,
        status=status,
        content=content,
        created_at=at,
        updated_at=at,
        event_time=event_time,
        keywords=tuple(content.lower().split()[:3]),
        source_message_ids=(f"src-{memory_id}",),
        reflected=reflected,
    )


def entry(node: MemoryNode, *weights: float) -> IndexEntry:
    return IndexEntry(node=node, vector=unit_vector(*(weights or (1.0,))))
