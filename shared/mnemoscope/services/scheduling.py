"""Queueing scope jobs: on request (POST /v1/consolidate, /v1/reflect) and by the scheduled sweep, which queues
reflection for due scopes and consolidation for turns left waiting (no model before, or a job that reached the DLQ)."""

from dataclasses import dataclass
from datetime import timedelta

from mnemoscope.contracts.jobs import JobKind, ScopeJob
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import ChatLog
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.job_queue import JobQueue


@dataclass(frozen=True)
class SweepReport:
    enqueued: int
    backlog: int


class JobScheduler:
    def __init__(self, chat_log: ChatLog, job_queue: JobQueue, clock: Clock, *, consolidating: bool) -> None:
        self._log = chat_log
        self._queue = job_queue
        self._clock = clock
        # Without a chat model, a consolidation job would only be acknowledged as paused.
        self._consolidating = consolidating

    def request(self, kind: JobKind, scope: Scope) -> None:
        """Queue a job for the scope now. Raises DependencyUnavailable when the queue is down."""
        self._queue.enqueue(ScopeJob(kind=kind, scope=scope, requested_at=self._clock.now()))

    def sweep(self, min_observations: int, max_age: timedelta, max_scopes: int) -> SweepReport:
        """Queue reflection for scopes owing it and consolidation for scopes with waiting turns."""
        now = self._clock.now()
        due = self._log.scopes_due_for_reflection(min_observations, now - max_age)[:max_scopes]
        for scope in due:
            self._queue.enqueue(ScopeJob(kind="reflect", scope=scope, requested_at=now))
        backlog = self._log.scopes_with_pending(max_scopes) if self._consolidating else []
        for scope in backlog:
            self._queue.enqueue(ScopeJob(kind="consolidate", scope=scope, requested_at=now))
        return SweepReport(enqueued=len(due), backlog=len(backlog))
