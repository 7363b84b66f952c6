"""Which query terms the FTS5 keyword search actually runs with, on a large index.

FTS5 computes BM25 for every row a query matches, so a query's cost grows with its terms' document frequency
(df). Two kinds of terms cost the most and add the least, and are left out once they match more than
`EXPENSIVE_DF` rows (small indexes keep every term, so their ranking is exactly BM25 over all terms):

* terms whose BM25 weight (FTS5's idf) is under `MIN_RELATIVE_IDF` of the query's best term: they change no
  ranking noticeably (FTS5 floors the idf of a term in half the rows or more at 1e-6) but match most rows;
* a single CJK character that a kept CJK bigram of the same query contains: a memory with the bigram has the
  character too, so the character only adds rows that miss the phrase the user typed.

Document frequencies come from an fts5vocab table (an O(log n) lookup per term); the row count N from FTS5's own
"averages" record, the N its bm25() uses. The vocabulary holds porter-stemmed terms, so a query word whose stem
differs ("allergic" -> "allerg") is not found there and is always kept: the rules only ever remove terms."""

import math
import re
import sqlite3

VOCAB_SCHEMA = "CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts_terms USING fts5vocab(memories_fts, 'row')"
EXPENSIVE_DF = 1_000
MIN_RELATIVE_IDF = 0.05
_CJK_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def match_terms(conn: sqlite3.Connection, words: list[str]) -> list[str]:
    """`words` without the expensive, redundant ones (never empty when `words` is not)."""
    if len(words) < 2:
        return words
    marks = ",".join("?" * len(words))
    df: dict[str, int] = dict(
        conn.execute(f"SELECT term, doc FROM memories_fts_terms WHERE term IN ({marks})", words).fetchall()
    )
    expensive = {w for w in words if df.get(w, 0) > EXPENSIVE_DF}
    if not expensive:
        return words
    rows = fts_row_count(conn)
    idf = {w: _idf(rows, df.get(w, 0)) for w in words}
    best = max(idf.values())
    bigram_chars = {c for w in words if len(w) == 2 and all(_CJK_CHAR.fullmatch(x) for x in w) for c in w}
    kept = [
        w
        for w in words
        if w not in expensive or (idf[w] >= MIN_RELATIVE_IDF * best and not (len(w) == 1 and w in bigram_chars))
    ]
    return kept or words


def _idf(rows: int, df: int) -> float:
    """FTS5's bm25 idf (fts5_aux.c): log((N - n + 0.5) / (n + 0.5)), floored at 1e-6."""
    value = math.log((rows - df + 0.5) / (df + 0.5)) if rows > 0 else 0.0
    return max(value, 1e-6)


def fts_row_count(conn: sqlite3.Connection) -> int:
    """The number of rows FTS5 scores against: the first varint of its averages record (id 1)."""
    row = conn.execute("SELECT block FROM memories_fts_data WHERE id = 1").fetchone()
    if row is None or not row[0]:
        return 0
    return _varint(bytes(row[0]))


def _varint(data: bytes) -> int:
    """SQLite's big-endian varint: 7 bits a byte with the high bit set to continue; a ninth byte gives 8 bits."""
    value = 0
    for i, byte in enumerate(data[:9]):
        if i == 8:
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value
    return value
