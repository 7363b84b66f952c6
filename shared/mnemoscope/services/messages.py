"""Reading a scope's chat turns back, and putting quarantined turns back into consolidation."""

from collections.abc import Sequence

from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import ChatLog, TurnPage
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.job_queue import JobQueue


class MessageLogService:
    def __init__(self, chat_log: ChatLog, job_queue: JobQueue, clock: Clock) -> None:
        self._log = chat_log
        self._queue = job_queue
        self._clock = clock

    def page(self, scope: Scope, limit: int, cursor: str | None = None) -> TurnPage:
        """Turns newest first with their consolidation state. Raises InvalidMemoryRequest for a foreign cursor."""
        return self._log.list_turns(scope, limit, cursor)

    def retry(self, scope: Scope, message_ids: Sequence[str] | None = None) -> list[str]:
        """Release quarantined turns (all, or these) and queue a consolidation job; returns the released ids.

        Raises:
            DependencyUnavailable: the log or the queue failed (releasing again is safe).
        """
        released = self._log.release_quarantine(scope, message_ids)
        if released:
            self._queue.enqueue(ScopeJob(kind="consolidate", scope=scope, requested_at=self._clock.now()))
        return released
