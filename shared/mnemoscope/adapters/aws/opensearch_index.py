"""MemoryIndex on OpenSearch: efficient-filter k-NN + BM25 in one index shared by every scope.

Writes use refresh="wait_for": a call returns once its changes are searchable, so the API can read its own
writes (an admin adds a memory and lists it) without forcing tiny segments the way refresh=true would.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

from mnemoscope.adapters.aws import opensearch_queries as q
from mnemoscope.domain.errors import DependencyUnavailable, InvalidMemoryRequest
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import ANY, VALID, IndexEntry, MemoryFilter, MemoryPage, ScoredMemory

# "wait_for" (default): return once searchable; "false": bulk loads that refresh by themselves at the end.
Refresh = Literal["wait_for", "true", "false"]
BULK_CHUNK = 500  # actions per _bulk request: ~2 MB at 1024 dimensions, well under the 10 MB AWS limit


@contextmanager
def opensearch_errors(operation: str) -> Iterator[None]:
    """Map OpenSearch failures: unreachable, throttled or 5xx → DependencyUnavailable; other 4xx → invalid.

    Raises:
        DependencyUnavailable: connection errors, timeouts, 401/403 (a deployment fault), 429 and 5xx.
        InvalidMemoryRequest: any other 4xx, i.e. the request itself was wrong.
    """
    try:
        yield
    except OpenSearchConnectionError as error:  # includes ConnectionTimeout and SSLError
        raise DependencyUnavailable(f"OpenSearch is unreachable during {operation} ({type(error).__name__})") from error
    except TransportError as error:
        raise status_error(error.status_code, operation, _reason(error), str(error.error)) from error


def status_error(
    status: object, operation: str, reason: str, error_type: str = ""
) -> DependencyUnavailable | InvalidMemoryRequest:
    """The service error for an HTTP status OpenSearch answered with."""
    # A missing index or refused credentials are deployment faults, not the caller's.
    caller_fault = isinstance(status, int) and 400 <= status < 500 and status not in (401, 403, 408, 429)
    if caller_fault and error_type != "index_not_found_exception":
        return InvalidMemoryRequest(f"OpenSearch rejected {operation}: {reason}")
    return DependencyUnavailable(f"OpenSearch failed during {operation} (HTTP {status}: {reason})")


def _reason(error: TransportError) -> str:
    info = error.info if isinstance(error.info, dict) else {}
    cause = info.get("error")
    if not isinstance(cause, dict):
        return str(cause or error.error)
    # The root cause names the real problem ("all shards failed" does not).
    roots = cause.get("root_cause") or [cause]
    first = roots[0] if isinstance(roots[0], dict) else cause
    return str(first.get("reason") or first.get("type") or error.error)


def ensure_index(client: OpenSearch, index_name: str, definition: dict[str, Any]) -> bool:
    """Create the index unless it exists (idempotent, safe against a concurrent creator); True if created."""
    with opensearch_errors("index bootstrap"):
        if client.indices.exists(index=index_name):
            return False
        try:
            client.indices.create(index=index_name, body=definition)
        except TransportError as error:
            if error.error == "resource_already_exists_exception":
                return False
            raise
    return True


class OpenSearchMemoryIndex:
    """The MemoryIndex port on an OpenSearch index (k-NN plugin, lucene or faiss engine)."""

    def __init__(
        self,
        client: OpenSearch,
        index_name: str,
        dimension: int,
        engine: q.Engine = "lucene",
        bootstrap: bool = True,
        refresh: Refresh = "wait_for",
    ) -> None:
        self._client = client
        self._index = index_name
        self._dimension = dimension
        self._engine: q.Engine = engine
        self._refresh = refresh
        # Nothing happens here: the index is created (or checked) on first use, once per instance.
        self._ready = not bootstrap
        self._ready_lock = threading.Lock()

    # -- bootstrap ------------------------------------------------------------------------------
    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            if not ensure_index(self._client, self._index, q.index_definition(self._dimension, self._engine)):
                self._check_dimension()
            self._ready = True

    def _check_dimension(self) -> None:
        with opensearch_errors("index bootstrap"):
            mapping = self._client.indices.get_mapping(index=self._index)
        for index_mapping in mapping.values():
            stored = index_mapping["mappings"]["properties"]["vector"]["dimension"]
            if stored != self._dimension:
                raise InvalidMemoryRequest(
                    f"index {self._index} holds {stored}-dimensional vectors but the embedder makes "
                    f"{self._dimension}; use another index or the same embedding model"
                )

    # -- writes ---------------------------------------------------------------------------------
    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        """Index memories by scope-qualified id; entries without a vector update the stored document.

        Raises:
            InvalidMemoryRequest: wrong vector size, or no stored memory to keep the vector of.
        """
        if not entries:
            return
        self._ensure_ready()
        actions = [line for entry in entries for line in self._bulk_lines(entry)]
        # An entry may keep the vector of an earlier entry of the same batch (bulk applies actions in order).
        with_vectors = {(e.node.scope, e.node.id) for e in entries if e.vector is not None}
        self._require_existing(
            [e.node for e in entries if e.vector is None and (e.node.scope, e.node.id) not in with_vectors]
        )
        for start in range(0, len(actions), 2 * BULK_CHUNK):
            self._bulk(actions[start : start + 2 * BULK_CHUNK])

    def _bulk_lines(self, entry: IndexEntry) -> tuple[dict[str, Any], dict[str, Any]]:
        doc_id = q.document_id(entry.node.scope, entry.node.id)
        if entry.vector is None:
            return {"update": {"_id": doc_id}}, {"doc": q.to_document(entry.node, None)}
        vector = q.unit_vector(entry.vector, self._dimension)
        return {"index": {"_id": doc_id}}, q.to_document(entry.node, vector)

    def _require_existing(self, nodes: builtins.list[MemoryNode]) -> None:
        # Checked before writing anything, so a bad batch does not leave half of its entries applied.
        if not nodes:
            return
        with opensearch_errors("upsert"):
            found = self._client.mget(
                index=self._index,
                body={"ids": [q.document_id(n.scope, n.id) for n in nodes]},
                params={"_source": "false"},
            )
        for node, doc in zip(nodes, found["docs"], strict=True):
            if not doc.get("found"):
                raise InvalidMemoryRequest(f"memory {node.id} has no stored vector to keep")

    def _bulk(self, actions: builtins.list[dict[str, Any]]) -> None:
        with opensearch_errors("upsert"):
            response = self._client.bulk(index=self._index, body=actions, params={"refresh": self._refresh})
        if not response.get("errors"):
            return
        failures = [item for result in response["items"] for item in result.values() if "error" in item]
        # The highest status decides: one throttled item makes the whole (idempotent) batch worth a retry.
        worst = max(failures, key=lambda item: int(item.get("status", 500)))
        reason = (
            worst["error"].get("reason", worst["error"].get("type", "")) if isinstance(worst["error"], dict) else ""
        )
        raise status_error(int(worst.get("status", 500)), f"upsert of {len(failures)} memories", str(reason))

    def delete(self, scope: Scope, memory_id: str) -> bool:
        """Delete one memory; False when it does not exist in this scope."""
        self._ensure_ready()
        with opensearch_errors("delete"):
            try:
                self._client.delete(
                    index=self._index, id=q.document_id(scope, memory_id), params={"refresh": self._refresh}
                )
            except NotFoundError as error:
                if error.error == "index_not_found_exception":
                    raise
                return False
        return True

    def delete_scope(self, scope: Scope) -> int:
        """Delete every memory of the scope; returns how many."""
        self._ensure_ready()
        body = {"query": {"term": {"scope_key": scope.key}}}
        params: dict[str, Any] = {"conflicts": "proceed", "refresh": "false" if self._refresh == "false" else "true"}
        with opensearch_errors("delete_scope"):
            response = self._client.delete_by_query(index=self._index, body=body, params=params)
        return int(response.get("deleted", 0))

    # -- reads ----------------------------------------------------------------------------------
    def get(self, scope: Scope, memory_id: str) -> MemoryNode | None:
        """The memory if it exists in this scope."""
        found = self.get_many(scope, [memory_id])
        return found[0] if found else None

    def get_many(self, scope: Scope, memory_ids: Sequence[str]) -> builtins.list[MemoryNode]:
        """The memories of this scope among `memory_ids` (missing ones are left out)."""
        ids = list(dict.fromkeys(memory_ids))
        if not ids:
            return []
        self._ensure_ready()
        body = {"ids": [q.document_id(scope, memory_id) for memory_id in ids]}
        with opensearch_errors("get"):
            response = self._client.mget(index=self._index, body=body, params={"_source_includes": "doc"})
        nodes = [_node(doc["_source"]) for doc in response["docs"] if doc.get("found")]
        return [node for node in nodes if node.scope == scope]

    def vector_search(
        self, scope: Scope, vector: Sequence[float], k: int, memory_filter: MemoryFilter = VALID
    ) -> builtins.list[ScoredMemory]:
        """Nearest memories by cosine similarity (score in [-1, 1], best first)."""
        if k <= 0:
            return []
        query = q.unit_vector(vector, self._dimension)
        hits = self._search(q.knn_search_body(scope, query, k, memory_filter), "vector search")
        return [
            ScoredMemory(node=_node(hit["_source"]), score=q.cosine_from_score(float(hit["_score"]), self._engine))
            for hit in hits
        ]

    def keyword_search(
        self, scope: Scope, text: str, k: int, memory_filter: MemoryFilter = VALID
    ) -> builtins.list[ScoredMemory]:
        """Best BM25 matches over content and keywords, best first."""
        if k <= 0 or not text.strip():
            return []
        hits = self._search(q.keyword_search_body(scope, text, k, memory_filter), "keyword search")
        return [ScoredMemory(node=_node(hit["_source"]), score=float(hit["_score"])) for hit in hits]

    def list(
        self, scope: Scope, memory_filter: MemoryFilter = ANY, limit: int = 50, cursor: str | None = None
    ) -> MemoryPage:
        """Memories newest first (created_at, then id), paged by an opaque cursor."""
        if limit < 1:
            raise InvalidMemoryRequest("limit must be at least 1", field="limit")
        hits = self._search(q.list_body(scope, memory_filter, limit, cursor), "list")
        nodes = tuple(_node(hit["_source"]) for hit in hits[:limit])
        next_cursor = q.encode_cursor(hits[limit - 1]["sort"]) if len(hits) > limit else None
        return MemoryPage(items=nodes, next_cursor=next_cursor)

    def _search(self, body: dict[str, Any], operation: str) -> builtins.list[dict[str, Any]]:
        self._ensure_ready()
        with opensearch_errors(operation):
            response = self._client.search(index=self._index, body=body)
        hits: builtins.list[dict[str, Any]] = response["hits"]["hits"]
        return hits


def _node(source: dict[str, Any]) -> MemoryNode:
    return MemoryNode.model_validate_json(source["doc"])
