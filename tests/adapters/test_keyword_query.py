"""The keyword search's query shape on a large index: expensive redundant terms out, filter after FTS5 ranks."""

from pathlib import Path

import pytest

from mnemoscope.adapters.local import keyword_query
from mnemoscope.adapters.local.keyword_query import fts_row_count, match_terms
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.ports.memory_index import MemoryFilter
from tests.contracts.builders import DIM, entry, memory, scope


@pytest.fixture
def index(tmp_path: Path) -> SqliteMemoryIndex:
    return SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)


def _count(index: SqliteMemoryIndex) -> tuple[int, int]:
    with index._db.reading() as conn:
        return fts_row_count(conn), conn.execute("SELECT count(*) FROM memories_fts").fetchone()[0]


@pytest.mark.parametrize("rows", [0, 1, 127, 128, 300, 20_000])
def test_the_row_count_is_read_from_fts5s_own_record(index: SqliteMemoryIndex, rows: int) -> None:
    for start in range(0, rows, 2000):
        index.upsert([entry(memory(f"m{i}", f"fact {i}")) for i in range(start, min(rows, start + 2000))])
    assert _count(index) == (rows, rows)


def test_expensive_redundant_terms_are_left_out(index: SqliteMemoryIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword_query, "EXPENSIVE_DF", 5)
    index.upsert([entry(memory(f"c{i}", f"common word {i}" + (" 杭州" if i < 10 else ""))) for i in range(40)])
    index.upsert([entry(memory("r1", "rare 州府"))])
    with index._db.reading() as conn:
        # "common" is in 40 of 41 rows (idf floored); 杭 and 州 are inside the query's bigram 杭州 (10 rows)
        assert match_terms(conn, ["common", "rare", "杭", "州", "杭州"]) == ["rare", "杭州"]
        assert match_terms(conn, ["common"]) == ["common"]  # never empty
    monkeypatch.setattr(keyword_query, "EXPENSIVE_DF", 1000)
    with index._db.reading() as conn:
        assert match_terms(conn, ["common", "rare", "杭", "州", "杭州"]) == ["common", "rare", "杭", "州", "杭州"]


def test_a_selective_filter_still_fills_k(index: SqliteMemoryIndex) -> None:
    index.upsert([entry(memory(f"o{i:03d}", f"tea tea tea {i}")) for i in range(300)])
    index.upsert([entry(memory(f"i{i:03d}", f"tea {i}", kind="insight")) for i in range(30)])
    hits = index.keyword_search(scope(), "tea", 25, MemoryFilter(types=frozenset({"insight"})))
    assert len(hits) == 25
    assert all(h.node.type == "insight" for h in hits)
