"""Memories' sparse "latent terms" vectors in SQLite (issue 18): one row per memory, keyed by the memory's pk.

Written in the memory write's own transaction (so a memory and its sparse vector never disagree after a crash),
removed with the memory by a trigger, and replaced or dropped whenever the memory's dense vector changes (a
content change without a sparse vector must not leave the old one behind). Read only for a search's candidate
pool (~120 memories): no per-scope index is kept, so there is nothing to rebuild or keep consistent."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

from mnemoscope.domain.sparse import SparseVector

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS memory_sparse (pk INTEGER PRIMARY KEY, features BLOB NOT NULL, weights BLOB NOT NULL)",
    # pks can be reused by SQLite after the highest row is deleted: the vector goes with its memory.
    """CREATE TRIGGER IF NOT EXISTS memory_sparse_follows_delete AFTER DELETE ON memories
       BEGIN DELETE FROM memory_sparse WHERE pk = old.pk; END""",
)
_MAX_FEATURE = np.iinfo(np.uint16).max  # features are stored as uint16 (the e5 sparse head has 16,384)


def create(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)


def put(conn: sqlite3.Connection, pk: int, vector: SparseVector | None) -> None:
    """Store `pk`'s sparse vector (None: it has none, e.g. no sparse engine here; an older one is dropped)."""
    if vector is None:
        conn.execute("DELETE FROM memory_sparse WHERE pk = ?", (pk,))
        return
    features = np.asarray(vector.features, dtype=np.int64)
    if features.size and (features.min() < 0 or features.max() > _MAX_FEATURE):
        raise ValueError(f"sparse feature ids must lie in 0..{_MAX_FEATURE}")
    conn.execute(
        "INSERT OR REPLACE INTO memory_sparse (pk, features, weights) VALUES (?, ?, ?)",
        (pk, features.astype(np.uint16).tobytes(), np.asarray(vector.weights, dtype=np.float32).tobytes()),
    )


def missing(conn: sqlite3.Connection, after: int, limit: int) -> list[tuple[int, str]]:
    """Up to `limit` memories past pk `after` without a sparse vector (written before the engine, or where it
    could not build): their pk and document (JSON) text, in pk order."""
    return conn.execute(
        "SELECT m.pk, m.doc FROM memories m LEFT JOIN memory_sparse s ON s.pk = m.pk "
        "WHERE s.pk IS NULL AND m.pk > ? ORDER BY m.pk LIMIT ?",
        (after, limit),
    ).fetchall()


def put_if_unchanged(conn: sqlite3.Connection, pk: int, doc: str, vector: SparseVector) -> bool:
    """Store a backfilled vector unless the memory changed (or went) since `doc` was read."""
    if conn.execute("SELECT 1 FROM memories WHERE pk = ? AND doc = ?", (pk, doc)).fetchone() is None:
        return False
    put(conn, pk, vector)
    return True


def scores(
    conn: sqlite3.Connection, scope_key: str, query: SparseVector, memory_ids: Sequence[str]
) -> dict[str, float]:
    """Dot products of `query` with the stored vectors of these memories (those without one are left out)."""
    if not memory_ids:
        return {}
    marks = ",".join("?" * len(memory_ids))
    rows = conn.execute(
        f"SELECT m.id, s.features, s.weights FROM memories m JOIN memory_sparse s ON s.pk = m.pk "
        f"WHERE m.scope_key = ? AND m.id IN ({marks})",
        (scope_key, *memory_ids),
    ).fetchall()
    if not rows:
        return {}
    dense_query = np.zeros(_MAX_FEATURE + 1, dtype=np.float32)
    if query.features:
        dense_query[np.asarray(query.features, dtype=np.int64)] = np.asarray(query.weights, dtype=np.float32)
    # One gather over all rows' features, then a sum per row: a numpy call per row cost more than the read.
    features = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.uint16)
    weights = np.frombuffer(b"".join(row[2] for row in rows), dtype=np.float32)
    lengths = np.fromiter((len(row[2]) // 4 for row in rows), dtype=np.int64, count=len(rows))
    # Summed in float64; a trailing 0 so that an empty last row has a start inside the array.
    products = np.append((dense_query[features] * weights).astype(np.float64), 0.0)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    sums = np.add.reduceat(products, starts)
    sums[lengths == 0] = 0.0  # reduceat gives an empty row the next row's first product
    return {row[0]: float(total) for row, total in zip(rows, sums, strict=True)}
