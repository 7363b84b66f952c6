"""RecordingMemoryEvents: a MemoryEventPublisher that keeps what it was given (and can be told to fail)."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.domain.memory_events import MemoryEvent


@dataclass
class RecordingMemoryEvents:
    published: list[MemoryEvent] = field(default_factory=list)
    failing: bool = False

    def publish(self, events: Sequence[MemoryEvent]) -> None:
        if self.failing:
            raise DependencyUnavailable("event bus down")
        self.published.extend(events)

    def close(self) -> None:
        return None

    def kinds(self) -> list[tuple[str, str | None]]:
        return [(e.kind, e.memory_id) for e in self.published]
