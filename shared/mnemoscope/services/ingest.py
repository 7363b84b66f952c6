"""Ingest: append chat turns to the log and ask for consolidation."""

from collections.abc import Sequence

from mnemoscope.contracts.api import NewMessage
from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.ids import new_id
from mnemoscope.domain.message import Message
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import AppendResult, ChatLog
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.job_queue import JobQueue


class IngestService:
    def __init__(self, chat_log: ChatLog, job_queue: JobQueue, clock: Clock) -> None:
        self._chat_log = chat_log
        self._job_queue = job_queue
        self._clock = clock

    def append(self, scope: Scope, new_messages: Sequence[NewMessage]) -> tuple[list[str], AppendResult]:
        """Store the turns (ids and times filled in) and enqueue one consolidation job for the scope.

        Returns the ids of all the request's messages (stored or already known) and the append result."""
        now = self._clock.now()
        messages = [
            Message(
                id=m.id or new_id("msg"),
                role=m.role,
                name=m.name,
                content=m.content,
                created_at=m.created_at or now,
            )
            for m in new_messages
        ]
        result = self._chat_log.append(scope, messages)
        if result.stored_ids:
            self._job_queue.enqueue(ScopeJob(kind="consolidate", scope=scope, requested_at=now))
        return [m.id for m in messages], result
