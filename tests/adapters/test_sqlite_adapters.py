"""The embedded adapters against the shared port contracts."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.errors import InvalidMemoryRequest
from tests.contracts.builders import DIM, entry, memory, scope, unit_vector
from tests.contracts.chat_log_contract import ChatLogContract
from tests.contracts.memory_index_contract import MemoryIndexContract


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "mnemoscope.db")
    yield database
    database.close()


class TestSqliteChatLog(ChatLogContract):
    @pytest.fixture
    def chat_log(self, db: SqliteDatabase) -> SqliteChatLog:
        return SqliteChatLog(db)


class TestSqliteMemoryIndex(MemoryIndexContract):
    @pytest.fixture
    def memory_index(self, db: SqliteDatabase) -> SqliteMemoryIndex:
        return SqliteMemoryIndex(db, dimension=DIM)


def test_memories_survive_reopening_the_file(tmp_path: Path) -> None:
    # Given
    first = SqliteDatabase(tmp_path / "m.db")
    SqliteMemoryIndex(first, DIM).upsert([entry(memory("a1", "Alice likes tea"), 1.0)])
    first.close()
    # When
    index = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    # Then
    assert index.get(scope(), "a1") is not None
    assert [h.node.id for h in index.vector_search(scope(), unit_vector(1.0), k=1)] == ["a1"]


def test_a_second_process_writing_the_file_invalidates_the_vector_cache(tmp_path: Path) -> None:
    reader = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    writer = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    writer.upsert([entry(memory("a1", "one"), 1.0)])
    assert len(reader.vector_search(scope(), unit_vector(1.0), k=5)) == 1
    writer.upsert([entry(memory("a2", "two"), 1.0)])
    assert len(reader.vector_search(scope(), unit_vector(1.0), k=5)) == 2


def test_reopening_with_another_dimension_is_refused(tmp_path: Path) -> None:
    SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    with pytest.raises(InvalidMemoryRequest, match="dimension"):
        SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM * 2)


def test_wrong_vector_size_is_refused(db: SqliteDatabase) -> None:
    index = SqliteMemoryIndex(db, DIM)
    with pytest.raises(InvalidMemoryRequest):
        index.upsert([entry(memory("a1", "x"), *([1.0] * (DIM + 1)))])


def test_bad_cursor_is_an_invalid_request(db: SqliteDatabase) -> None:
    with pytest.raises(InvalidMemoryRequest):
        SqliteMemoryIndex(db, DIM).list(scope(), cursor="not-a-cursor!")
