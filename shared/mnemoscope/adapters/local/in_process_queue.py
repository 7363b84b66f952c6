"""The embedded default's JobQueue: a background thread that feeds SQS-shaped events to the consolidate handler.

Like the FIFO queue in AWS it runs one job at a time (so a scope is never consolidated and reflected at once),
drops a job identical to one still waiting (de-duplication), and retries a job the handler reports as failed a few
times with a growing delay (SQS's visibility timeout and maxReceiveCount); after that the job is dropped, its turns
stay behind the watermark in the log, and the next job for the scope picks them up. While a job waits for its retry,
later jobs of the same scope (its message group) wait behind it, as they would in SQS FIFO; other scopes go on."""

import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mnemoscope.contracts.jobs import ScopeJob

Dispatch = Callable[[dict[str, Any]], Any]


def sqs_event(job: ScopeJob) -> dict[str, Any]:
    """The event SQS would deliver to the consolidate function for this job."""
    body = job.model_dump_json()
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "local",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": str(int(job.requested_at.timestamp() * 1000)),
                    "MessageGroupId": job.scope.key,
                    "MessageDeduplicationId": job.dedup_key(),
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:local:000000000000:mnemoscope-scope-jobs.fifo",
                "awsRegion": "local",
            }
        ]
    }


@dataclass(frozen=True)
class _Entry:
    job: ScopeJob
    retry: bool = False


class InProcessJobQueue:
    def __init__(
        self,
        dispatch: Dispatch,
        on_error: Callable[[ScopeJob, Exception | None], None] | None = None,
        *,
        max_attempts: int = 3,
        retry_delay_seconds: float = 5.0,
    ) -> None:
        self._dispatch = dispatch
        self._on_error = on_error
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay_seconds
        self._attempts: dict[tuple[str, str], int] = {}
        self._jobs: queue.Queue[_Entry | None] = queue.Queue()
        self._waiting: set[tuple[str, str]] = set()
        self._blocked: dict[str, list[ScopeJob]] = {}  # scope key -> later jobs held behind a job awaiting its retry
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = False
        self._thread: threading.Thread | None = None
        self._timers: set[threading.Timer] = set()  # retries waiting their delay; cancelled by `stop`

    def enqueue(self, job: ScopeJob) -> None:
        key = (job.kind, job.scope.key)
        with self._lock:
            if key in self._waiting:
                return
            self._waiting.add(key)
        self._jobs.put(_Entry(job))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="mnemoscope-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Run what is queued, then end the worker; retries still waiting are dropped (their turns stay pending in
        the log, and the next job for the scope takes them). No thread of the queue outlives this call."""
        with self._lock:
            timers, self._timers = set(self._timers), set()
        for timer in timers:
            timer.cancel()
            timer.join(timeout)
        self._jobs.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no job is waiting or running (tests and the CLI use it)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._waiting and not self._busy, timeout)

    def _work(self) -> None:
        while (entry := self._jobs.get()) is not None:
            job = entry.job
            with self._lock:
                if not entry.retry and job.scope.key in self._blocked:
                    self._blocked[job.scope.key].append(job)  # still "waiting": a duplicate is dropped
                    continue
                self._waiting.discard((job.kind, job.scope.key))
                self._busy = True
            try:
                result = self._dispatch(sqs_event(job))
                failed = bool(isinstance(result, dict) and result.get("batchItemFailures"))
                self._settle(job, None if not failed else RuntimeError("job reported failed"))
            except Exception as error:  # the loop must survive one bad job, as an SQS consumer would
                self._settle(job, error)
            finally:
                with self._idle:
                    self._busy = False
                    self._idle.notify_all()

    def _settle(self, job: ScopeJob, error: Exception | None) -> None:
        key = (job.kind, job.scope.key)
        attempts = self._attempts.get(key, 0) + 1
        if error is not None and self._on_error:
            self._on_error(job, error)
        if error is None or attempts >= self._max_attempts:
            self._attempts.pop(key, None)
            with self._lock:
                held = self._blocked.pop(job.scope.key, [])
            for later in held:  # the scope's later jobs, in their order
                self._jobs.put(_Entry(later))
            return
        self._attempts[key] = attempts
        with self._lock:
            self._blocked.setdefault(job.scope.key, [])
        timer = threading.Timer(self._retry_delay * attempts, self._retry, args=(_Entry(job, retry=True),))
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def _retry(self, entry: _Entry) -> None:
        with self._lock:
            self._timers = {t for t in self._timers if t is not threading.current_thread()}
        self._jobs.put(entry)
