"""MemoryEventPublisher port: announce memory changes (after they are written) to whoever subscribed."""

from collections.abc import Sequence
from datetime import datetime
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


class MemoryEventOutbox(Protocol):
    """Durable holding place for events between "about to write" and "published" (AWS only: the local webhook
    publisher only queues, so it cannot fail after a write)."""

    def hold(self, events: Sequence[MemoryEvent], at: datetime) -> None:
        """Keep the events until released (idempotent per event id)."""
        ...

    def release(self, event_ids: Sequence[str]) -> None:
        """Forget the events (published, or found never to have happened)."""
        ...

    def held(self, before: datetime, limit: int) -> list[MemoryEvent]:
        """Events held since before `before`, at most `limit`."""
        ...
