"""MemoryNode: one unit of long-term memory (observation, custom memory or insight)."""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from mnemoscope.domain.scope import Scope
from mnemoscope.domain.time_range import TimeRange

MemoryType = Literal["observation", "custom", "insight"]
MemoryStatus = Literal["valid", "expired"]
MEMORY_TYPES: tuple[MemoryType, ...] = ("observation", "custom", "insight")
MEMORY_STATUSES: tuple[MemoryStatus, ...] = ("valid", "expired")
MAX_MEMORY_CHARS = 16_000


class InsightRevision(BaseModel):
    """A previous value of an insight, kept as history when new information replaces it."""

    model_config = ConfigDict(frozen=True)

    value: str
    replaced_at: AwareDatetime


class MemoryNode(BaseModel):
    """A memory. Observations come from user turns, custom memories from the admin API, insights from
    reflection (`key` = subject, `value` = what is known). Expired memories are history, superseded by another."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=128)
    scope: Scope
    type: MemoryType
    status: MemoryStatus = "valid"
    content: str = Field(min_length=1, max_length=MAX_MEMORY_CHARS)
    key: str | None = None
    value: str | None = None
    keywords: tuple[str, ...] = ()
    created_at: AwareDatetime
    updated_at: AwareDatetime
    event_time: TimeRange | None = None
    source_message_ids: tuple[str, ...] = ()
    source_memory_ids: tuple[str, ...] = ()
    superseded_by: str | None = None
    reflected: bool = False
    used_in_insight: bool = False
    reconsolidated: bool = False
    history: tuple[InsightRevision, ...] = ()

    def expire(self, superseded_by: str, at: datetime) -> "MemoryNode":
        return self.model_copy(update={"status": "expired", "superseded_by": superseded_by, "updated_at": at})
