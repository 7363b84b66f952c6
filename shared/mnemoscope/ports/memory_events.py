"""MemoryEventPublisher port: announce memory changes (after they are written) to whoever subscribed."""

from collections.abc import Sequence
from typing import Protocol

from mnemoscope.domain.memory_events import MemoryEvent


class MemoryEventPublisher(Protocol):
    def publish(self, events: Sequence[MemoryEvent]) -> None:
        """Hand the events over for delivery, at least once each.

        Raises:
            DependencyUnavailable: some events were not accepted (the caller fails, so its retry re-announces them).
        """
        ...

    def close(self) -> None:
        """Stop background delivery, if any (the runtime calls it on shutdown)."""
        ...


class DiscardingMemoryEvents:
    """The null publisher: no subscribers configured."""

    def publish(self, events: Sequence[MemoryEvent]) -> None:
        return None

    def close(self) -> None:
        return None
