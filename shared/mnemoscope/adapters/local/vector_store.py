"""Vector search for the SQLite memory index: one usearch index per scope, persisted next to the database.

SQLite stays the source of truth. Every write that adds, replaces or removes a vector appends the row's pk to
`memory_vector_log` in the same transaction. A scope's usearch index remembers the last log sequence number it
reflects (its *stamp*, part of the file name), and before every search it replays the log entries after its stamp.
So a crash between the SQLite commit and the index update (or before the index was saved) costs a replay at the
next search, never a wrong answer; a missing or unreadable file costs a rebuild from SQLite. Every hit is
checked against SQLite's rows and the filter (through the covering index `memories_filter`, so no memory row is
read), so a deleted, superseded or filtered-out memory is never returned even if the index still holds it.
Vectors are stored as float32: scores are exact cosines, the same numbers SQLite's vectors give.

Small scopes use brute force (`exact=True`, faster there); larger ones the HNSW graph. Loaded indexes sit in an
LRU bounded in bytes across scopes."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from usearch.index import Index

from mnemoscope.adapters.local.memory_filters import sql_filter
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.ports.memory_index import MemoryFilter

LOG_SCHEMA = [
    # AUTOINCREMENT: sequence numbers are stamps, so they must never be reused after a prune.
    "CREATE TABLE IF NOT EXISTS memory_vector_log "
    "(seq INTEGER PRIMARY KEY AUTOINCREMENT, scope_key TEXT NOT NULL, pk INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS memory_vector_log_scope ON memory_vector_log (scope_key, seq)",
    # Log entries of a scope below `below` were pruned: an index stamped earlier must be rebuilt, not replayed.
    "CREATE TABLE IF NOT EXISTS memory_vector_pruned (scope_key TEXT PRIMARY KEY, below INTEGER NOT NULL)",
]
# Brute force (exact) below this many vectors, the HNSW graph from here: brute force is faster up to ~5,000 vectors
# and 1.6-5x slower at 10,000 (bench/retrieval_latency.py switch_point; docs/benchmarks.md, issue 19).
EXACT_BELOW = 5_000
# Replayed changes after which a loaded index is written back to disk (also on eviction and on close).
SAVE_AFTER_CHANGES = 1_000
CONNECTIVITY = 16
EXPANSION_ADD = 128
# HNSW search breadth (ef). A larger graph needs a wider search for the same recall: on the bench's real (lower-
# cased e5) queries, recall@10 vs exact is 1.0 at 10k with ef 512 (a wider search only costs time there) but 0.963 at
# 100k, 0.981 at ef 1024 and 0.986 at 1280 (docs/benchmarks.md, issue 19). ef is not stored in the index file.
EXPANSION_SEARCH = 512
EXPANSION_SEARCH_LARGE = 1_280
LARGE_GRAPH = 50_000
_SQL_CHUNK = 500
Vector = npt.NDArray[np.float32]
log = logging.getLogger(__name__)


@dataclass
class _Loaded:
    index: Index
    stamp: int  # the last memory_vector_log seq this index reflects
    saved_stamp: int  # the stamp of the file on disk (-1: none)
    view: bool  # memory-mapped read-only view of the file: copied into memory before the first change
    pending: int = 0  # changes replayed since the last save
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def nbytes(self) -> int:
        # Not `memory_usage`: that counts arena reservations (16 MB for a 100-vector index) that are never touched.
        return int(self.index.serialized_length)


class VectorStore:
    def __init__(
        self,
        db: SqliteDatabase,
        dimension: int,
        directory: Path | None,
        cache_bytes: int = 1 << 30,
        exact_below: int | None = None,
    ) -> None:
        self._db = db
        self._dimension = dimension
        self._directory = directory
        self._cache_bytes = cache_bytes
        self._exact_below = EXACT_BELOW if exact_below is None else exact_below
        self._loaded: OrderedDict[str, _Loaded] = OrderedDict()
        self._opening: dict[str, threading.Lock] = {}  # scopes being opened, each with the lock its openers share
        self._lock = threading.Lock()
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        with db.transaction() as conn:
            for statement in LOG_SCHEMA:
                conn.execute(statement)

    # -- writes (called inside the index's SQLite transactions) ----------------------------------
    @staticmethod
    def log_changes(conn: sqlite3.Connection, scope_key: str, pks: Iterable[int]) -> None:
        """Record that these rows' vectors were added, replaced or removed (same transaction as the write)."""
        conn.executemany("INSERT INTO memory_vector_log (scope_key, pk) VALUES (?, ?)", ((scope_key, pk) for pk in pks))

    # -- search -----------------------------------------------------------------------------------
    def search(self, scope_key: str, query: Vector, k: int, memory_filter: MemoryFilter) -> list[tuple[int, float]]:
        """Up to k (pk, exact cosine) pairs, best first, of rows in the scope that pass the filter."""
        loaded = self._get(scope_key)
        with loaded.lock:
            self._catch_up(scope_key, loaded)
            size = len(loaded.index)
            if size == 0 or k <= 0:
                return []
            exact = size < self._exact_below
            if not exact:
                _search_breadth(loaded.index)
            count = min(size, max(2 * k, k + 40))
            while True:
                matches = loaded.index.search(query, count, exact=exact, threads=1)
                hits = self._check(scope_key, matches.keys, matches.distances, memory_filter)
                # Filtered-out or stale candidates left fewer than k: widen the net (all of the scope at most).
                if len(hits) >= k or count >= size:
                    return hits[:k]
                count = min(size, count * 4)

    def _check(
        self,
        scope_key: str,
        keys: npt.NDArray[np.uint64],
        distances: npt.NDArray[np.float32],
        memory_filter: MemoryFilter,
    ) -> list[tuple[int, float]]:
        """The hits whose row exists in this scope and passes the filter, best first, with cosine similarity."""
        clauses, params = sql_filter(memory_filter, alias="")
        pks = [int(key) for key in keys]
        allowed: set[int] = set()
        with self._db.reading() as conn:
            for chunk in _chunks(pks):
                marks = ",".join("?" * len(chunk))
                allowed.update(
                    r[0]
                    for r in conn.execute(
                        f"SELECT pk FROM memories INDEXED BY memories_filter "
                        f"WHERE scope_key = ? AND pk IN ({marks}){clauses}",
                        (scope_key, *chunk, *params),
                    )
                )
        return [(pk, 1.0 - float(d)) for pk, d in zip(pks, distances.tolist(), strict=True) if pk in allowed]

    # -- the loaded indexes -------------------------------------------------------------------------
    def _get(self, scope_key: str) -> _Loaded:
        loaded = self._cached(scope_key)
        if loaded is not None:
            return loaded
        with self._lock:
            opening = self._opening.setdefault(scope_key, threading.Lock())
        # Opened under the scope's own lock, not the cache's: building a large scope's index from SQLite (minutes
        # at 100k, once) must not stall searches of every other scope.
        with opening:
            loaded = self._cached(scope_key)
            if loaded is not None:
                return loaded
            loaded = self._open(scope_key)
            with self._lock:
                self._loaded[scope_key] = loaded
                self._opening.pop(scope_key, None)
                self._evict(keep=scope_key)
            return loaded

    def _cached(self, scope_key: str) -> _Loaded | None:
        with self._lock:
            loaded = self._loaded.get(scope_key)
            if loaded is not None:
                self._loaded.move_to_end(scope_key)
            return loaded

    def _evict(self, keep: str) -> None:
        total = sum(entry.nbytes for entry in self._loaded.values())
        for scope_key in list(self._loaded):
            if total <= self._cache_bytes:
                return
            if scope_key == keep:
                continue
            entry = self._loaded.pop(scope_key)
            with entry.lock:
                total -= entry.nbytes
                if entry.pending:
                    self._save(scope_key, entry)

    def _open(self, scope_key: str) -> _Loaded:
        path = self._latest_file(scope_key)
        if path is not None:
            try:
                index = Index.restore(str(path), view=True)
                if index is not None and index.ndim == self._dimension and index.dtype == self._new_index().dtype:
                    _search_breadth(index)
                    stamp = int(path.stem.rsplit("-", 1)[1])
                    return _Loaded(index=index, stamp=stamp, saved_stamp=stamp, view=True)
            except (RuntimeError, ValueError, OSError) as error:
                log.warning("vector index %s unreadable (%s): rebuilding from SQLite", path.name, error)
        return self._build(scope_key)

    def _build(self, scope_key: str) -> _Loaded:
        """A scope's index from its rows in SQLite (first use, a lost file, or a pruned log)."""
        with self._db.reading() as conn:
            stamp = _head(conn, scope_key)
            rows = conn.execute("SELECT pk, vector FROM memories WHERE scope_key = ?", (scope_key,)).fetchall()
        index = self._new_index()
        if rows:
            keys = np.array([r[0] for r in rows], dtype=np.uint64)
            index.add(keys, _matrix([r[1] for r in rows], self._dimension), threads=1)
        loaded = _Loaded(index=index, stamp=stamp, saved_stamp=-1, view=False, pending=len(rows))
        if rows:
            self._save(scope_key, loaded)
        return loaded

    def _new_index(self) -> Index:
        return Index(
            ndim=self._dimension,
            metric="cos",
            dtype="f32",  # f16 halves the memory but swaps near-ties against exact cosine (recall@10 0.98 at 10k)
            connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD,
            expansion_search=EXPANSION_SEARCH,
        )

    def _catch_up(self, scope_key: str, loaded: _Loaded) -> None:
        """Replay the log entries written after the index's stamp (other writers, crashes, this process)."""
        with self._db.reading() as conn:
            head = _head(conn, scope_key)
            if head == loaded.stamp:
                return
            pruned = conn.execute("SELECT below FROM memory_vector_pruned WHERE scope_key = ?", (scope_key,)).fetchone()
            if head < loaded.stamp or (pruned is not None and loaded.stamp < pruned[0]):
                rebuild = True
            else:
                rebuild = False
                changed = [
                    r[0]
                    for r in conn.execute(
                        "SELECT DISTINCT pk FROM memory_vector_log WHERE scope_key = ? AND seq > ? AND seq <= ?",
                        (scope_key, loaded.stamp, head),
                    )
                ]
                present: dict[int, bytes] = {}
                for chunk in _chunks(changed):
                    marks = ",".join("?" * len(chunk))
                    present.update(
                        conn.execute(
                            f"SELECT pk, vector FROM memories WHERE scope_key = ? AND pk IN ({marks})",
                            (scope_key, *chunk),
                        ).fetchall()
                    )
        if rebuild:
            fresh = self._build(scope_key)
            loaded.index, loaded.stamp, loaded.saved_stamp = fresh.index, fresh.stamp, fresh.saved_stamp
            loaded.view, loaded.pending = False, fresh.pending
            return
        if loaded.view:
            loaded.index = _search_breadth(loaded.index.copy())  # a view is read-only
            loaded.view = False
        if changed:
            keys = np.array(changed, dtype=np.uint64)
            stale = keys[np.asarray(loaded.index.contains(keys), dtype=np.bool_)]
            if stale.size:
                loaded.index.remove(stale)
        if present:
            keys = np.array(list(present), dtype=np.uint64)
            loaded.index.add(keys, _matrix(list(present.values()), self._dimension), threads=1)
        loaded.stamp = head
        loaded.pending += len(changed)
        if loaded.pending >= SAVE_AFTER_CHANGES:
            self._save(scope_key, loaded)

    # -- persistence --------------------------------------------------------------------------------
    def _file_prefix(self, scope_key: str) -> str:
        return "v" + hashlib.sha1(scope_key.encode()).hexdigest()[:24]

    def _latest_file(self, scope_key: str) -> Path | None:
        if self._directory is None:
            return None
        files = sorted(
            self._directory.glob(f"{self._file_prefix(scope_key)}-*.usearch"),
            key=lambda p: int(p.stem.rsplit("-", 1)[1]),
        )
        return files[-1] if files else None

    def _save(self, scope_key: str, loaded: _Loaded) -> None:
        """Write the index as <prefix>-<stamp>.usearch (atomically), then prune the log entries it covers."""
        if self._directory is not None:
            prefix = self._file_prefix(scope_key)
            final = self._directory / f"{prefix}-{loaded.stamp}.usearch"
            temporary = final.with_suffix(".tmp")
            loaded.index.save(str(temporary))
            temporary.replace(final)
            for old in self._directory.glob(f"{prefix}-*.usearch"):
                if old != final:
                    old.unlink(missing_ok=True)
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM memory_vector_log WHERE scope_key = ? AND seq < ?", (scope_key, loaded.stamp))
            conn.execute(
                "INSERT INTO memory_vector_pruned VALUES (?, ?) "
                "ON CONFLICT(scope_key) DO UPDATE SET below = max(below, excluded.below)",
                (scope_key, loaded.stamp),
            )
        loaded.saved_stamp, loaded.pending = loaded.stamp, 0

    def flush(self) -> None:
        """Save every index with unsaved changes (on close; a crash before this costs a replay, not data)."""
        with self._lock:
            for scope_key, loaded in self._loaded.items():
                with loaded.lock:
                    if loaded.pending:
                        self._save(scope_key, loaded)

    def cached_bytes(self) -> int:
        with self._lock:
            return sum(entry.nbytes for entry in self._loaded.values())


def _search_breadth(index: Index) -> Index:
    """The ef for this graph's size. Restored and copied indexes come back with usearch's default ef (it is not kept
    in the file), and a growing scope can cross LARGE_GRAPH, so it is set on load and checked before each search."""
    wanted = EXPANSION_SEARCH_LARGE if len(index) >= LARGE_GRAPH else EXPANSION_SEARCH
    if index.expansion_search != wanted:
        index.expansion_search = wanted  # type: ignore[misc]  # usearch has a setter; its typing misses it
    return index


def _head(conn: sqlite3.Connection, scope_key: str) -> int:
    row = conn.execute("SELECT max(seq) FROM memory_vector_log WHERE scope_key = ?", (scope_key,)).fetchone()
    return int(row[0] or 0)


def _matrix(blobs: Sequence[bytes], dimension: int) -> Vector:
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dimension)


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), _SQL_CHUNK):
        yield values[start : start + _SQL_CHUNK]
