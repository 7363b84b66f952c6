"""Announce memory changes: a MemoryIndex that wraps the real one and publishes one event per change, after the
write returned (committed), before the caller goes on.

Every service writes memories through the MemoryIndex port, so wrapping it covers them all (admin API,
consolidation, reflection). What counts as a change, from the entries and the records read just before the write:

* created: an entry with a vector whose memory did not exist, or already holds the same content (a retried job
  rewriting its own deterministic id: announced again under the same event id);
* superseded: an entry that turns a valid memory (or one not stored yet) into an expired one with `superseded_by`;
* deleted: `delete` removed a memory; forgotten: `delete_scope` ran (the user's memories are gone).

Failure: the publisher raises DependencyUnavailable, so an API call answers 503 and a job fails before it moves
its watermark or flags (SQS retries it). An operation therefore never reports success before its events were
accepted. What a failed attempt already committed is re-announced only when the retry makes the same change again
(docs/decisions.md, issue 16, names the gap and the outbox that would close it)."""

import builtins
import logging
from collections.abc import Sequence
from typing import Any

from mnemoscope.domain import memory_events
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.memory_events import MemoryEvent
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.memory_events import MemoryEventPublisher
from mnemoscope.ports.memory_index import ANY, VALID, IndexEntry, MemoryFilter, MemoryIndex, MemoryPage, ScoredMemory

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
        self, inner: MemoryIndex, publisher: MemoryEventPublisher, clock: Clock, *, include_content: bool = False
    ) -> None:
        self._inner = inner
        self._publisher = publisher
        self._clock = clock
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
        self._inner.upsert(entries)
        self._publish(changes_of(entries, before, self._clock, include_content=self._include_content))

    def delete(self, scope: Scope, memory_id: str) -> bool:
        node = self._inner.get(scope, memory_id)
        existed = self._inner.delete(scope, memory_id)
        if existed and node is not None:
            self._publish([memory_events.deleted(node, self._clock.now())])
        return existed

    def delete_scope(self, scope: Scope) -> int:
        count = self._inner.delete_scope(scope)
        self._publish([memory_events.forgotten(scope, count, self._clock.now())])
        return count

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

    def list(
        self, scope: Scope, memory_filter: MemoryFilter = ANY, limit: int = 50, cursor: str | None = None
    ) -> MemoryPage:
        return self._inner.list(scope, memory_filter, limit, cursor)
