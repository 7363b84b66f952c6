"""MemoryIndex on AWS: DynamoDB records are the truth, an OpenSearch projection serves search.

* get / get_many / list / delete / forget read and write the records only (strongly consistent).
* upsert writes the records first (conditional: each at the version it was read at), then the projection.
  If the projection write fails the records stay; the call raises DependencyUnavailable, so a job is retried
  (the retry writes both again), and `mnemoscope reindex` rebuilds whatever is still missing.
* search asks the projection for more than k hits, then re-checks them against the records with one
  BatchGetItem: a hit whose record is gone, or whose record no longer passes the filter (superseded, deleted),
  is dropped, and each memory appears once (de-duplication on read). Documents that can no longer matter
  (no record, or an older duplicate of a memory whose current document is also present) are deleted on the way.
"""

from __future__ import annotations

import builtins
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from mnemoscope.adapters.aws.dynamodb_memory_records import (
    DynamoDbMemoryRecords,
    MemoryRecord,
    RecordChange,
    matches,
)
from mnemoscope.adapters.aws.opensearch_projection import OpenSearchProjection, Projected, ProjectionHit
from mnemoscope.adapters.aws.opensearch_queries import unit_vector
from mnemoscope.adapters.spare_workers import SpareWorkers
from mnemoscope.domain.errors import DependencyUnavailable, InvalidMemoryRequest, MemoryServiceError
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import ANY, VALID, HybridHits, IndexEntry, MemoryFilter, MemoryPage, ScoredMemory

logger = logging.getLogger(__name__)
_Key = tuple[Scope, str]


def overfetch(k: int) -> int:
    """Hits asked from the projection for k results: room for stale and duplicate documents."""
    return k * 2 + 5


# Allowance for the time between a record's `written_at` and its projection document reaching the index (a
# DynamoDB write and one bulk request). Without it, on a loaded CI machine a document written just before a forget
# came of age after the second sweep and survived it.
PROJECTION_WRITE_LAG_SECONDS = 1.0


class ProjectedMemoryIndex:
    """The MemoryIndex port on DynamoDB memory records plus an OpenSearch search projection."""

    def __init__(
        self,
        records: DynamoDbMemoryRecords,
        projection: OpenSearchProjection,
        *,
        visibility_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._records = records
        self._projection = projection
        # How long a new projection document may stay invisible to search (refresh interval, Serverless delay).
        self._visibility_seconds = visibility_seconds
        self._sleep = sleep
        self._now = now
        self._workers = SpareWorkers(4, "mnemoscope-search")

    @property
    def records(self) -> DynamoDbMemoryRecords:
        return self._records

    @property
    def projection(self) -> OpenSearchProjection:
        return self._projection

    # -- writes ---------------------------------------------------------------------------------
    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        """Insert or replace memories by id; entries without a vector keep the stored one.

        Raises:
            InvalidMemoryRequest: a vector of the wrong size, or no stored vector to keep (nothing is written).
            ConcurrentChange: another writer changed one of the memories meanwhile (retry the job).
            DependencyUnavailable: the projection could not be written; the records were (reindex heals).
        """
        if not entries:
            return
        stored = self._records.get_many([(e.node.scope, e.node.id) for e in entries], with_vectors=True)
        # The last entry per memory wins; a vector-less entry keeps the vector of an earlier entry or the record.
        latest: dict[_Key, tuple[MemoryNode, tuple[float, ...]]] = {}
        for entry in entries:
            key = (entry.node.scope, entry.node.id)
            vector = entry.vector
            if vector is None:
                vector = latest[key][1] if key in latest else _stored_vector(stored.get(key), entry.node.id)
            unit_vector(vector, self._projection.dimension)  # validates before anything is written
            latest[key] = (entry.node, tuple(vector))
        changes = [
            RecordChange(node, vector, stored[key].version if key in stored else None)
            for key, (node, vector) in latest.items()
        ]
        self._records.put(changes)
        try:
            self._projection.write([Projected(c.node, c.vector, c.version) for c in changes])
        except MemoryServiceError as error:
            logger.error(
                "projection write failed after the records were written; a retry or `mnemoscope reindex` heals it",
                extra={"memories": len(changes), "reason": str(error)},
            )
            raise DependencyUnavailable(f"search index not updated: {error}") from error

    def delete(self, scope: Scope, memory_id: str) -> bool:
        """Delete one memory; False when it does not exist in this scope."""
        existed = self._records.delete(scope, memory_id)
        try:
            self._projection.remove(scope, [memory_id])
        except MemoryServiceError as error:
            # The record is gone, so search already hides the memory; the document goes on the next read or reindex.
            logger.warning("projection delete failed; search hides it", extra={"reason": str(error)})
        return existed

    def delete_scope(self, scope: Scope) -> int:
        """Delete every record of the scope, then every projection document, waiting out the visibility delay.

        Raises:
            DependencyUnavailable: the projection could not be cleared; calling again finishes the job.
        """
        count, newest_ms = self._records.delete_scope(scope)
        self._projection.remove_scope(scope)
        # Documents written less than the visibility delay ago may have been invisible to that sweep. A record's
        # time is taken before its write and its document is written after it: allow for that lag too.
        remaining = newest_ms / 1000 + self._visibility_seconds + PROJECTION_WRITE_LAG_SECONDS - self._now()
        if remaining > 0:
            self._sleep(remaining)
            self._projection.remove_scope(scope)
        return count

    # -- reads ----------------------------------------------------------------------------------
    def get(self, scope: Scope, memory_id: str) -> MemoryNode | None:
        record = self._records.get_many([(scope, memory_id)]).get((scope, memory_id))
        return record.node if record else None

    def get_many(self, scope: Scope, memory_ids: Sequence[str]) -> builtins.list[MemoryNode]:
        found = self._records.get_many([(scope, memory_id) for memory_id in memory_ids])
        ids = dict.fromkeys(memory_ids)
        return [found[(scope, memory_id)].node for memory_id in ids if (scope, memory_id) in found]

    def list(
        self, scope: Scope, memory_filter: MemoryFilter = ANY, limit: int = 50, cursor: str | None = None
    ) -> MemoryPage:
        return self._records.list(scope, memory_filter, limit, cursor)

    def vector_search(
        self, scope: Scope, vector: Sequence[float], k: int, memory_filter: MemoryFilter = VALID
    ) -> builtins.list[ScoredMemory]:
        if k <= 0:
            return []
        hits = self._projection.vector_search(scope, vector, overfetch(k), memory_filter)
        return self._recheck(scope, hits, k, memory_filter)

    def keyword_search(
        self, scope: Scope, text: str, k: int, memory_filter: MemoryFilter = VALID
    ) -> builtins.list[ScoredMemory]:
        if k <= 0 or not text.strip():
            return []
        hits = self._projection.keyword_search(scope, text, overfetch(k), memory_filter)
        return self._recheck(scope, hits, k, memory_filter)

    def hybrid_search(
        self, scope: Scope, vector: Sequence[float], text: str, k: int, memory_filter: MemoryFilter = VALID
    ) -> HybridHits:
        """The two projection searches run concurrently (two requests in flight instead of one after the other),
        then one record read covers both lists' hits."""
        if k <= 0:
            return HybridHits(vector=[], keyword=[])
        size = overfetch(k)
        keyword: Callable[[], builtins.list[ProjectionHit]] = lambda: []  # noqa: E731 - nothing to match
        if text.strip():
            keyword = self._workers.start(lambda: self._projection.keyword_search(scope, text, size, memory_filter))
        try:
            vector_hits = self._projection.vector_search(scope, vector, size, memory_filter)
        finally:
            keyword_hits = keyword()
        records = self._records_of(scope, [*vector_hits, *keyword_hits])
        vector_results, stale = self._chosen(scope, vector_hits, records, k, memory_filter)
        keyword_results, more_stale = self._chosen(scope, keyword_hits, records, k, memory_filter)
        self._discard(list(dict.fromkeys([*stale, *more_stale])))
        return HybridHits(vector=vector_results, keyword=keyword_results)

    def _recheck(
        self, scope: Scope, hits: Sequence[ProjectionHit], k: int, memory_filter: MemoryFilter
    ) -> builtins.list[ScoredMemory]:
        if not hits:
            return []
        records = self._records_of(scope, hits)
        results, stale = self._chosen(scope, hits, records, k, memory_filter)
        self._discard(stale)
        return results

    def _records_of(self, scope: Scope, hits: Sequence[ProjectionHit]) -> dict[str, MemoryRecord]:
        if not hits:
            return {}
        found = self._records.get_many([(scope, memory_id) for memory_id in dict.fromkeys(h.memory_id for h in hits)])
        return {key[1]: record for key, record in found.items()}

    @staticmethod
    def _chosen(
        scope: Scope,
        hits: Sequence[ProjectionHit],
        records: dict[str, MemoryRecord],
        k: int,
        memory_filter: MemoryFilter,
    ) -> tuple[builtins.list[ScoredMemory], builtins.list[str]]:
        chosen, stale = choose_hits(hits, records)
        results = [
            ScoredMemory(node=records[hit.memory_id].node, score=hit.score)
            for hit in chosen
            if matches(records[hit.memory_id].node, memory_filter)
        ]
        return results[:k], stale

    def _discard(self, stale: builtins.list[str]) -> None:
        if not stale:
            return
        try:
            self._projection.discard(stale)
        except MemoryServiceError as error:  # read repair is best effort; the answer is already right
            logger.warning("could not delete stale projection documents", extra={"reason": str(error)})

    def rebuild_search(self, *, recreate: bool = False) -> dict[str, Any]:
        """Rewrite the projection from the records (`mnemoscope reindex`, the reflect function's reindex action)."""
        from mnemoscope.adapters.aws.reindex import reindex  # reindex imports this module

        return reindex(self, recreate=recreate).as_dict()


def choose_hits(
    hits: Sequence[ProjectionHit], records: dict[str, MemoryRecord]
) -> tuple[list[ProjectionHit], list[str]]:
    """One hit per live memory, best score first, and the `_id`s of documents safe to delete.

    Per memory the hit of the record's current version is preferred; a memory whose current document is not
    visible yet keeps its best older hit (its content and filter fields come from the record anyway). Only
    documents without a record, and older duplicates next to a current one, are returned for deletion: the
    only document of a live memory is never deleted here.
    """
    by_memory: dict[str, list[ProjectionHit]] = {}
    stale: list[str] = []
    for hit in hits:
        if hit.memory_id not in records:
            stale.append(hit.doc_id)
        else:
            by_memory.setdefault(hit.memory_id, []).append(hit)
    chosen: list[ProjectionHit] = []
    for memory_id, candidates in by_memory.items():
        current = [hit for hit in candidates if hit.version == records[memory_id].version]
        if current:
            keeper = min(current, key=lambda hit: hit.doc_id)
            chosen.append(keeper)
            stale += [hit.doc_id for hit in candidates if hit.doc_id != keeper.doc_id]
        else:
            chosen.append(max(candidates, key=lambda hit: hit.score))
    chosen.sort(key=lambda hit: hit.score, reverse=True)
    return chosen, stale


def _stored_vector(record: MemoryRecord | None, memory_id: str) -> tuple[float, ...]:
    if record is None or record.vector is None:
        raise InvalidMemoryRequest(f"memory {memory_id} has no stored vector to keep")
    return record.vector
