"""MemoryIndex on SQLite: FTS5 (BM25) for keywords, numpy cosine over a per-scope vector cache."""

from __future__ import annotations

import base64
import builtins
import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC

import numpy as np
import numpy.typing as npt

from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.text_terms import query_terms, terms
from mnemoscope.domain.errors import InvalidMemoryRequest
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import ANY, VALID, IndexEntry, MemoryFilter, MemoryPage, ScoredMemory

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
    # `tag` holds the scope tag so MATCH intersects postings with the scope instead of filtering afterwards.
    "CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts "
    "USING fts5(scope_tag UNINDEXED, tag, body, tokenize='porter unicode61')",
    "CREATE TABLE IF NOT EXISTS memory_scopes (scope_key TEXT PRIMARY KEY, generation INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS memory_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
]
Matrix = npt.NDArray[np.float32]


@dataclass
class _ScopeVectors:
    """A scope's vectors and filterable attributes, cached until the scope's generation changes."""

    generation: int
    pks: npt.NDArray[np.int64]
    matrix: Matrix
    types: npt.NDArray[np.str_]
    statuses: npt.NDArray[np.str_]
    reflected: npt.NDArray[np.bool_]
    reconsolidated: npt.NDArray[np.bool_]


def _scope_tag(scope: Scope) -> str:
    return "s" + hashlib.sha1(scope.key.encode()).hexdigest()[:20]


class SqliteMemoryIndex:
    def __init__(self, db: SqliteDatabase, dimension: int) -> None:
        self._db = db
        self._dimension = dimension
        self._cache: dict[str, _ScopeVectors] = {}
        self._cache_lock = threading.Lock()
        with db.transaction() as conn:
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("INSERT OR IGNORE INTO memory_meta VALUES ('dimension', ?)", (str(dimension),))
            stored = conn.execute("SELECT value FROM memory_meta WHERE name = 'dimension'").fetchone()[0]
        if int(stored) != dimension:
            raise InvalidMemoryRequest(
                f"the memory index holds {stored}-dimensional vectors but the embedder makes {dimension}; "
                "use a new data directory or the same embedding model"
            )

    # -- writes ---------------------------------------------------------------------------------
    def upsert(self, entries: Sequence[IndexEntry]) -> None:
        with self._db.transaction() as conn:
            for entry in entries:
                self._upsert_one(conn, entry)
            for scope_key in {e.node.scope.key for e in entries}:
                self._bump(conn, scope_key)

    def _upsert_one(self, conn: sqlite3.Connection, entry: IndexEntry) -> None:
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
            "SELECT pk FROM memories WHERE scope_key = ? AND id = ?", (node.scope.key, node.id)
        ).fetchone()
        if old is not None:
            conn.execute("DELETE FROM memories_fts WHERE rowid = ?", (old[0],))
            conn.execute("DELETE FROM memories WHERE pk = ?", (old[0],))
        cursor = conn.execute(
            "INSERT INTO memories (scope_key, id, type, status, reflected, reconsolidated, created_at, doc, vector) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                node.scope.key,
                node.id,
                node.type,
                node.status,
                int(node.reflected),
                int(node.reconsolidated),
                _sort_key(node),
                node.model_dump_json(),
                blob,
            ),
        )
        body = " ".join(terms(" ".join((node.content, *node.keywords))))
        conn.execute(
            "INSERT INTO memories_fts (rowid, scope_tag, tag, body) VALUES (?, ?, ?, ?)",
            (cursor.lastrowid, _scope_tag(node.scope), _scope_tag(node.scope), body),
        )

    def _vector_blob(self, vector: Sequence[float]) -> bytes:
        array = np.asarray(vector, dtype=np.float32)
        if array.shape != (self._dimension,):
            raise InvalidMemoryRequest(f"vector has {array.size} dimensions, the index expects {self._dimension}")
        norm = float(np.linalg.norm(array))
        return (array / norm if norm > 0 else array).tobytes()

    @staticmethod
    def _bump(conn: sqlite3.Connection, scope_key: str) -> None:
        conn.execute(
            "INSERT INTO memory_scopes VALUES (?, 1) ON CONFLICT(scope_key) DO UPDATE SET generation = generation + 1",
            (scope_key,),
        )

    def delete(self, scope: Scope, memory_id: str) -> bool:
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT pk FROM memories WHERE scope_key = ? AND id = ?", (scope.key, memory_id)
            ).fetchone()
            if row is None:
                return False
            conn.execute("DELETE FROM memories_fts WHERE rowid = ?", (row[0],))
            conn.execute("DELETE FROM memories WHERE pk = ?", (row[0],))
            self._bump(conn, scope.key)
        return True

    def delete_scope(self, scope: Scope) -> int:
        with self._db.transaction() as conn:
            conn.execute(
                "DELETE FROM memories_fts WHERE rowid IN (SELECT pk FROM memories WHERE scope_key = ?)", (scope.key,)
            )
            count = conn.execute("DELETE FROM memories WHERE scope_key = ?", (scope.key,)).rowcount
            self._bump(conn, scope.key)
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
        cached = self._scope_vectors(scope)
        if cached.pks.size == 0 or k <= 0:
            return []
        query = np.frombuffer(self._vector_blob(vector), dtype=np.float32)
        mask = _mask(cached, memory_filter)
        allowed = int(mask.sum())
        if allowed == 0:
            return []
        # Score everything (one matmul) and hide filtered rows: cheaper than copying the filtered matrix.
        scores = cached.matrix @ query
        scores[~mask] = -np.inf
        top = min(k, allowed)
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best], kind="stable")]
        return self._load_scored(cached.pks[best].tolist(), scores[best].tolist())

    def keyword_search(
        self, scope: Scope, text: str, k: int, memory_filter: MemoryFilter = VALID
    ) -> list[ScoredMemory]:
        words = query_terms(text)
        if not words or k <= 0:
            return []
        match = f'tag:"{_scope_tag(scope)}" AND (' + " OR ".join(f'"{w}"' for w in words) + ")"
        clauses, params = _sql_filter(memory_filter)
        sql = (
            "SELECT m.pk, -bm25(memories_fts, 0.0, 0.0, 1.0) AS score FROM memories_fts "
            "JOIN memories m ON m.pk = memories_fts.rowid WHERE memories_fts MATCH ? AND m.scope_key = ?"
            f"{clauses} ORDER BY bm25(memories_fts, 0.0, 0.0, 1.0) LIMIT ?"
        )
        with self._db.reading() as conn:
            rows = conn.execute(sql, (match, scope.key, *params, k)).fetchall()
        return self._load_scored([r[0] for r in rows], [float(r[1]) for r in rows])

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
        if not pks:
            return []
        marks = ",".join("?" * len(pks))
        with self._db.reading() as conn:
            rows = conn.execute(f"SELECT pk, doc FROM memories WHERE pk IN ({marks})", pks).fetchall()
        docs = {r[0]: r[1] for r in rows}
        return [
            ScoredMemory(node=MemoryNode.model_validate_json(docs[pk]), score=score)
            for pk, score in zip(pks, scores, strict=True)
            if pk in docs
        ]

    def _scope_vectors(self, scope: Scope) -> _ScopeVectors:
        with self._db.reading() as conn:
            row = conn.execute("SELECT generation FROM memory_scopes WHERE scope_key = ?", (scope.key,)).fetchone()
            generation = row[0] if row else 0
            with self._cache_lock:
                cached = self._cache.get(scope.key)
                if cached is not None and cached.generation == generation:
                    return cached
            rows = conn.execute(
                "SELECT pk, type, status, reflected, reconsolidated, vector FROM memories WHERE scope_key = ?",
                (scope.key,),
            ).fetchall()
        fresh = _ScopeVectors(
            generation=generation,
            pks=np.array([r[0] for r in rows], dtype=np.int64),
            matrix=np.frombuffer(b"".join(r[5] for r in rows), dtype=np.float32).reshape(len(rows), self._dimension),
            types=np.array([r[1] for r in rows], dtype=np.str_),
            statuses=np.array([r[2] for r in rows], dtype=np.str_),
            reflected=np.array([bool(r[3]) for r in rows], dtype=np.bool_),
            reconsolidated=np.array([bool(r[4]) for r in rows], dtype=np.bool_),
        )
        with self._cache_lock:
            self._cache[scope.key] = fresh
        return fresh


def _sort_key(node: MemoryNode) -> str:
    """created_at as fixed-width UTC text, so string order is time order."""
    return node.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _mask(cached: _ScopeVectors, memory_filter: MemoryFilter) -> npt.NDArray[np.bool_]:
    mask = np.ones(cached.pks.size, dtype=np.bool_)
    if memory_filter.types is not None:
        mask &= np.isin(cached.types, list(memory_filter.types))
    if memory_filter.statuses is not None:
        mask &= np.isin(cached.statuses, list(memory_filter.statuses))
    if memory_filter.reflected is not None:
        mask &= cached.reflected == memory_filter.reflected
    if memory_filter.reconsolidated is not None:
        mask &= cached.reconsolidated == memory_filter.reconsolidated
    return mask


def _sql_filter(memory_filter: MemoryFilter, alias: str = "m.") -> tuple[str, list[object]]:
    clauses, params = "", []  # type: tuple[str, list[object]]
    for column, values in (("type", memory_filter.types), ("status", memory_filter.statuses)):
        if values is not None:
            clauses += f" AND {alias}{column} IN ({','.join('?' * len(values))})"
            params += sorted(values)
    for column, flag in (("reflected", memory_filter.reflected), ("reconsolidated", memory_filter.reconsolidated)):
        if flag is not None:
            clauses += f" AND {alias}{column} = ?"
            params.append(int(flag))
    return clauses, params


def _encode_cursor(node: MemoryNode) -> str:
    raw = json.dumps([_sort_key(node), node.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        created, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(created), str(last_id)
    except (ValueError, TypeError) as error:
        raise InvalidMemoryRequest("cursor is not valid", field="cursor") from error
