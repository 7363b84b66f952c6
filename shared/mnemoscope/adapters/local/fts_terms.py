"""What FTS5 knows that an exact BM25 outside FTS5 needs: its stems, its row count, its token totals, its dfs.

FTS5's `bm25()` scores a row against the *whole table* (every scope): N is the table's row count, avgdl its mean
row length over all columns, a term's idf comes from the number of rows holding it anywhere. These are read from
FTS5's own records on every search, so a score computed here is the number `bm25()` would give.

Stems come from FTS5's own tokenizer, run on a scratch FTS5 table in the connection's temp schema: the same
porter stemmer over the same unicode61 tokens, so no second stemmer can disagree with the index."""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass

TOKENIZE = "porter unicode61"
VOCAB_TABLE = "memories_fts_terms"  # term -> rows holding it (anywhere: the df bm25() uses)
VOCAB_SCHEMA = f"CREATE VIRTUAL TABLE IF NOT EXISTS {VOCAB_TABLE} USING fts5vocab(memories_fts, 'row')"
_STEM_CACHE_LIMIT = 500_000
_DF_CACHE_LIMIT = 100_000
_SQL_CHUNK = 500


@dataclass(frozen=True)
class TableStats:
    rows: int  # N
    avgdl: float  # mean tokens per row, all columns


def table_stats(conn: sqlite3.Connection) -> TableStats:
    """N and avgdl from FTS5's "averages" record (id 1): varints N, then the token total of each column."""
    row = conn.execute("SELECT block FROM memories_fts_data WHERE id = 1").fetchone()
    values = _varints(bytes(row[0])) if row is not None and row[0] else []
    rows = values[0] if values else 0
    return TableStats(rows=rows, avgdl=sum(values[1:]) / rows if rows else 0.0)


def idf(rows: int, df: int) -> float:
    """FTS5's bm25 idf (fts5_aux.c): log((N - n + 0.5) / (n + 0.5)), floored at 1e-6."""
    df = min(max(df, 0), rows)  # read from one snapshot they agree; never let a disagreement become an error
    value = math.log((rows - df + 0.5) / (df + 0.5)) if rows > 0 else 0.0
    return value if value > 0.0 else 1e-6


def doc_frequencies(conn: sqlite3.Connection, terms: Sequence[str]) -> dict[str, int]:
    """Rows of the whole table holding each (stemmed) term; absent terms are left out."""
    out: dict[str, int] = {}
    cursor = conn.cursor()
    cursor.row_factory = None
    for term in dict.fromkeys(terms):
        # One `term = ?` lookup each: fts5vocab seeks an equality, but `term IN (...)` cost ~1.4 ms at 100k.
        row = cursor.execute(f"SELECT doc FROM {VOCAB_TABLE} WHERE term = ?", (term,)).fetchone()
        if row is not None:
            out[term] = int(row[0])
    return out


class TableWeights:
    """N, avgdl and term idfs of the whole table, cached until the table changes.

    `version` must change whenever any FTS5 row does (keyword_store.py passes its change log's last sequence
    number); fts5vocab lookups cost ~0.1 ms a term at 100k rows, a cached one nothing."""

    def __init__(self) -> None:
        self._version = -1
        self._stats = TableStats(rows=0, avgdl=0.0)
        self._df: dict[str, int] = {}
        # Searches of several threads share the cache; each reads its own snapshot (`conn`, at `version`).
        self._lock = threading.Lock()

    def weights(self, conn: sqlite3.Connection, version: int, terms: Sequence[str]) -> tuple[TableStats, list[float]]:
        with self._lock:
            if version < self._version:
                # A snapshot older than the cache (a search that began before a write): its own numbers, uncached,
                # so N and the document frequencies always come from the same state of the table.
                stats, df = table_stats(conn), doc_frequencies(conn, terms)
                return stats, [idf(stats.rows, df.get(t, 0)) for t in terms]
            if version > self._version or len(self._df) > _DF_CACHE_LIMIT:
                self._version, self._stats = version, table_stats(conn)
                self._df.clear()
            missing = [t for t in dict.fromkeys(terms) if t not in self._df]
            if missing:
                found = doc_frequencies(conn, missing)
                self._df.update((t, found.get(t, 0)) for t in missing)
            return self._stats, [idf(self._stats.rows, self._df[t]) for t in terms]


class Stemmer:
    """Tokens -> the FTS5 terms they index as (usually one; none or several for odd characters), cached."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, ...]] = {}
        self._ready: set[int] = set()  # ids of connections with the scratch tables
        self._lock = threading.Lock()  # the cache is shared by every thread's searches

    def stems(self, conn: sqlite3.Connection, tokens: Sequence[str]) -> list[tuple[str, ...]]:
        with self._lock:
            missing = [t for t in dict.fromkeys(tokens) if t not in self._cache]
            if missing:
                if len(self._cache) + len(missing) > _STEM_CACHE_LIMIT:
                    self._cache.clear()
                self._cache.update(self._tokenize(conn, missing))
            return [self._cache[t] for t in tokens]

    def _tokenize(self, conn: sqlite3.Connection, tokens: list[str]) -> dict[str, tuple[str, ...]]:
        if id(conn) not in self._ready:
            conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.stem_scratch USING fts5(x, tokenize='{TOKENIZE}')")
            conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.stem_scratch_i USING fts5vocab(temp, stem_scratch, instance)"
            )
            self._ready.add(id(conn))
        out: dict[str, list[str]] = {t: [] for t in tokens}
        for start in range(0, len(tokens), _SQL_CHUNK):
            chunk = tokens[start : start + _SQL_CHUNK]
            conn.executemany("INSERT INTO temp.stem_scratch (rowid, x) VALUES (?, ?)", enumerate(chunk))
            try:
                for term, doc in conn.execute("SELECT term, doc FROM temp.stem_scratch_i ORDER BY doc, offset"):
                    out[chunk[doc]].append(term)
            finally:
                conn.execute("DELETE FROM temp.stem_scratch")
        return {t: tuple(s) for t, s in out.items()}


def _varints(data: bytes) -> list[int]:
    """SQLite's big-endian varints (7 bits a byte, high bit set to continue; a ninth byte gives 8 bits)."""
    values: list[int] = []
    value, length = 0, 0
    for byte in data:
        if length == 8:
            values.append((value << 8) | byte)
            value, length = 0, 0
            continue
        value = (value << 7) | (byte & 0x7F)
        length += 1
        if not byte & 0x80:
            values.append(value)
            value, length = 0, 0
    return values
