"""Runs one scope job (consolidate or reflect): the work behind the queue, shared by SQS and the local queue."""

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, SerializeAsAny

from mnemoscope.contracts.jobs import JobKind, ScopeJob
from mnemoscope.domain.errors import ModelNotConfigured
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.chat_log import ChatLog
from mnemoscope.ports.clock import Clock, SystemClock
from mnemoscope.ports.job_queue import JobQueue


class JobReport(BaseModel):
    """What every job reports (counts only: safe to log and to turn into metrics)."""

    model_config = ConfigDict(frozen=True)

    scope_key: str
    model_calls: int = 0
    model_requests: int = 0  # every request sent, repairs included (a failed job has requests but no call result)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    skipped_reason: str | None = None
    has_more: bool = False
    # The error class of a failure that retrying the same input cannot fix (see services/poison.py).
    failed: str | None = None

    def counts(self) -> dict[str, int]:
        """The numeric fields, for metrics and logs."""
        return {k: v for k, v in self.model_dump().items() if isinstance(v, int) and not isinstance(v, bool)}


class ScopeProcessor(Protocol):
    """Consolidation or reflection: does one job's work for one scope."""

    def run(self, scope: Scope) -> JobReport: ...


class JobOutcome(BaseModel):
    """`retry`: the job hit a failure that retrying the same input cannot fix; it was counted (see
    services/poison.py) and a follow-up job was queued, so the SQS record itself succeeds. `paused`: no chat
    model; `report` is None and `pending_turns` says what waits."""

    model_config = ConfigDict(frozen=True)

    kind: JobKind
    status: Literal["done", "paused", "retry"]
    # SerializeAsAny: the dump carries the worker's own fields (ConsolidationReport, ReflectionReport).
    report: SerializeAsAny[JobReport] | None = None
    pending_turns: int = 0

    def counts(self) -> dict[str, int]:
        return self.report.counts() if self.report else {"pending_turns": self.pending_turns}


class JobRunner:
    """Dispatches jobs. Without a chat model the job is acknowledged as 'paused': its turns stay behind the
    watermark in the log, and the next job after a model is configured picks them up (nothing is lost)."""

    def __init__(
        self,
        chat_log: ChatLog,
        consolidation: ScopeProcessor | None,
        reflection: ScopeProcessor | None,
        job_queue: JobQueue | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._chat_log = chat_log
        self._workers = {"consolidate": consolidation, "reflect": reflection}
        self._queue = job_queue
        self._clock = clock or SystemClock()

    def run(self, job: ScopeJob) -> JobOutcome:
        worker = self._workers[job.kind]
        if worker is None:
            return self._paused(job)
        try:
            report = worker.run(job.scope)
        except ModelNotConfigured:
            return self._paused(job)
        if report.has_more and self._queue is not None:
            # A job reads a bounded number of turns (or failed and was counted): the rest goes to a follow-up job.
            follow_up = ScopeJob(
                kind=job.kind, scope=job.scope, requested_at=self._clock.now(), follow_up=job.follow_up + 1
            )
            self._queue.enqueue(follow_up)
        return JobOutcome(kind=job.kind, status="retry" if report.failed else "done", report=report)

    def _paused(self, job: ScopeJob) -> JobOutcome:
        pending = len(self._chat_log.pending(job.scope)) if job.kind == "consolidate" else 0
        return JobOutcome(kind=job.kind, status="paused", pending_turns=pending)
