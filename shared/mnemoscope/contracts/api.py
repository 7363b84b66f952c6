"""Wire schemas of the HTTP API (requests, responses, errors). The committed OpenAPI document comes from these."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from mnemoscope.contracts.fields import Instant, JsonInt, Text, Timezone, json_integer
from mnemoscope.domain.ids import ID_PATTERN
from mnemoscope.domain.memory import MEMORY_TYPES, MemoryNode, MemoryStatus, MemoryType
from mnemoscope.domain.message import MAX_CONTENT_CHARS, LoggedMessage, Role

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# Limits per field, chosen from real use (docs/decisions.md, "API contract"): a turn fits a long answer with code,
# a custom memory is one fact, a query is a question or the user's latest message.
MAX_MESSAGES_PER_REQUEST = 100
MAX_TURN_CHARS = MAX_CONTENT_CHARS
MAX_NAME_CHARS = 128
MAX_CUSTOM_MEMORY_CHARS = 4_000
MAX_QUERY_CHARS = 2_000
MAX_SYSTEM_PROMPT_CHARS = 16_000
DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 200
MAX_CURSOR_CHARS = 512


class _Strict(BaseModel):
    # No coercion: `true` is not 1, "5" is not 5, 0 is not false; the JSON types the schema states are the ones taken.
    model_config = ConfigDict(extra="forbid", strict=True)


class ScopeRef(_Strict):
    user_id: Id = Field(description="The human the memory is about")
    agent_id: Id = Field(default="default", description="The assistant that owns the memory")


class MemoryRef(ScopeRef):
    """One memory of a scope (GET/DELETE /v1/memories/{memory_id}; the MCP tools get_memory, delete_memory)."""

    memory_id: Id = Field(description="The memory's id")


class ListMemoriesQuery(ScopeRef):
    """GET /v1/memories's query (the route declares the same limits as query parameters; the MCP tool
    list_memories validates with this model)."""

    type: MemoryType | None = None
    status: MemoryStatus | None = None
    limit: JsonInt = Field(default=DEFAULT_LIST_LIMIT, ge=1, le=MAX_LIST_LIMIT)
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR_CHARS, description="A page's `next_cursor`")


class NewMessage(_Strict):
    role: Role
    content: Text = Field(max_length=MAX_TURN_CHARS)
    name: Text | None = Field(default=None, max_length=MAX_NAME_CHARS)
    id: Id | None = Field(
        default=None,
        description="Yours, to make retries idempotent: an id names one turn; a different turn under a "
        "known id (in this batch or stored) is refused with 409",
    )
    created_at: Instant | None = Field(default=None, description="When it was said; default: when received")


class AppendMessagesRequest(ScopeRef):
    messages: list[NewMessage] = Field(min_length=1, max_length=MAX_MESSAGES_PER_REQUEST)


class AppendMessagesResponse(BaseModel):
    accepted: int
    message_ids: list[str]


class AddMemoryRequest(ScopeRef):
    content: Text = Field(max_length=MAX_CUSTOM_MEMORY_CHARS)
    created_at: Instant | None = Field(default=None, description="When it was said; default: when received")


class TimeRangeOut(BaseModel):
    start: datetime
    end: datetime
    recurrence: Literal["yearly", "monthly", "weekly"] | None = None


class InsightRevisionOut(BaseModel):
    value: str
    replaced_at: datetime


class MemoryOut(BaseModel):
    id: str
    type: MemoryType
    status: MemoryStatus
    content: str
    key: str | None = None
    value: str | None = None
    keywords: list[str] = []
    created_at: datetime
    updated_at: datetime
    event_time: TimeRangeOut | None = None
    source_message_ids: list[str] = []
    source_memory_ids: list[str] = []
    superseded_by: str | None = None
    history: list[InsightRevisionOut] = []
    score: float | None = None

    @classmethod
    def of(cls, node: MemoryNode, score: float | None = None) -> "MemoryOut":
        data: dict[str, Any] = node.model_dump(exclude={"scope", "reflected", "used_in_insight", "reconsolidated"})
        return cls.model_validate({**data, "score": score})


class MemoryResponse(BaseModel):
    memory: MemoryOut
    lineage: "LineageOut | None" = None


class MemoryListResponse(BaseModel):
    memories: list[MemoryOut]
    next_cursor: str | None = None


class MessageOut(BaseModel):
    id: str
    role: Role
    name: str | None = None
    content: str
    created_at: datetime

    @classmethod
    def of(cls, logged: LoggedMessage) -> "MessageOut":
        return cls.model_validate(logged.message.model_dump())


class TimeWindow(_Strict):
    """[start, end): the time a search is about, given explicitly instead of as words in the query."""

    start: Instant
    end: Instant = Field(description="After start")

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("must be after start")
        return end


class SearchRequest(ScopeRef):
    query: Text = Field(max_length=MAX_QUERY_CHARS)
    top_k: JsonInt = Field(default=20, ge=1, le=50)
    at: Instant | None = Field(default=None, description="The search's 'now' (default: the server's clock)")
    timezone: Timezone | None = Field(default=None, description="Resolves 'yesterday' and renders times; default UTC")
    types: list[MemoryType] | None = Field(default=None, max_length=len(MEMORY_TYPES))
    include_recent: bool = True
    include_expired: bool = False
    time_filter: bool = False
    time_window: TimeWindow | None = Field(
        default=None,
        description="The time the search is about; default: a time expression in the query ('last week'), if any. "
        "Memories whose event time overlaps it rank higher; with time_filter, only they are returned",
    )


class SearchResponse(BaseModel):
    memories: list[MemoryOut]
    recent: list[MessageOut]
    context: str


class JobRequest(ScopeRef):
    pass


class JobAccepted(BaseModel):
    status: Literal["queued"] = "queued"
    kind: Literal["consolidate", "reflect"]


class HealthResponse(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
    backend: str
    embedder: str
    consolidation: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[str] | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ChatRequest(ScopeRef):
    message: Text = Field(max_length=MAX_TURN_CHARS)
    system_prompt: Text | None = Field(default=None, max_length=MAX_SYSTEM_PROMPT_CHARS)
    history: Literal["auto", "none"] | Annotated[int, Field(ge=0, le=50), BeforeValidator(json_integer)] = "auto"
    timezone: Timezone | None = None


class ChatResponse(BaseModel):
    reply: str
    memories: list[MemoryOut]
    recent: list[MessageOut]


class LineageOut(BaseModel):
    """Where a memory came from and what replaced it."""

    source_messages: list[MessageOut] = []
    source_memories: list[MemoryOut] = []
    superseded_by: MemoryOut | None = None


MemoryResponse.model_rebuild()
