"""MemoryIndex on SQLite: FTS5 (BM25) for keywords; vectors searched through a per-scope usearch index
(`vector_store.py`) that SQLite keeps consistent."""

from __future__ import annotations

import base64
import builtins
import functools
import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC
from pathlib import Path

import numpy as np

from mnemoscope.adapters.local import sparse_store
from mnemoscope.adapters.local.keyword_store import KeywordStore
from mnemoscope.adapters.local.memory_filters import sql_filter as _sql_filter
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.vector_store import VectorStore
from mnemoscope.adapters.spare_workers import SpareWorkers
from mnemoscope.domain.errors import InvalidMemoryRequest
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.sparse import SparseVector
from mnemoscope.ports.memory_index import ANY, VALID, HybridHits, IndexEntry, MemoryFilter, MemoryPage, ScoredMemory
from mnemoscope.ports.sparse import SparseEncoder

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS memories (
        pk INTEGER PRIMARY KEY,
        scope_key TEXT NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        reflected INTEGER NOT NULL,
        reconsolidated INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        doc TEXT NOT NULL,
        vector BLOB NOT NULL,
        UNIQUE (scope_key, id))""",
    "CREATE INDEX IF NOT EXISTS memories_listing ON memories (scope_key, created_at DESC, id DESC)",
    # Covers the filter check of search hits (vector and keyword): rows are ~3.5 KB, reading them cost more than
    # the search at 100k memories.
    "CREATE INDEX IF NOT EXISTS memories_filter ON memories (scope_key, pk, status, type, reflected, reconsolidated)",
    "CREATE TABLE IF NOT EXISTS memory_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
]


class SqliteMemoryIndex:
    def __init__(
        self,
        db: SqliteDatabase,
        dimension: int,
        vector_dir: Path | None = None,
        vector_cache_bytes: int = 1 << 30,
        exact_below: int | None = None,
        keyword_cache_bytes: int = 256 << 20,
        sparse_encoder: SparseEncoder | None = None,
    ) -> None:
        """`vector_dir` holds the per-scope vector index files (None: rebuilt from SQLite in each process);
        scopes under `exact_below` vectors are searched by brute force (default: `vector_store.EXACT_BELOW`);
        with a `sparse_encoder`, each memory written with a new vector also stores its sparse vector."""
        self._db = db
        self._dimension = dimension
        self._sparse_encoder = sparse_encoder
        with db.transaction() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)
            KeywordStore.create(conn)
            sparse_store.create(conn)
            conn.execute("INSERT OR IGNORE INTO memory_meta VALUES ('dimension', ?)", (str(dimension),))
            stored = conn.execute("SELECT value FROM memory_meta WHERE name = 'dimension'").fetchone()[0]
        if int(stored) != dimension:
            raise InvalidMemoryRequest(
                f"the memory index holds {stored}-dimensional vectors but the embedder makes {dimension}; "
                "use a new data directory or the same embedding model"
            )
        self._vectors = VectorStore(db, dimension, vector_dir, vector_cache_bytes, exact_below)
        self._keywords = KeywordStore(db, vector_dir, keyword_cache_bytes)
        self._workers = SpareWorkers(4, "mnemoscope-keyword")

    def close(self) -> None:
        """Write unsaved vector index changes to disk (skipping this costs a replay at the next start) and stop
        the search worker threads."""
        self._workers.close()
        self._vectors.flush()
        self._keywords.flush()

    # -- writes ---------------------------------------------------------------------------------
    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        sparse = self._sparse_vectors(entries)  # before the transaction: a model pass must not hold the writer
        with self._db.transaction() as conn:
            for entry in entries:
                pk = self._upsert_one(conn, entry)
                if entry.vector is not None:  # a new vector means new content: its sparse vector follows
                    sparse_store.put(conn, pk, sparse.get(entry.node.content))

    def _sparse_vectors(self, entries: Sequence[IndexEntry]) -> dict[str, SparseVector]:
        texts = [entry.node.content for entry in entries if entry.vector is not None]
        if self._sparse_encoder is None or not texts:
            return {}
        return dict(zip(texts, self._sparse_encoder.encode_documents(texts), strict=True))

    def _upsert_one(self, conn: sqlite3.Connection, entry: IndexEntry) -> int:
        node = entry.node
        if entry.vector is not None:
            blob = self._vector_blob(entry.vector)
        else:
            row = conn.execute(
                "SELECT vector FROM memories WHERE scope_key = ? AND id = ?", (node.scope.key, node.id)
            ).fetchone()
            if row is None:
                raise InvalidMemoryRequest(f"memory {node.id} has no stored vector to keep")
            blob = row[0]
        old = conn.execute(
            "SELECT pk, vector FROM memories WHERE scope_key = ? AND id = ?", (node.scope.key, node.id)
        ).fetchone()
        values = (
            node.type,
            node.status,
            int(node.reflected),
            int(node.reconsolidated),
            _sort_key(node),
            node.model_dump_json(),
            blob,
        )
        # A replaced memory keeps its pk: a status change then leaves the vector index alone.
        if old is not None:
            pk = int(old[0])
            conn.execute(
                "UPDATE memories SET type = ?, status = ?, reflected = ?, reconsolidated = ?, created_at = ?, "
                "doc = ?, vector = ? WHERE pk = ?",
                (*values, pk),
            )
        else:
            cursor = conn.execute(
                "INSERT INTO memories (scope_key, id, type, status, reflected, reconsolidated, created_at, doc, "
                "vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (node.scope.key, node.id, *values),
            )
            pk = int(cursor.lastrowid or 0)
        if old is None or old[1] != blob:
            VectorStore.log_changes(conn, node.scope.key, (pk,))
        KeywordStore.put(conn, pk, node.scope.key, (node.content, *node.keywords))
        return pk

    def _vector_blob(self, vector: Sequence[float]) -> bytes:
        array = np.asarray(vector, dtype=np.float32)
        if array.shape != (self._dimension,):
            raise InvalidMemoryRequest(f"vector has {array.size} dimensions, the index expects {self._dimension}")
        norm = float(np.linalg.norm(array))
        return (array / norm if norm > 0 else array).tobytes()

    def delete(self, scope: Scope, memory_id: str) -> bool:
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT pk FROM memories WHERE scope_key = ? AND id = ?", (scope.key, memory_id)
            ).fetchone()
            if row is None:
                return False
            KeywordStore.remove(conn, scope.key, (row[0],))
            conn.execute("DELETE FROM memories WHERE pk = ?", (row[0],))
            VectorStore.log_changes(conn, scope.key, (row[0],))
        return True

    def delete_scope(self, scope: Scope) -> int:
        with self._db.transaction() as conn:
            pks = [r[0] for r in conn.execute("SELECT pk FROM memories WHERE scope_key = ?", (scope.key,))]
            VectorStore.log_changes(conn, scope.key, pks)
            KeywordStore.remove(conn, scope.key, pks)
            count = conn.execute("DELETE FROM memories WHERE scope_key = ?", (scope.key,)).rowcount
        return count

    # -- reads ----------------------------------------------------------------------------------
    def get(self, scope: Scope, memory_id: str) -> MemoryNode | None:
        with self._db.reading() as conn:
            row = conn.execute(
                "SELECT doc FROM memories WHERE scope_key = ? AND id = ?", (scope.key, memory_id)
            ).fetchone()
        return MemoryNode.model_validate_json(row[0]) if row else None

    def get_many(self, scope: Scope, memory_ids: Sequence[str]) -> list[MemoryNode]:
        if not memory_ids:
            return []
        marks = ",".join("?" * len(memory_ids))
        with self._db.reading() as conn:
            rows = conn.execute(
                f"SELECT doc FROM memories WHERE scope_key = ? AND id IN ({marks})",
                (scope.key, *memory_ids),
            ).fetchall()
        return [MemoryNode.model_validate_json(r[0]) for r in rows]

    def vector_search(
        self, scope: Scope, vector: Sequence[float], k: int, memory_filter: MemoryFilter = VALID
    ) -> list[ScoredMemory]:
        query = np.frombuffer(self._vector_blob(vector), dtype=np.float32)
        hits = self._vectors.search(scope.key, query, k, memory_filter)
        return self._load_scored([pk for pk, _ in hits], [score for _, score in hits])

    def keyword_search(
        self, scope: Scope, text: str, k: int, memory_filter: MemoryFilter = VALID
    ) -> list[ScoredMemory]:
        hits = self._keywords.search(scope.key, text, k, memory_filter)
        return self._load_scored([pk for pk, _ in hits], [score for _, score in hits])

    def hybrid_search(
        self, scope: Scope, vector: Sequence[float], text: str, k: int, memory_filter: MemoryFilter = VALID
    ) -> HybridHits:
        """The keyword half runs on a worker thread while this one searches vectors (SQLite and usearch release
        the GIL while they work; each thread reads on its own connection), then each memory is read once."""
        query = np.frombuffer(self._vector_blob(vector), dtype=np.float32)
        keyword = self._workers.start(lambda: self._keywords.search(scope.key, text, k, memory_filter))
        try:
            vector_hits = self._vectors.search(scope.key, query, k, memory_filter)
        finally:
            keyword_hits = keyword()
        nodes = self._load_nodes({pk for pk, _ in vector_hits} | {pk for pk, _ in keyword_hits})
        return HybridHits(
            vector=[ScoredMemory(node=nodes[pk], score=score) for pk, score in vector_hits if pk in nodes],
            keyword=[ScoredMemory(node=nodes[pk], score=score) for pk, score in keyword_hits if pk in nodes],
        )

    def backfill_sparse(self, after: int = 0, batch: int = 64) -> tuple[int, int | None]:
        """Give up to `batch` memories past pk `after` that lack one their sparse vector (a model pass each):
        (how many were stored, the last pk looked at, None when none is left). Safe beside a running service: a
        memory changed meanwhile is skipped (its writer stored its own vector, or the engine was unavailable there)."""
        if self._sparse_encoder is None:
            raise InvalidMemoryRequest("no sparse encoder: the one-pass engine is unavailable here")
        with self._db.reading() as conn:
            rows = sparse_store.missing(conn, after, batch)
        if not rows:
            return 0, None
        contents = [MemoryNode.model_validate_json(doc).content for _, doc in rows]
        vectors = self._sparse_encoder.encode_documents(contents)
        with self._db.transaction() as conn:
            stored = sum(
                sparse_store.put_if_unchanged(conn, pk, doc, vector)
                for (pk, doc), vector in zip(rows, vectors, strict=True)
            )
        return stored, int(rows[-1][0])

    def sparse_scores(self, scope: Scope, query: SparseVector, memory_ids: Sequence[str]) -> dict[str, float]:
        """ports/sparse.py SparseScores: the query's dot products with these memories' stored sparse vectors."""
        with self._db.reading() as conn:
            return sparse_store.scores(conn, scope.key, query, memory_ids)

    def list(
        self, scope: Scope, memory_filter: MemoryFilter = ANY, limit: int = 50, cursor: str | None = None
    ) -> MemoryPage:
        clauses, params = _sql_filter(memory_filter, alias="")
        if cursor:
            created, last_id = _decode_cursor(cursor)
            clauses += " AND (created_at < ? OR (created_at = ? AND id < ?))"
            params += [created, created, last_id]
        sql = f"SELECT doc FROM memories WHERE scope_key = ?{clauses} ORDER BY created_at DESC, id DESC LIMIT ?"
        with self._db.reading() as conn:
            rows = conn.execute(sql, (scope.key, *params, limit + 1)).fetchall()
        nodes = [MemoryNode.model_validate_json(r[0]) for r in rows[:limit]]
        next_cursor = _encode_cursor(nodes[-1]) if len(rows) > limit else None
        return MemoryPage(items=tuple(nodes), next_cursor=next_cursor)

    # -- helpers --------------------------------------------------------------------------------
    def _load_scored(self, pks: builtins.list[int], scores: builtins.list[float]) -> builtins.list[ScoredMemory]:
        nodes = self._load_nodes(pks)
        return [ScoredMemory(node=nodes[pk], score=score) for pk, score in zip(pks, scores, strict=True) if pk in nodes]

    def _load_nodes(self, pks: Iterable[int]) -> dict[int, MemoryNode]:
        wanted = builtins.list(pks)
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        with self._db.reading() as conn:
            rows = conn.execute(f"SELECT pk, doc FROM memories WHERE pk IN ({marks})", wanted).fetchall()
        return {r[0]: _parse_doc(r[1]) for r in rows}


# Search hits parse the same documents again and again (vector and keyword hits overlap; a scope's popular
# memories recur). Keyed by the JSON text itself, so a changed memory is a different key; MemoryNode is frozen.
_parse_doc = functools.lru_cache(maxsize=2048)(MemoryNode.model_validate_json)


def _sort_key(node: MemoryNode) -> str:
    """created_at as fixed-width UTC text, so string order is time order."""
    return node.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _encode_cursor(node: MemoryNode) -> str:
    raw = json.dumps([_sort_key(node), node.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        created, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(created), str(last_id)
    except (ValueError, TypeError) as error:
        raise InvalidMemoryRequest("cursor is not valid", field="cursor") from error
