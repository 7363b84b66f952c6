"""Event times: a half-open range [start, end) with an optional recurrence."""

from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

Recurrence = Literal["yearly", "monthly", "weekly"]


class TimeRange(BaseModel):
    """A range of time. With `recurrence`, the range is one occurrence of a repeating event."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    end: AwareDatetime
    recurrence: Recurrence | None = None

    @model_validator(mode="after")
    def _end_after_start(self) -> "TimeRange":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    def overlaps(self, other: "TimeRange") -> bool:
        """True when the ranges share an instant; a recurring range matches any of its occurrences."""
        if self.recurrence is None and other.recurrence is None:
            return self.start < other.end and other.start < self.end
        if self.recurrence is not None and other.recurrence is None:
            return _recurring_overlaps(self, other.start, other.end)
        if other.recurrence is not None and self.recurrence is None:
            return _recurring_overlaps(other, self.start, self.end)
        # Two recurring events: compare occurrences near one of them.
        return _recurring_overlaps(self, other.start, other.end) or _recurring_overlaps(other, self.start, self.end)


def _shift(moment: datetime, recurrence: Recurrence, steps: int) -> datetime:
    if recurrence == "weekly":
        return moment + timedelta(weeks=steps)
    months = steps * (12 if recurrence == "yearly" else 1)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, _days_in_month(year, month))
    return moment.replace(year=year, month=month, day=day)


def _days_in_month(year: int, month: int) -> int:
    first_next = datetime(year + month // 12, month % 12 + 1, 1)
    return (first_next - timedelta(days=1)).day


def _period(recurrence: Recurrence) -> timedelta:
    return {"weekly": timedelta(weeks=1), "monthly": timedelta(days=31), "yearly": timedelta(days=366)}[recurrence]


def _recurring_overlaps(event: TimeRange, start: datetime, end: datetime) -> bool:
    """Does any occurrence of the recurring `event` overlap [start, end)?"""
    assert event.recurrence is not None
    period = _period(event.recurrence)
    # Jump near `start`, then walk occurrences until one begins after `end`.
    approx_steps = int((start - event.start) / period) - 1
    step = approx_steps
    while True:
        occ_start = _shift(event.start, event.recurrence, step)
        occ_end = occ_start + (event.end - event.start)
        if occ_start >= end:
            return False
        if occ_end > start:
            return True
        step += 1
