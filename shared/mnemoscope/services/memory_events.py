"""Announce memory changes: a MemoryIndex that wraps the real one and publishes one event per change, after the
write returned (committed), before the caller goes on.

Every service writes memories through the MemoryIndex port, so wrapping it covers them all (admin API,
consolidation, reflection). What counts as a change, from the entries and the records read just before the write:

* created: an entry with a vector whose memory did not exist, or already holds the same content (a retried job
  rewriting its own deterministic id: announced again under the same event id);
* superseded: an entry that turns a valid memory (or one not stored yet) into an expired one with `superseded_by`;
* deleted: `delete` removed a memory; forgotten: `delete_scope` ran (the user's memories are gone).

Failure (AWS, with an outbox): the events of an upsert or delete are held in the outbox *before* the write, published
after it, then released. If publishing fails, the caller fails (503 / job retry) and the events stay held; the
relay (`EventRelay`, run by the reflect sweep) later publishes those whose change really happened (checked against
the memories) and discards the rest (a write that failed after the hold). So a committed change is announced at
least once even when its job is never retried the same way or its process dies between write and publish. A forget
is published after the write without the outbox: its caller learns of a failure and repeats the forget, which
announces it again. Without an outbox (`serve`: the webhook publisher only queues) events are published after the
write.
"""

import builtins
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from mnemoscope.domain import memory_events
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.memory_events import MemoryEvent
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.memory_events import MemoryEventOutbox, MemoryEventPublisher
from mnemoscope.ports.memory_index import (
    ANY,
    VALID,
    HybridHits,
    IndexEntry,
    MemoryFilter,
    MemoryIndex,
    MemoryPage,
    ScoredMemory,
)

logger = logging.getLogger(__name__)


def changes_of(
    entries: Sequence[IndexEntry], before: dict[str, MemoryNode], clock: Clock, *, include_content: bool = False
) -> list[MemoryEvent]:
    """The events an upsert of `entries` makes, given the stored memories `before` it (by id)."""
    now = clock.now()
    events: dict[str, MemoryEvent] = {}
    for entry in entries:
        node, old = entry.node, before.get(entry.node.id)
        if entry.vector is not None and node.status == "valid" and (old is None or old.content == node.content):
            event = memory_events.created(node, now, include_content=include_content)
            events[event.event_id] = event
        if node.status == "expired" and node.superseded_by and (old is None or old.status == "valid"):
            event = memory_events.superseded(old or node, node.superseded_by, now)
            events[event.event_id] = event
    return builtins.list(events.values())


class PublishingMemoryIndex:
    """MemoryIndex decorator: writes through to `inner`, then publishes the changes; reads pass straight through."""

    def __init__(
        self,
        inner: MemoryIndex,
        publisher: MemoryEventPublisher,
        clock: Clock,
        *,
        outbox: MemoryEventOutbox | None = None,
        include_content: bool = False,
    ) -> None:
        self._inner = inner
        self._publisher = publisher
        self._clock = clock
        self._outbox = outbox
        self._include_content = include_content

    def __getattr__(self, name: str) -> Any:
        # Backend extras (rebuild_search, records, projection) stay reachable through the wrapper.
        return getattr(self._inner, name)

    # -- writes ---------------------------------------------------------------------------------
    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        before: dict[str, MemoryNode] = {}
        for scope in {entry.node.scope for entry in entries}:
            ids = [entry.node.id for entry in entries if entry.node.scope == scope]
            before |= {node.id: node for node in self._inner.get_many(scope, ids)}
        events = changes_of(entries, before, self._clock, include_content=self._include_content)
        self._hold(events)
        self._inner.upsert(entries)
        self._publish(events)
        self._release(events)

    def delete(self, scope: Scope, memory_id: str) -> bool:
        node = self._inner.get(scope, memory_id)
        events = [memory_events.deleted(node, self._clock.now())] if node is not None else []
        self._hold(events)
        existed = self._inner.delete(scope, memory_id)
        if existed:
            self._publish(events)
        self._release(events)
        return existed

    def delete_scope(self, scope: Scope) -> int:
        count = self._inner.delete_scope(scope)
        self._publish([memory_events.forgotten(scope, count, self._clock.now())])
        return count

    def _hold(self, events: builtins.list[MemoryEvent]) -> None:
        if self._outbox is not None and events:
            self._outbox.hold(events, self._clock.now())

    def _release(self, events: builtins.list[MemoryEvent]) -> None:
        if self._outbox is None or not events:
            return
        try:
            self._outbox.release([e.event_id for e in events])
        except Exception as error:  # published already: the relay publishes them once more (same ids), no harm
            logger.warning("held memory events not released", extra={"reason": str(error)})

    def _publish(self, events: builtins.list[MemoryEvent]) -> None:
        if not events:
            return
        try:
            self._publisher.publish(events)
        except Exception:
            # The write stands; the caller fails (503 / job retry). Ids logged so an operator can trace the gap.
            logger.error("memory events not published", extra={"event_ids": [e.event_id for e in events]})
            raise

    # -- reads ----------------------------------------------------------------------------------
    def get(self, scope: Scope, memory_id: str) -> MemoryNode | None:
        return self._inner.get(scope, memory_id)

    def get_many(self, scope: Scope, memory_ids: Sequence[str]) -> builtins.list[MemoryNode]:
        return self._inner.get_many(scope, memory_ids)

    def vector_search(
        self, scope: Scope, vector: Sequence[float], k: int, memory_filter: MemoryFilter = VALID
    ) -> builtins.list[ScoredMemory]:
        return self._inner.vector_search(scope, vector, k, memory_filter)

    def keyword_search(
        self, scope: Scope, text: str, k: int, memory_filter: MemoryFilter = VALID
    ) -> builtins.list[ScoredMemory]:
        return self._inner.keyword_search(scope, text, k, memory_filter)

    def hybrid_search(
        self, scope: Scope, vector: Sequence[float], text: str, k: int, memory_filter: MemoryFilter = VALID
    ) -> HybridHits:
        return self._inner.hybrid_search(scope, vector, text, k, memory_filter)

    def list(
        self, scope: Scope, memory_filter: MemoryFilter = ANY, limit: int = 50, cursor: str | None = None
    ) -> MemoryPage:
        return self._inner.list(scope, memory_filter, limit, cursor)


@dataclass(frozen=True)
class RelayReport:
    published: int = 0
    discarded: int = 0


class EventRelay:
    """Publishes the outbox's leftovers: events held longer than any write takes whose change really happened."""

    def __init__(
        self,
        index: MemoryIndex,
        outbox: MemoryEventOutbox,
        publisher: MemoryEventPublisher,
        clock: Clock,
        *,
        min_age: timedelta = timedelta(minutes=5),  # longer than the longest function timeout: no write in flight
        limit: int = 500,
    ) -> None:
        self._index = index
        self._outbox = outbox
        self._publisher = publisher
        self._clock = clock
        self._min_age = min_age
        self._limit = limit

    def run(self) -> RelayReport:
        """Raises: DependencyUnavailable when publishing fails (the events stay held for the next run)."""
        held = self._outbox.held(self._clock.now() - self._min_age, self._limit)
        if not held:
            return RelayReport()
        happened = [event for event in held if self._happened(event)]
        if happened:
            self._publisher.publish(happened)
        self._outbox.release([event.event_id for event in held])
        return RelayReport(published=len(happened), discarded=len(held) - len(happened))

    def _happened(self, event: MemoryEvent) -> bool:
        # A held event whose change is not in the records belongs to a write that failed after the hold.
        node = self._index.get(event.scope, event.memory_id) if event.memory_id else None
        if event.kind == "memory.created":
            return node is not None
        if event.kind == "memory.superseded":
            return node is not None and node.status == "expired" and node.superseded_by == event.superseded_by
        if event.kind == "memory.deleted":
            return node is None
        return True
