"""SqliteDatabase: one writer, a reader per thread — reads never wait for a writer and see only committed data,
except a thread's own open transaction."""

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from mnemoscope.adapters.local.sqlite_db import SqliteDatabase


@pytest.fixture
def db(tmp_path: Path) -> SqliteDatabase:
    database = SqliteDatabase(tmp_path / "t.db")
    with database.transaction() as conn:
        conn.execute("CREATE TABLE t (v INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")
    return database


def _count(db: SqliteDatabase) -> int:
    with db.reading() as conn:
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])


def test_a_read_does_not_wait_for_an_open_write_and_sees_the_last_commit(db: SqliteDatabase) -> None:
    inside, release = threading.Event(), threading.Event()

    def write() -> None:
        with db.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (2)")
            inside.set()
            release.wait(10)

    writer = threading.Thread(target=write)
    writer.start()
    assert inside.wait(10)
    began = time.monotonic()
    assert _count(db) == 1  # the uncommitted row is invisible, and the read did not block on the writer
    assert time.monotonic() - began < 5
    release.set()
    writer.join(10)
    assert _count(db) == 2


def test_a_thread_reads_its_own_open_transaction(db: SqliteDatabase) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (2)")
        assert _count(db) == 2
    assert _count(db) == 2


def test_each_thread_reads_on_its_own_connection_and_close_closes_them_all(db: SqliteDatabase) -> None:
    seen: list[sqlite3.Connection] = []
    all_reading = threading.Barrier(3)  # alive together, so no thread id is reused

    def read() -> None:
        with db.reading() as conn:
            seen.append(conn)
            conn.execute("SELECT 1").fetchone()
            all_reading.wait(10)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len({id(conn) for conn in seen}) == 3
    db.close()
    for conn in seen:
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("SELECT 1")
    with pytest.raises(sqlite3.ProgrammingError):
        _count(db)


def test_an_in_memory_database_has_one_connection() -> None:
    db = SqliteDatabase(":memory:")
    with db.transaction() as conn:
        conn.execute("CREATE TABLE t (v INTEGER)")
    result: list[int] = []
    reader = threading.Thread(target=lambda: result.append(_count(db)))
    reader.start()
    reader.join(10)
    assert result == [0]  # another thread sees the same (in-memory) database


def test_a_snapshot_sees_one_state_across_its_statements(db: SqliteDatabase) -> None:
    with db.snapshot() as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1
        writer = threading.Thread(target=lambda: _insert(db, 2))
        writer.start()
        writer.join(10)
        # committed meanwhile, but not part of this snapshot (a plain read would see it)
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    assert _count(db) == 2
    with db.transaction(), db.snapshot() as inner:  # inside a transaction: its own writes, no nested BEGIN
        inner.execute("SELECT 1").fetchone()


def _insert(db: SqliteDatabase, value: int) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (?)", (value,))
