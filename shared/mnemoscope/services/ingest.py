"""Ingest: append chat turns to the log and ask for consolidation."""

from collections.abc import Sequence

from mnemoscope.contracts.api import NewMessage
from mnemoscope.contracts.jobs import ScopeJob
from mnemoscope.domain.errors import MessageIdConflict
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

        Returns the ids of all the request's messages (stored or already known) and the append result.

        Raises:
            MessageIdConflict: when an id already names a different turn; nothing is stored then."""
        self._refuse_conflicts(scope, new_messages)
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

    def _refuse_conflicts(self, scope: Scope, new_messages: Sequence[NewMessage]) -> None:
        """Resending a turn under its id is idempotent; a different turn under a known id is an error, never a
        silent drop. Two requests racing with the same new id are not caught here: the first one stored wins."""
        first: dict[str, NewMessage] = {}
        for i, m in enumerate(new_messages):
            if m.id is not None and not _same_turn(m, first.setdefault(m.id, m)):
                message = f"id {m.id!r} names a different turn earlier in this batch"
                raise MessageIdConflict(message, f"messages[{i}].id")
        if not first:
            return
        stored = {logged.message.id: logged.message for logged in self._chat_log.get_messages(scope, list(first))}
        for i, m in enumerate(new_messages):
            known = stored.get(m.id or "")
            if known is not None and not _same_turn(m, known):
                raise MessageIdConflict(f"id {m.id!r} already names a different stored turn", f"messages[{i}].id")


def _same_turn(sent: NewMessage, known: NewMessage | Message) -> bool:
    """Same speaker and text; the time too when both carry one (a retry may leave it out)."""
    same_time = sent.created_at is None or known.created_at is None or sent.created_at == known.created_at
    return (sent.role, sent.name, sent.content) == (known.role, known.name, known.content) and same_time
