"""Poison turns: which head of the pending turns a consolidation job tries, and what a failure that retrying cannot
fix does to the scope (count it, halve the batch, or set one turn aside).

Only deterministic failures count: the model's answer never validated (LlmOutputInvalid, after its one repair), or
the model refused the input itself (ModelInputRejected: content filter, input too long). Outages and timeouts
(DependencyUnavailable) never count: they fail the job, SQS retries it, then the DLQ keeps it.

The search is a bisection over the batch that failed, head first, so every step is an ordinary consolidation of a
prefix of the pending turns and the watermark only moves over turns that were consolidated or set aside:

* the whole batch fails `attempts_before_split` times in a row -> the next job tries its first half;
* a smaller batch fails once -> the next job tries its first half; a batch that succeeds moves the head on, and the
  next job tries the same size from there (the poison is in what is left of the failed range);
* a single turn fails `attempts_before_quarantine` times in a row -> it is quarantined, the streak ends, and the
  scope's later turns go on in whole batches.

Failed jobs spent on one poison turn, at most: N_split + (ceil(log2 n) - 1) + N_quarantine, for a first batch of
n turns (n <= max_turns_per_job): 2 + 7 + 2 = 11 with the defaults and n = 200; each job makes at most 2 model
calls of at most 2 requests (one repair)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mnemoscope.domain.errors import LlmOutputInvalid, ModelInputRejected
from mnemoscope.domain.message import LoggedMessage
from mnemoscope.ports.chat_log import MAX_REASON_CHARS, FailureStreak

DETERMINISTIC_FAILURES: tuple[type[Exception], ...] = (LlmOutputInvalid, ModelInputRejected)


def safe_reason(error: Exception) -> str:
    """A short reason fit for logs and the API: never the model's output or the user's text."""
    if isinstance(error, ModelInputRejected):
        return str(error)[:MAX_REASON_CHARS]  # status + provider error code only (see the adapters)
    return "the model's answer did not validate, even after one repair"


@dataclass(frozen=True)
class FailureStep:
    """What to do after a deterministic failure: keep the streak (retry), or quarantine the batch's only turn."""

    streak: FailureStreak
    quarantine: bool


@dataclass(frozen=True)
class PoisonPolicy:
    attempts_before_split: int = 2
    attempts_before_quarantine: int = 2

    def __post_init__(self) -> None:
        if self.attempts_before_split < 1 or self.attempts_before_quarantine < 1:
            raise ValueError("attempt thresholds must be >= 1")

    def max_failed_jobs(self, first_batch: int) -> int:
        """The worst case of failed jobs spent on one poison turn found in a first batch of `first_batch` turns."""
        if first_batch <= 1:
            return self.attempts_before_quarantine
        halvings = math.ceil(math.log2(first_batch))
        return self.attempts_before_split + halvings - 1 + self.attempts_before_quarantine

    @staticmethod
    def active(streak: FailureStreak | None, head_seq: int) -> FailureStreak | None:
        """The streak while the head is still inside the range that failed; None once consolidation passed it."""
        return streak if streak is not None and streak.suspect_end >= head_seq else None

    def window(self, streak: FailureStreak | None, head_seq: int, max_turns: int) -> int:
        """How many pending turns the next job consolidates."""
        live = self.active(streak, head_seq)
        return max_turns if live is None else live.window

    def after_failure(
        self, streak: FailureStreak | None, batch: Sequence[LoggedMessage], error: Exception
    ) -> FailureStep:
        head, size = batch[0].seq, len(batch)
        live = self.active(streak, head)
        same_batch = live is not None and live.head_seq == head and live.window == size
        attempts = live.attempts + 1 if live is not None and same_batch else 1
        bisecting = live.bisecting if live is not None else False
        # A whole batch gets N chances (the model may just have had a bad moment); a half of a batch that failed
        # N times gets one; a single turn gets N again before it is set aside.
        needed = self.attempts_before_split if not bisecting else 1
        needed = self.attempts_before_quarantine if size == 1 else needed
        current = FailureStreak(
            head_seq=head,
            window=size,
            attempts=attempts,
            failures=(live.failures if live is not None else 0) + 1,
            suspect_end=live.suspect_end if live is not None else batch[-1].seq,
            bisecting=bisecting,
            error=type(error).__name__,
            reason=safe_reason(error),
        )
        if attempts < needed:
            return FailureStep(current, quarantine=False)
        if size == 1:
            return FailureStep(current, quarantine=True)
        halved = current.model_copy(update={"window": math.ceil(size / 2), "attempts": 0, "bisecting": True})
        return FailureStep(halved, quarantine=False)
