"""Wire schemas for reading chat turns back and retrying quarantined ones (GET /v1/messages, POST
/v1/messages/retry)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from mnemoscope.contracts.api import Id, ScopeRef
from mnemoscope.domain.message import Role

MAX_RETRY_IDS = 100


class QuarantineOut(BaseModel):
    error: str = Field(description="The error class, e.g. LlmOutputInvalid or ModelInputRejected")
    reason: str = Field(description="A short reason; never the turn's text or the model's answer")
    attempts: int = Field(description="Failed consolidation jobs spent before the turn was set aside")
    quarantined_at: datetime
    retrying: bool = Field(description="Released for a retry; the next consolidation job takes it")


class TurnOut(BaseModel):
    id: str
    role: Role
    name: str | None = None
    content: str
    created_at: datetime
    seq: int = Field(description="Arrival order in the scope's log")
    state: Literal["pending", "consolidated", "quarantined"]
    quarantine: QuarantineOut | None = None


class TurnListResponse(BaseModel):
    messages: list[TurnOut] = Field(description="Newest first")
    next_cursor: str | None = None


class RetryRequest(ScopeRef):
    message_ids: list[Id] | None = Field(
        default=None, max_length=MAX_RETRY_IDS, description="Quarantined turns to retry; all of them when omitted"
    )


class RetryAccepted(BaseModel):
    released: int
    message_ids: list[str]
    job: Literal["queued", "none"] = Field(description="A consolidation job was queued when a turn was released")
