"""Keyword search for the SQLite memory index: FTS5 (BM25) over each memory's terms, one table for all scopes.

The index class decides *which* rows exist; this module decides how their text is indexed and ranked. Writes run
inside the index's SQLite transactions (so text and row commit together); a search returns (pk, score) pairs of
rows in the scope that pass the filter, best first, and never reads a memory row (the filter is checked through
the covering index `memories_filter`)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable

from mnemoscope.adapters.local.keyword_query import VOCAB_SCHEMA, match_terms
from mnemoscope.adapters.local.memory_filters import sql_filter
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.text_terms import query_terms, terms
from mnemoscope.ports.memory_index import MemoryFilter

SCHEMA = [
    # `tag` holds the scope tag so MATCH intersects postings with the scope instead of filtering afterwards.
    "CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts "
    "USING fts5(scope_tag UNINDEXED, tag, body, tokenize='porter unicode61')",
    VOCAB_SCHEMA,
]
# Keyword candidates ranked by FTS5 before the filter is checked (at least 4 x k).
KEYWORD_CANDIDATES = 200
_SQL_CHUNK = 500


def scope_tag(scope_key: str) -> str:
    return "s" + hashlib.sha1(scope_key.encode()).hexdigest()[:20]


class KeywordStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    @staticmethod
    def create(conn: sqlite3.Connection) -> None:
        for statement in SCHEMA:
            conn.execute(statement)

    # -- writes (inside the index's transactions) --------------------------------------------------
    @staticmethod
    def put(conn: sqlite3.Connection, pk: int, scope_key: str, texts: Iterable[str]) -> None:
        """Index (or re-index) row `pk` with these texts (the memory's content and keywords)."""
        conn.execute("DELETE FROM memories_fts WHERE rowid = ?", (pk,))
        body = " ".join(terms(" ".join(texts)))
        tag = scope_tag(scope_key)
        conn.execute("INSERT INTO memories_fts (rowid, scope_tag, tag, body) VALUES (?, ?, ?, ?)", (pk, tag, tag, body))

    @staticmethod
    def remove(conn: sqlite3.Connection, pks: Iterable[int]) -> None:
        conn.executemany("DELETE FROM memories_fts WHERE rowid = ?", ((pk,) for pk in pks))

    # -- search -----------------------------------------------------------------------------------
    def search(self, scope_key: str, text: str, k: int, memory_filter: MemoryFilter) -> list[tuple[int, float]]:
        """Up to k (pk, BM25 score) pairs, best first, of rows in the scope that pass the filter."""
        words = query_terms(text)
        if not words or k <= 0:
            return []
        clauses, params = sql_filter(memory_filter, alias="")
        # Rank inside FTS5 first and check the filter on the top `cap` only: joining every match to `memories`
        # before ranking cost more than the ranking at 100k memories. Widen when the filter leaves fewer than k.
        cap = max(4 * k, KEYWORD_CANDIDATES)
        with self._db.reading() as conn:
            words = match_terms(conn, words)
            match = f'tag:"{scope_tag(scope_key)}" AND (' + " OR ".join(f'"{w}"' for w in words) + ")"
            while True:
                ranked = conn.execute(
                    "SELECT rowid, -bm25(memories_fts, 0.0, 0.0, 1.0) FROM memories_fts WHERE memories_fts MATCH ? "
                    "ORDER BY bm25(memories_fts, 0.0, 0.0, 1.0) LIMIT ?",
                    (match, cap),
                ).fetchall()
                allowed = _allowed(conn, scope_key, [r[0] for r in ranked], clauses, params)
                rows = [(int(r[0]), float(r[1])) for r in ranked if r[0] in allowed][:k]
                if len(rows) >= k or len(ranked) < cap:
                    return rows
                cap *= 4


def _allowed(conn: sqlite3.Connection, scope_key: str, pks: list[int], clauses: str, params: list[object]) -> set[int]:
    allowed: set[int] = set()
    for start in range(0, len(pks), _SQL_CHUNK):
        chunk = pks[start : start + _SQL_CHUNK]
        marks = ",".join("?" * len(chunk))
        allowed.update(
            r[0]
            for r in conn.execute(
                f"SELECT pk FROM memories INDEXED BY memories_filter WHERE scope_key = ? AND pk IN ({marks}){clauses}",
                (scope_key, *chunk, *params),
            )
        )
    return allowed
