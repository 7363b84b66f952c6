from datetime import UTC, datetime, timedelta


class FixedClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime = datetime(2024, 8, 2, 10, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)
