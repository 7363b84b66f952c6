"""The SQLite database shared by a process's local adapters: one writer connection, one reader per thread (WAL).

Writes are serialised on the writer connection (`transaction()`). Reads run on a connection of the calling thread's
own, so searches from several request threads (and the keyword and vector halves of one search) do not wait for
each other; under WAL each read sees the last committed state. A thread inside `transaction()` reads through the
writer, so it sees its own uncommitted writes. An in-memory database has a single connection (a second one
would open a different, empty database)."""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SqliteDatabase:
    """`transaction()` commits on success and rolls back on error; `reading()` never blocks on a writer."""

    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        self._shared_only = self._path == ":memory:"
        if not self._shared_only:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._writer: int | None = None  # the thread inside transaction(), if any
        self._readers: dict[int, sqlite3.Connection] = {}
        self._readers_lock = threading.Lock()
        self._closed = False
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            outer = self._writer
            self._writer = threading.get_ident()
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            finally:
                self._writer = outer

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        if self._shared_only or self._writer == threading.get_ident():
            with self._lock:
                yield self._conn
            return
        yield self._reader()

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """Like `reading()`, but every statement inside sees the same committed state (one read transaction): for
        reads that combine several statements' answers (table statistics with term counts). On the shared
        connection (in-memory, or inside this thread's transaction) writers are held off by the lock anyway."""
        with self.reading() as conn:
            if conn is self._conn or conn.in_transaction:
                yield conn
                return
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def _reader(self) -> sqlite3.Connection:
        ident = threading.get_ident()
        conn = self._readers.get(ident)
        if conn is not None:
            return conn
        with self._readers_lock:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None, timeout=30)
            conn.row_factory = sqlite3.Row
            # Not `query_only`: readers keep connection-private scratch tables in `temp` (the keyword store's
            # stemmer); nothing writes the database file through them.
            self._readers[ident] = conn
        return conn

    def close(self) -> None:
        with self._readers_lock:
            self._closed = True
            readers, self._readers = list(self._readers.values()), {}
        for conn in readers:
            conn.close()
        with self._lock:
            self._conn.close()
