"""TimeExtractor port: the LLM fallback for time references the deterministic parser could not resolve."""

from datetime import datetime
from typing import Protocol

from mnemoscope.domain.time_range import TimeRange


class TimeExtractor(Protocol):
    def extract(self, text: str, now: datetime) -> TimeRange | None:
        """The time range `text` refers to, relative to `now`, or None."""
        ...
