"""Keyword search for the SQLite memory index: FTS5 stores and tokenizes each memory's terms (one table for all
scopes); each searched scope gets an inverted index (keyword_postings.py) that scores exactly FTS5's BM25 without
FTS5 scoring every matching row (what made keyword search slow at 100,000 memories in a scope).

SQLite stays the source of truth, as for the vector index (vector_store.py): every keyword write appends the
row's pk to `memory_keyword_log` in the same transaction; a scope's index remembers the last log sequence number
it reflects (its *stamp*, part of its file name) and every search first replays the entries after it (other
processes' writes included). The index is saved next to the vector files after its first build and every
SAVE_AFTER_CHANGES replayed changes (and on close); a save prunes the log entries the file covers. So a crash
costs a replay, a missing or unreadable file a rebuild from FTS5, and an existing data directory (FTS5 only) a
build on its first search. Every hit is checked against the scope's rows and the filter through the covering index
`memories_filter`, and never reads a memory row. A search returns (pk, score) pairs, best first; scores are the
numbers FTS5's `bm25(memories_fts, 0, 0, 1)` gives (negated: higher is better), over all of the query's terms."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mnemoscope.adapters.local.fts_terms import TOKENIZE, VOCAB_SCHEMA, Stemmer, TableWeights
from mnemoscope.adapters.local.keyword_postings import ScopePostings
from mnemoscope.adapters.local.memory_filters import sql_filter
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.text_terms import query_terms, terms
from mnemoscope.ports.memory_index import MemoryFilter

SCHEMA = [
    # `tag` holds the scope tag so one scope's rows are one FTS5 query away.
    "CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts "
    f"USING fts5(scope_tag UNINDEXED, tag, body, tokenize='{TOKENIZE}')",
    VOCAB_SCHEMA,
    # AUTOINCREMENT: sequence numbers are stamps, so they must never be reused after a prune.
    "CREATE TABLE IF NOT EXISTS memory_keyword_log "
    "(seq INTEGER PRIMARY KEY AUTOINCREMENT, scope_key TEXT NOT NULL, pk INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS memory_keyword_log_scope ON memory_keyword_log (scope_key, seq)",
    # Log entries of a scope below `below` were pruned: an index stamped earlier is reopened, not replayed.
    "CREATE TABLE IF NOT EXISTS memory_keyword_pruned (scope_key TEXT PRIMARY KEY, below INTEGER NOT NULL)",
]
# Candidates whose filter is checked in SQLite: 2 x k, at least k + this margin; x4 while the filter leaves < k.
KEYWORD_MARGIN = 40
# Replayed changes after which a loaded index is compacted, saved and the log pruned (also on close).
SAVE_AFTER_CHANGES = 1_000
# Dead and added rows after which an index is compacted in memory (a fraction of its live rows, at least this).
COMPACT_SHARE = 0.25
COMPACT_MIN = 1_000
_SQL_CHUNK = 500
log = logging.getLogger(__name__)


def scope_tag(scope_key: str) -> str:
    return "s" + hashlib.sha1(scope_key.encode()).hexdigest()[:20]


@dataclass
class _Loaded:
    postings: ScopePostings
    stamp: int  # the last memory_keyword_log seq this index reflects
    pending: int = 0  # changes replayed since the last save
    lock: threading.Lock = field(default_factory=threading.Lock)


class KeywordStore:
    def __init__(self, db: SqliteDatabase, directory: Path | None = None, cache_bytes: int = 256 << 20) -> None:
        """`directory` holds the saved indexes (None: built from FTS5 in each process)."""
        self._db = db
        self._directory = directory
        self._cache_bytes = cache_bytes
        self._loaded: OrderedDict[str, _Loaded] = OrderedDict()
        self._lock = threading.Lock()
        self._stemmer = Stemmer()
        self._weights = TableWeights()

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
        conn.execute("INSERT INTO memory_keyword_log (scope_key, pk) VALUES (?, ?)", (scope_key, pk))

    @staticmethod
    def remove(conn: sqlite3.Connection, scope_key: str, pks: Iterable[int]) -> None:
        pks = list(pks)
        conn.executemany("DELETE FROM memories_fts WHERE rowid = ?", ((pk,) for pk in pks))
        conn.executemany(
            "INSERT INTO memory_keyword_log (scope_key, pk) VALUES (?, ?)", ((scope_key, pk) for pk in pks)
        )

    # -- search -----------------------------------------------------------------------------------
    def search(self, scope_key: str, text: str, k: int, memory_filter: MemoryFilter) -> list[tuple[int, float]]:
        """Up to k (pk, BM25 score) pairs, best first, of rows in the scope that pass the filter."""
        words = query_terms(text)
        if not words or k <= 0:
            return []
        clauses, params = sql_filter(memory_filter, alias="")
        loaded = self._get(scope_key)
        # One snapshot: the replayed log, the table's N and the terms' document frequencies must agree (read
        # statement by statement, a forget committed in between left df > N: a math domain error under load).
        with loaded.lock, self._db.snapshot() as conn:
            self._catch_up(conn, scope_key, loaded)
            postings = loaded.postings
            # A word FTS5 splits into several tokens would be a phrase there; here its tokens count as words.
            query = [term for stems in self._stemmer.stems(conn, words) for term in stems]
            stats, weights = self._weights.weights(conn, _version(conn), query)
            phrases = list(zip(query, weights, strict=True))
            cap = max(2 * k, k + KEYWORD_MARGIN)
            while True:
                ranked = postings.top(phrases, stats.avgdl, cap)
                allowed = _allowed(conn, scope_key, [pk for pk, _ in ranked], clauses, params)
                rows = [(pk, score) for pk, score in ranked if pk in allowed][:k]
                if len(rows) >= k or len(ranked) < cap:
                    return rows
                cap *= 4

    # -- the loaded indexes -------------------------------------------------------------------------
    def _get(self, scope_key: str) -> _Loaded:
        with self._lock:
            loaded = self._loaded.get(scope_key)
            if loaded is not None:
                self._loaded.move_to_end(scope_key)
                return loaded
            loaded = self._open(scope_key)
            self._loaded[scope_key] = loaded
            total = sum(entry.postings.nbytes for entry in self._loaded.values())
            for key in list(self._loaded):
                if total <= self._cache_bytes:
                    break
                if key != scope_key:
                    evicted = self._loaded.pop(key)
                    with evicted.lock:
                        total -= evicted.postings.nbytes
                        if evicted.pending:
                            self._save(key, evicted)
            return loaded

    def _open(self, scope_key: str) -> _Loaded:
        """The scope's newest saved index (its stamp from the file name), else one built from FTS5 and saved."""
        path = self._latest_file(scope_key)
        if path is not None:
            try:
                return _Loaded(postings=ScopePostings.load(path), stamp=int(path.stem.rsplit("-", 1)[1]))
            except (ValueError, OSError, KeyError, EOFError, zipfile.BadZipFile) as error:
                log.warning("keyword index %s unreadable (%s): rebuilding from SQLite", path.name, error)
        with self._db.reading() as conn:
            loaded = self._build(conn, scope_key)
        # Without a directory a save only prunes the log, and every prune makes other processes rebuild: wait for
        # SAVE_AFTER_CHANGES then, or two processes searching in turn would rebuild each other's index every time.
        if loaded.postings.live_rows and self._directory is not None:
            self._save(scope_key, loaded)
        return loaded

    def _build(self, conn: sqlite3.Connection, scope_key: str) -> _Loaded:
        """A scope's index from FTS5 (first search in this process, or a log pruned past its stamp)."""
        stamp = _head(conn, scope_key)  # before the rows: a change committed in between is replayed again
        rows = (
            _plain(conn)
            .execute(
                "SELECT rowid, body FROM memories_fts WHERE memories_fts MATCH ?", (f'tag:"{scope_tag(scope_key)}"',)
            )
            .fetchall()
        )
        pks, bodies = [int(r[0]) for r in rows], [str(r[1]) for r in rows]
        postings = ScopePostings.build(pks, bodies, lambda tokens: self._stemmer.stems(conn, tokens))
        return _Loaded(postings=postings, stamp=stamp)

    def _documents(self, conn: sqlite3.Connection, rows: Sequence[tuple[int, str]]) -> list[tuple[int, list[str]]]:
        """(pk, FTS5 terms) of (pk, body) rows: the body is space-separated tokens; FTS5's stemmer maps each."""
        split = [(int(pk), body.split()) for pk, body in rows]
        tokens = list({token for _, words in split for token in words})
        stem_of = dict(zip(tokens, self._stemmer.stems(conn, tokens), strict=True))
        return [(pk, [term for token in words for term in stem_of[token]]) for pk, words in split]

    def _catch_up(self, conn: sqlite3.Connection, scope_key: str, loaded: _Loaded) -> None:
        """Replay the log entries written after the index's stamp (this and other processes' writes)."""
        head = _head(conn, scope_key)
        if head == loaded.stamp:
            return
        pruned = conn.execute("SELECT below FROM memory_keyword_pruned WHERE scope_key = ?", (scope_key,)).fetchone()
        below = int(pruned[0]) if pruned is not None else 0
        if head < loaded.stamp or loaded.stamp < below:
            # Entries it needs were pruned (another process saved): the newest file plus a replay, else FTS5.
            fresh = self._open(scope_key)
            if fresh.stamp < below:  # that process keeps no files here
                fresh = self._build(conn, scope_key)
            loaded.postings, loaded.stamp, loaded.pending = fresh.postings, fresh.stamp, 0
            if loaded.stamp >= head:
                return
        changed = [
            int(r[0])
            for r in conn.execute(
                "SELECT DISTINCT pk FROM memory_keyword_log WHERE scope_key = ? AND seq > ? AND seq <= ?",
                (scope_key, loaded.stamp, head),
            )
        ]
        tag = scope_tag(scope_key)
        present: list[tuple[int, str]] = []
        for start in range(0, len(changed), _SQL_CHUNK):
            chunk = changed[start : start + _SQL_CHUNK]
            marks = ",".join("?" * len(chunk))
            present.extend(
                (int(r[0]), str(r[2]))
                for r in conn.execute(
                    f"SELECT rowid, scope_tag, body FROM memories_fts WHERE rowid IN ({marks})", chunk
                )
                if r[1] == tag
            )
        postings = loaded.postings
        postings.remove(changed)
        postings.add(self._documents(conn, present))
        if postings.wasted_rows > max(COMPACT_MIN, COMPACT_SHARE * postings.live_rows):
            loaded.postings = postings.compacted()
        loaded.stamp = head
        loaded.pending += len(changed)
        if loaded.pending >= SAVE_AFTER_CHANGES:
            self._save(scope_key, loaded)

    # -- files ----------------------------------------------------------------------------------------
    def _file_prefix(self, scope_key: str) -> str:
        return "k" + hashlib.sha1(scope_key.encode()).hexdigest()[:24]

    def _files(self, scope_key: str) -> list[tuple[int, Path]]:
        if self._directory is None:
            return []
        found = []
        for path in self._directory.glob(f"{self._file_prefix(scope_key)}-*.npz"):
            stamp = path.stem.rsplit("-", 1)[1]
            if stamp.isdigit():
                found.append((int(stamp), path))
        return sorted(found)

    def _latest_file(self, scope_key: str) -> Path | None:
        files = self._files(scope_key)
        return files[-1][1] if files else None

    def _save(self, scope_key: str, loaded: _Loaded) -> None:
        """Write <prefix>-<stamp>.npz atomically (compacted), drop older files, prune the log entries it covers.
        Without a directory the log is pruned all the same: a process behind it rebuilds from FTS5."""
        if loaded.postings.wasted_rows:
            loaded.postings = loaded.postings.compacted()
        if self._directory is not None:
            self._directory.mkdir(parents=True, exist_ok=True)
            final = self._directory / f"{self._file_prefix(scope_key)}-{loaded.stamp}.npz"
            temporary = final.with_suffix(f".{threading.get_ident()}.tmp")
            loaded.postings.save(temporary)
            temporary.replace(final)
            for stamp, old in self._files(scope_key):
                if stamp < loaded.stamp:  # never a newer file another process saved
                    old.unlink(missing_ok=True)
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM memory_keyword_log WHERE scope_key = ? AND seq < ?", (scope_key, loaded.stamp))
            conn.execute(
                "INSERT INTO memory_keyword_pruned VALUES (?, ?) "
                "ON CONFLICT(scope_key) DO UPDATE SET below = max(below, excluded.below)",
                (scope_key, loaded.stamp),
            )
        loaded.pending = 0

    def flush(self) -> None:
        """Save every index with unsaved changes (on close; skipping it costs a replay at the next start)."""
        with self._lock:
            for scope_key, loaded in self._loaded.items():
                with loaded.lock:
                    if loaded.pending:
                        self._save(scope_key, loaded)


def _plain(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor returning plain tuples: the connection's sqlite3.Row objects cost ~1 us a row on hot paths."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor


def _version(conn: sqlite3.Connection) -> int:
    """The log's last sequence number over all scopes: it changes with every FTS5 write (AUTOINCREMENT's record,
    so pruning never lowers it)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'memory_keyword_log'").fetchone()
    return int(row[0]) if row is not None else 0


def _head(conn: sqlite3.Connection, scope_key: str) -> int:
    row = conn.execute("SELECT max(seq) FROM memory_keyword_log WHERE scope_key = ?", (scope_key,)).fetchone()
    return int(row[0] or 0)


def _allowed(conn: sqlite3.Connection, scope_key: str, pks: list[int], clauses: str, params: list[object]) -> set[int]:
    allowed: set[int] = set()
    for start in range(0, len(pks), _SQL_CHUNK):
        chunk = pks[start : start + _SQL_CHUNK]
        marks = ",".join("?" * len(chunk))
        allowed.update(
            r[0]
            for r in _plain(conn).execute(
                f"SELECT pk FROM memories INDEXED BY memories_filter WHERE scope_key = ? AND pk IN ({marks}){clauses}",
                (scope_key, *chunk, *params),
            )
        )
    return allowed
