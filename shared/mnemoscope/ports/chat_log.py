"""ChatLog port: the raw chat turns of each scope (the source of truth) and the scope's bookkeeping."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from mnemoscope.domain.message import LoggedMessage, Message
from mnemoscope.domain.scope import Scope


class AppendResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    stored_ids: tuple[str, ...]
    duplicate_ids: tuple[str, ...]


class ScopeState(BaseModel):
    """Per-scope bookkeeping: how far consolidation got and what reflection is owed."""

    model_config = ConfigDict(frozen=True)

    scope: Scope
    last_seq: int = 0
    watermark: int = 0
    unreflected_observations: int = 0
    last_reflected_at: datetime | None = None
    first_unreflected_at: datetime | None = None


class ChatLog(Protocol):
    def append(self, scope: Scope, messages: Sequence[Message]) -> AppendResult:
        """Store turns in order; a message id already in the scope is not stored again."""
        ...

    def pending(self, scope: Scope, limit: int = 1000) -> list[LoggedMessage]:
        """Turns after the watermark, oldest first (at most `limit`)."""
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
        observations that consolidation created, for the reflection scheduler."""
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
