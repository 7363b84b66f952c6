"""Chat turns as the log stores them."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from mnemoscope.domain.ids import ID_PATTERN

Role = Literal["user", "assistant", "system"]
MAX_CONTENT_CHARS = 16_000

MessageId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class Message(BaseModel):
    """One chat turn. `created_at` is when it was said (timezone-aware)."""

    model_config = ConfigDict(frozen=True)

    id: MessageId
    role: Role
    name: str | None = Field(default=None, max_length=128)
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS)
    created_at: AwareDatetime


class LoggedMessage(BaseModel):
    """A message with its position in the scope's log; `seq` grows with arrival, not with `created_at`,
    so a late message with an old timestamp is never hidden behind the watermark."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=1)
    message: Message
    logged_at: datetime
