"""Wire schemas of the HTTP API (requests, responses, errors). The committed OpenAPI document comes from these."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from mnemoscope.domain.ids import ID_PATTERN
from mnemoscope.domain.memory import MAX_MEMORY_CHARS, MemoryNode, MemoryStatus, MemoryType
from mnemoscope.domain.message import MAX_CONTENT_CHARS, LoggedMessage, Role

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
MAX_MESSAGES_PER_REQUEST = 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScopeRef(_Strict):
    user_id: Id
    agent_id: Id = "default"


class NewMessage(_Strict):
    role: Role
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)
    name: str | None = Field(default=None, max_length=128)
    id: Id | None = None
    created_at: AwareDatetime | None = None


class AppendMessagesRequest(ScopeRef):
    messages: list[NewMessage] = Field(min_length=1, max_length=MAX_MESSAGES_PER_REQUEST)


class AppendMessagesResponse(BaseModel):
    accepted: int
    message_ids: list[str]


class AddMemoryRequest(ScopeRef):
    content: str = Field(min_length=1, max_length=MAX_MEMORY_CHARS)
    # When the remembered thing was said (imports, evaluation replays); the server's clock when omitted.
    created_at: AwareDatetime | None = None


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


class SearchRequest(ScopeRef):
    query: str = Field(min_length=1, max_length=4000)
    top_k: int = Field(default=20, ge=1, le=50)
    at: AwareDatetime | None = None
    timezone: str | None = Field(default=None, max_length=64)
    types: list[MemoryType] | None = None
    include_recent: bool = True
    include_expired: bool = False
    time_filter: bool = False


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
    message: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)
    system_prompt: str | None = Field(default=None, max_length=MAX_CONTENT_CHARS)
    history: Literal["auto", "none"] | Annotated[int, Field(ge=0, le=50)] = "auto"
    timezone: str | None = Field(default=None, max_length=64)


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
