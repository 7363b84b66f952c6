"""The search projection of memory records on OpenSearch, written the way every flavour accepts.

A Serverless VECTORSEARCH collection refuses a custom `_id` on index/create, `update`/upsert,
`_delete_by_query` and `refresh`, and shows new documents only after some seconds. So this adapter:
  * indexes each version of a memory as a new document (no `_id`; the server assigns one), carrying
    `memory_id` and `record_version` as fields;
  * then deletes the memory's older documents by their server `_id`, found with a term query on memory_id.
    Keeper rule, the same for every writer: the highest record_version, and among equal versions the smallest
    `_id`, so two deliveries of one job never delete each other's document;
  * never sends `refresh`: on a domain a change is searchable after the refresh interval (1 s), on Serverless
    after its own delay. Documents the term query could not see yet are removed by the next write, by the
    read-side de-duplication of ProjectedMemoryIndex, or by `mnemoscope reindex`.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from opensearchpy import OpenSearch

from mnemoscope.adapters.aws import opensearch_queries as q
from mnemoscope.adapters.aws.opensearch_index import ensure_index, opensearch_errors, status_error
from mnemoscope.domain.errors import InvalidMemoryRequest
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import MemoryFilter

BULK_CHUNK = 500  # documents per _bulk request: ~2 MB at 1024 dimensions, well under the 10 MB AWS limit
TERMS_CHUNK = 500  # memory ids per term query when looking for old documents
PAGE = 1000


@dataclass(frozen=True)
class Projected:
    """One version of a memory to index."""

    node: MemoryNode
    vector: Sequence[float]
    version: int


@dataclass(frozen=True)
class ProjectionHit:
    doc_id: str  # the server-assigned `_id`
    memory_id: str
    version: int
    score: float


@dataclass(frozen=True)
class ProjectionDoc:
    doc_id: str
    scope_key: str
    memory_id: str
    version: int


class OpenSearchProjection:
    """Index, search and delete projection documents of one OpenSearch index (k-NN + BM25)."""

    def __init__(
        self, client: OpenSearch, index_name: str, dimension: int, engine: q.Engine = "lucene", bootstrap: bool = True
    ) -> None:
        self._client = client
        self._index = index_name
        self._dimension = dimension
        self._engine: q.Engine = engine
        # Nothing happens here: the index is created (or checked) on first use, once per instance.
        self._ready = not bootstrap
        self._ready_lock = threading.Lock()

    @property
    def index_name(self) -> str:
        return self._index

    @property
    def dimension(self) -> int:
        return self._dimension

    # -- bootstrap ------------------------------------------------------------------------------
    def ensure_ready(self, *, check: bool = False) -> None:
        """Create the index unless it exists, and check an existing one; once per instance unless `check`."""
        if self._ready and not check:
            return
        with self._ready_lock:
            if self._ready and not check:
                return
            if not ensure_index(self._client, self._index, q.index_definition(self._dimension, self._engine)):
                self._check_existing()
            self._ready = True

    def _check_existing(self) -> None:
        with opensearch_errors("index bootstrap"):
            mapping = self._client.indices.get_mapping(index=self._index)
        for index_mapping in mapping.values():
            properties = index_mapping["mappings"]["properties"]
            stored = properties["vector"]["dimension"]
            if stored != self._dimension:
                raise InvalidMemoryRequest(
                    f"index {self._index} holds {stored}-dimensional vectors but the embedder makes "
                    f"{self._dimension}; use another index or the same embedding model"
                )
            if "record_version" not in properties:
                # An index made before the records existed: add the two projection fields (PUT _mapping is allowed
                # on every flavour and only adds fields).
                fields = q.index_definition(self._dimension, self._engine)["mappings"]["properties"]
                body = {"properties": {name: fields[name] for name in ("record_version", "projection_key")}}
                with opensearch_errors("index bootstrap"):
                    self._client.indices.put_mapping(index=self._index, body=body)

    def recreate(self) -> None:
        """Drop the index and create it from the current definition (after a mapping or model change)."""
        with opensearch_errors("index recreation"):
            self._client.indices.delete(index=self._index, params={"ignore_unavailable": "true"})
        self._ready = False
        self.ensure_ready()

    # -- writes ---------------------------------------------------------------------------------
    def write(self, items: Sequence[Projected]) -> None:
        """Index one new document per item, then delete the older documents of those memories it can see.

        Raises:
            InvalidMemoryRequest: a vector of the wrong size (checked before anything is sent).
            DependencyUnavailable, BackendRejected: OpenSearch failed or refused the request.
        """
        if not items:
            return
        self.ensure_ready()
        documents = [
            q.to_document(item.node, q.unit_vector(item.vector, self._dimension), item.version, uuid.uuid4().hex)
            for item in items
        ]
        new_ids: list[str] = []
        for start in range(0, len(documents), BULK_CHUNK):
            actions: list[dict[str, Any]] = []
            for document in documents[start : start + BULK_CHUNK]:
                actions += [{"index": {}}, document]
            new_ids += self._bulk(actions, "projection write")
        written = {
            (item.node.scope, item.node.id): (item.version, doc_id) for item, doc_id in zip(items, new_ids, strict=True)
        }
        self._remove_older(written)

    def _remove_older(self, written: dict[tuple[Scope, str], tuple[int, str]]) -> None:
        by_scope: dict[Scope, list[str]] = {}
        for scope, memory_id in written:
            by_scope.setdefault(scope, []).append(memory_id)
        stale: list[str] = []
        for scope, memory_ids in by_scope.items():
            for start in range(0, len(memory_ids), TERMS_CHUNK):
                chunk = memory_ids[start : start + TERMS_CHUNK]
                visible: dict[str, list[tuple[int, str]]] = {}
                for hit in self._search(q.versions_body(scope, chunk), "projection cleanup"):
                    source = hit["_source"]
                    visible.setdefault(source["memory_id"], []).append((int(source["record_version"]), hit["_id"]))
                for memory_id, docs in visible.items():
                    stale += stale_documents(docs, written[(scope, memory_id)])
        self.discard(stale)

    def discard(self, doc_ids: Sequence[str]) -> None:
        """Delete documents by their server `_id` (already deleted ones are fine)."""
        for start in range(0, len(doc_ids), BULK_CHUNK):
            actions = [{"delete": {"_id": doc_id}} for doc_id in doc_ids[start : start + BULK_CHUNK]]
            self._bulk(actions, "projection delete")

    def remove(self, scope: Scope, memory_ids: Sequence[str]) -> None:
        """Delete every visible document of these memories."""
        self.ensure_ready()
        for start in range(0, len(memory_ids), TERMS_CHUNK):
            hits = self._search(q.versions_body(scope, memory_ids[start : start + TERMS_CHUNK]), "projection delete")
            self.discard([hit["_id"] for hit in hits])

    def remove_scope(self, scope: Scope) -> int:
        """Delete every visible document of the scope, page by page; returns how many."""
        self.ensure_ready()
        removed = 0
        seen: set[str] = set()
        while True:
            ids = [hit["_id"] for hit in self._search(q.scope_docs_body(scope, PAGE), "forget")]
            fresh = [doc_id for doc_id in ids if doc_id not in seen]
            # A page of only already-deleted ids: the deletes are not visible yet, nothing else is left to see.
            if not fresh:
                return removed
            self.discard(fresh)
            seen.update(fresh)
            removed += len(fresh)

    def _bulk(self, actions: list[dict[str, Any]], operation: str) -> list[str]:
        """Send one _bulk request; the `_id` of each item, in order."""
        with opensearch_errors(operation):
            response = self._client.bulk(index=self._index, body=actions)
        items = [next(iter(result.values())) for result in response["items"]]
        # A delete of a document that is already gone answers 404: that is the goal reached, not a failure.
        failures = [item for item in items if "error" in item and item.get("status") != 404]
        if failures:
            # The highest status decides: one throttled item makes the whole (idempotent) batch worth a retry.
            worst = max(failures, key=lambda item: int(item.get("status", 500)))
            error = worst["error"]
            reason = error.get("reason", error.get("type", "")) if isinstance(error, dict) else str(error)
            raise status_error(int(worst.get("status", 500)), f"{operation} of {len(failures)} documents", str(reason))
        return [str(item.get("_id", "")) for item in items]

    # -- reads ----------------------------------------------------------------------------------
    def vector_search(
        self, scope: Scope, vector: Sequence[float], size: int, memory_filter: MemoryFilter
    ) -> list[ProjectionHit]:
        query = q.unit_vector(vector, self._dimension)
        hits = self._search(q.knn_search_body(scope, query, size, memory_filter), "vector search")
        return [_hit(hit, q.cosine_from_score(float(hit["_score"]), self._engine)) for hit in hits]

    def keyword_search(self, scope: Scope, text: str, size: int, memory_filter: MemoryFilter) -> list[ProjectionHit]:
        hits = self._search(q.keyword_search_body(scope, text, size, memory_filter), "keyword search")
        return [_hit(hit, float(hit["_score"])) for hit in hits]

    def documents(self) -> Iterator[ProjectionDoc]:
        """Every visible document of the index, in projection_key order."""
        self.ensure_ready()
        after: str | None = None
        while True:
            hits = self._search(q.all_docs_body(PAGE, after), "projection scan")
            for hit in hits:
                source = hit["_source"]
                yield ProjectionDoc(
                    hit["_id"], source["scope_key"], source["memory_id"], int(source.get("record_version", 0))
                )
            if len(hits) < PAGE:
                return
            after = str(hits[-1]["sort"][0])

    def _search(self, body: dict[str, Any], operation: str) -> list[dict[str, Any]]:
        self.ensure_ready()
        with opensearch_errors(operation):
            response = self._client.search(index=self._index, body=body)
        hits: list[dict[str, Any]] = response["hits"]["hits"]
        return hits


def stale_documents(visible: Sequence[tuple[int, str]], written: tuple[int, str]) -> list[str]:
    """The `_id`s to delete among a memory's visible (version, _id) documents after writing `written`.

    Every writer applies the same rule, so concurrent or repeated writers converge on one document: keep the
    highest version, and among documents of that version the smallest `_id`.
    """
    documents = set(visible) | {written}
    top = max(version for version, _ in documents)
    keeper = min(doc_id for version, doc_id in documents if version == top)
    return sorted(doc_id for _, doc_id in documents if doc_id != keeper)


def _hit(hit: dict[str, Any], score: float) -> ProjectionHit:
    source = hit["_source"]
    return ProjectionHit(hit["_id"], source["memory_id"], int(source.get("record_version", 0)), score)
