"""FlakyPublisher: a MemoryEventPublisher that forwards to a real one, or fails while told to (an outage)."""

from collections.abc import Sequence
from dataclasses import dataclass

from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.domain.memory_events import MemoryEvent
from mnemoscope.ports.memory_events import MemoryEventPublisher


@dataclass
class FlakyPublisher:
    inner: MemoryEventPublisher
    failing: bool = False

    def publish(self, events: Sequence[MemoryEvent]) -> None:
        if self.failing:
            raise DependencyUnavailable("event bus down (test)")
        self.inner.publish(events)

    def close(self) -> None:
        self.inner.close()
