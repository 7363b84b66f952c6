"""ChatLog port: the raw chat turns of each scope (the source of truth) and the scope's bookkeeping."""

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from mnemoscope.domain.errors import InvalidMemoryRequest
from mnemoscope.domain.message import LoggedMessage, Message
from mnemoscope.domain.scope import Scope


class AppendResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    stored_ids: tuple[str, ...]
    duplicate_ids: tuple[str, ...]


TurnState = Literal["pending", "consolidated", "quarantined"]
MAX_REASON_CHARS = 300


class FailureStreak(BaseModel):
    """Consolidation failures that retrying cannot fix (invalid model output, the model refusing the input): the
    batch that failed (first seq, size), how often in a row, every failure of the streak, the last seq of the range
    known to hold the poison, and whether it is being halved. The poison policy (services/poison.py) owns it."""

    model_config = ConfigDict(frozen=True)

    head_seq: int = Field(ge=1)
    window: int = Field(ge=1)
    attempts: int = Field(ge=0)
    failures: int = Field(default=0, ge=0)
    suspect_end: int = Field(ge=1)
    bisecting: bool = False
    error: str = Field(max_length=80)
    reason: str = Field(max_length=MAX_REASON_CHARS)


class QuarantineRecord(BaseModel):
    """Why a turn was set aside. `retrying`: released by the user, pending again until the next job settles it."""

    model_config = ConfigDict(frozen=True)

    error: str = Field(max_length=80)
    reason: str = Field(max_length=MAX_REASON_CHARS)
    attempts: int = Field(ge=1)
    quarantined_at: datetime
    retrying: bool = False


class TurnView(BaseModel):
    """A turn with its consolidation state (for reading the log back)."""

    model_config = ConfigDict(frozen=True)

    logged: LoggedMessage
    state: TurnState
    quarantine: QuarantineRecord | None = None


class TurnPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: tuple[TurnView, ...]
    next_cursor: str | None = None


def turn_cursor_seq(cursor: str | None) -> int:
    """A turn page's cursor is the seq of the last turn shown (the next page starts below it); for adapters.

    Raises:
        InvalidMemoryRequest: the cursor is not a seq (field "cursor").
    """
    if cursor is None:
        return 10**15
    if not cursor.isdigit() or len(cursor) > 15:
        raise InvalidMemoryRequest("cursor is not one this API returned", field="cursor")
    return int(cursor)


class ScopeState(BaseModel):
    """Per-scope bookkeeping: how far consolidation got and what reflection is owed."""

    model_config = ConfigDict(frozen=True)

    scope: Scope
    last_seq: int = 0
    watermark: int = 0
    unreflected_observations: int = 0
    last_reflected_at: datetime | None = None
    first_unreflected_at: datetime | None = None
    failure: FailureStreak | None = None


class ChatLog(Protocol):
    def append(self, scope: Scope, messages: Sequence[Message]) -> AppendResult:
        """Store turns in order; a message id already in the scope is not stored again."""
        ...

    def pending(self, scope: Scope, limit: int = 1000) -> list[LoggedMessage]:
        """Turns to consolidate, oldest first (at most `limit`): quarantined turns released for a retry (they sit
        behind the watermark), then the turns after the watermark."""
        ...

    def recent(self, scope: Scope, limit: int) -> list[LoggedMessage]:
        """The scope's last `limit` turns, oldest first."""
        ...

    def get_messages(self, scope: Scope, message_ids: Sequence[str]) -> list[LoggedMessage]:
        """The turns with these ids (missing ids are skipped), oldest first."""
        ...

    def state(self, scope: Scope) -> ScopeState:
        """The scope's bookkeeping (zeros for an unknown scope)."""
        ...

    def advance_watermark(self, scope: Scope, seq: int, new_observations: int = 0, at: datetime | None = None) -> None:
        """Move the watermark forward to `seq` (never backwards; a lower seq is a no-op) and count the
        observations that consolidation created, for the reflection scheduler. Released quarantined turns up to
        `seq` count as consolidated now (their quarantine record goes)."""
        ...

    def list_turns(self, scope: Scope, limit: int, cursor: str | None = None) -> TurnPage:
        """The scope's turns newest first with their consolidation state; `cursor` comes from the previous page.

        Raises:
            InvalidMemoryRequest: the cursor is not one this log issued (field "cursor").
        """
        ...

    def save_failure(self, scope: Scope, streak: FailureStreak | None) -> None:
        """Store (or with None, clear) the scope's failure streak; it is returned in `state(scope).failure`."""
        ...

    def quarantine(self, scope: Scope, seqs: Sequence[int], record: QuarantineRecord) -> None:
        """Set these turns aside with the reason and move the watermark past them (never backwards). The caller
        quarantines a head of `pending()` only, so no unconsolidated turn is skipped. Clears the failure streak."""
        ...

    def release_quarantine(self, scope: Scope, message_ids: Sequence[str] | None = None) -> list[str]:
        """Put quarantined turns (all, or those with these ids) back into `pending()`; returns their ids."""
        ...

    def mark_reflected(self, scope: Scope, at: datetime) -> None:
        """Reset the reflection counters after a reflection run."""
        ...

    def scopes_due_for_reflection(self, min_observations: int, max_age_before: datetime) -> list[Scope]:
        """Scopes with >= min_observations unreflected observations, or with any unreflected observation
        older than `max_age_before`."""
        ...

    def scopes_with_pending(self, limit: int = 1000) -> list[Scope]:
        """Scopes whose log has turns after the watermark (a maintenance sweep, not a hot path)."""
        ...

    def delete_scope(self, scope: Scope) -> None:
        """Forget every turn and the bookkeeping of the scope."""
        ...
