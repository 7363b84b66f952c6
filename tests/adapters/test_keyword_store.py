"""Keyword search (KeywordStore): FTS5's own BM25 numbers from an in-memory index kept consistent with SQLite.

The reference in every test is FTS5 itself: `bm25(memories_fts, 0, 0, 1)` over all of the query's terms, every
matching row of the scope, filtered to valid memories in SQL."""

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mnemoscope.adapters.local import keyword_store
from mnemoscope.adapters.local.fts_terms import Stemmer, table_stats
from mnemoscope.adapters.local.keyword_store import scope_tag
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.adapters.local.text_terms import query_terms
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import MemoryFilter
from tests.contracts.builders import DIM, entry, memory, scope

# English words with shared stems, Chinese words (characters and bigrams) and stop words.
_VOCABULARY = """run running runs runner tea teas coffee hangzhou trip trips travel travelled dog dogs cat sister
emma allergic allergy peanuts shellfish 杭州 出差 下周 咖啡 喜欢 过敏 花生 妹妹 跑步 马拉松 the user likes"""
WORDS = _VOCABULARY.split()
QUERIES = [
    "running",
    "Does the user like tea or coffee?",
    "用户下周去杭州出差吗",
    "allergic to peanuts",
    "sister Emma dogs",
    "travelled trips 马拉松 跑步",
    "zzz unknown words",
    "the user",
]


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14)))


def _fill(index: SqliteMemoryIndex, who: Scope, count: int, seed: int, prefix: str = "m") -> None:
    rng = random.Random(seed)
    index.upsert([entry(memory(f"{prefix}{i}", _text(rng), who)) for i in range(count)])


def _fts5(index: SqliteMemoryIndex, who: Scope, text: str) -> list[tuple[str, float]]:
    """Every valid memory of the scope FTS5 matches, with FTS5's score (negated bm25), best first."""
    words = query_terms(text)
    match = f'tag:"{scope_tag(who.key)}" AND (' + " OR ".join(f'"{w}"' for w in words) + ")"
    with index._db.reading() as conn:
        rows = conn.execute(
            "SELECT m.id, -bm25(memories_fts, 0.0, 0.0, 1.0) FROM memories_fts JOIN memories m ON m.pk = "
            "memories_fts.rowid WHERE memories_fts MATCH ? AND m.status = 'valid'",
            (match,),
        ).fetchall()
    return _ordered([(r[0], r[1]) for r in rows])


def _ordered(hits: list[tuple[str, float]]) -> list[tuple[str, float]]:
    # Scores agree to the last bits or so; rounding makes ties compare equal on both sides.
    return sorted(((i, round(s, 9)) for i, s in hits), key=lambda h: (-h[1], h[0]))


def _mine(index: SqliteMemoryIndex, who: Scope, text: str, k: int = 10_000) -> list[tuple[str, float]]:
    return _ordered([(h.node.id, h.score) for h in index.keyword_search(who, text, k)])


def _assert_same(index: SqliteMemoryIndex, who: Scope) -> None:
    for text in QUERIES:
        assert _mine(index, who, text) == _fts5(index, who, text), text


@pytest.fixture
def index(tmp_path: Path) -> SqliteMemoryIndex:
    return SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)


def test_scores_are_fts5s_bm25_over_every_query_term(index: SqliteMemoryIndex) -> None:
    _fill(index, scope(), 300, seed=1)
    _fill(index, scope("bob"), 200, seed=2)  # other scopes count in N, avgdl and df, as in FTS5
    index.upsert([entry(memory("old", "running tea", status="expired"))])
    _assert_same(index, scope())
    _assert_same(index, scope("bob"))
    assert _mine(index, scope(), "running")  # the reference is not trivially empty
    assert "old" not in {i for i, _ in _mine(index, scope(), "running tea")}


def test_the_top_k_are_the_best_k_ties_broken_by_row(index: SqliteMemoryIndex) -> None:
    _fill(index, scope(), 200, seed=3)
    everything = _mine(index, scope(), "tea coffee")
    top = _mine(index, scope(), "tea coffee", k=7)
    assert [s for _, s in top] == [s for _, s in everything[:7]]


def test_writes_after_the_index_is_loaded_are_searched(index: SqliteMemoryIndex) -> None:
    _fill(index, scope(), 120, seed=4)
    _fill(index, scope("bob"), 50, seed=5)
    _assert_same(index, scope())  # loads the scope's index
    # A content change that keeps the vector (and the pk) must reach the keyword index too.
    index.upsert([entry(memory("m3", "shellfish shellfish allergy"))])
    index.upsert([entry(memory("new", "running with the dog in 杭州"))])
    index.delete(scope(), "m5")
    index.upsert([entry(memory("m7", memory("m7", "x").content, status="expired"))])
    index.delete_scope(scope("bob"))
    _assert_same(index, scope())
    assert _mine(index, scope(), "shellfish")[0][0] == "m3"
    assert "m5" not in {i for i, _ in _mine(index, scope(), _text(random.Random(4)))}


def test_another_connections_writes_are_replayed(tmp_path: Path) -> None:
    reader = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, tmp_path / "vectors")
    writer = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, tmp_path / "vectors")
    _fill(writer, scope(), 80, seed=6)
    _assert_same(reader, scope())
    writer.upsert([entry(memory("fresh", "peanuts peanuts 花生"))])
    writer.delete(scope(), "m1")
    assert _mine(reader, scope(), "peanuts")[0][0] == "fresh"
    _assert_same(reader, scope())


@pytest.mark.parametrize("saved", [True, False])
def test_an_index_behind_a_pruned_log_is_reopened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved: bool) -> None:
    monkeypatch.setattr(keyword_store, "SAVE_AFTER_CHANGES", 10)
    files = tmp_path / "vectors" if saved else None
    lagging = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, files)
    busy = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, files)
    _fill(busy, scope(), 60, seed=7)
    _assert_same(lagging, scope())
    _assert_same(busy, scope())
    _fill(busy, scope(), 40, seed=8, prefix="later")
    busy.delete(scope(), "m2")
    _assert_same(busy, scope())  # replays 41 changes, saves, prunes the log entries its stamp covers
    with busy._db.reading() as conn:
        assert conn.execute("SELECT count(*) FROM memory_keyword_log").fetchone()[0] == 1
    busy.upsert([entry(memory("newest", "shellfish"))])
    _assert_same(lagging, scope())  # behind the pruned entries: reopened (file + replay, or FTS5), not replayed
    assert _mine(lagging, scope(), "shellfish")[0][0] == "newest"


def test_a_restart_loads_the_saved_index_and_replays_what_came_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, tmp_path / "vectors")
    _fill(first, scope(), 80, seed=12)
    _assert_same(first, scope())  # builds and saves
    first.upsert([entry(memory("after-save", "peanuts peanuts"))])
    first.delete(scope(), "m4")
    assert len(list((tmp_path / "vectors").glob("k*.npz"))) == 1

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("rebuilt from FTS5 instead of loading the file")

    monkeypatch.setattr(keyword_store.ScopePostings, "build", no_build)
    restarted = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, tmp_path / "vectors")
    _assert_same(restarted, scope())
    assert _mine(restarted, scope(), "peanuts")[0][0] == "after-save"
    restarted.close()  # saves the replayed changes under a newer stamp, removes the older file
    assert len(list((tmp_path / "vectors").glob("k*.npz"))) == 1


@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 not a zip", b"\x93NUMPY"])
def test_an_unreadable_file_is_rebuilt_from_fts5(tmp_path: Path, damage: bytes) -> None:
    first = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, tmp_path / "vectors")
    _fill(first, scope(), 50, seed=13)
    _assert_same(first, scope())
    (saved,) = (tmp_path / "vectors").glob("k*.npz")
    saved.write_bytes(damage)
    again = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, tmp_path / "vectors")
    _assert_same(again, scope())


def test_compaction_keeps_every_score(index: SqliteMemoryIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword_store, "COMPACT_MIN", 3)
    _fill(index, scope(), 100, seed=9)
    _assert_same(index, scope())
    for round_ in range(4):
        _fill(index, scope(), 30, seed=10 + round_)  # rewrites m0..m29 with other texts
        index.delete(scope(), f"m{40 + round_}")
        _assert_same(index, scope())
    loaded = index._keywords._loaded[scope().key]
    assert loaded.postings.wasted_rows <= max(3, 0.25 * loaded.postings.live_rows)


def test_a_data_directory_from_before_the_change_log_still_works(tmp_path: Path) -> None:
    old = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    _fill(old, scope(), 50, seed=11)
    old._db.close()
    conn = sqlite3.connect(tmp_path / "m.db")  # what a data directory written before the log looks like
    conn.executescript(
        "DROP TABLE memory_keyword_log; DROP TABLE memory_keyword_pruned; "
        "DELETE FROM sqlite_sequence WHERE name = 'memory_keyword_log';"
    )
    conn.close()
    index = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    _assert_same(index, scope())
    index.upsert([entry(memory("after", "马拉松 marathon"))])
    assert _mine(index, scope(), "马拉松")[0][0] == "after"
    _assert_same(index, scope())


def test_a_selective_filter_still_fills_k(index: SqliteMemoryIndex) -> None:
    index.upsert([entry(memory(f"o{i:03d}", f"tea tea tea {i}")) for i in range(300)])
    index.upsert([entry(memory(f"i{i:03d}", f"tea {i}", kind="insight")) for i in range(30)])
    hits = index.keyword_search(scope(), "tea", 25, MemoryFilter(types=frozenset({"insight"})))
    assert len(hits) == 25
    assert all(h.node.type == "insight" for h in hits)


@pytest.mark.parametrize("rows", [0, 1, 127, 128, 300, 20_000])
def test_n_and_avgdl_are_read_from_fts5s_own_record(index: SqliteMemoryIndex, rows: int) -> None:
    for start in range(0, rows, 2000):
        index.upsert([entry(memory(f"m{i}", f"fact {i}")) for i in range(start, min(rows, start + 2000))])
    with index._db.reading() as conn:
        stats = table_stats(conn)
        assert stats.rows == conn.execute("SELECT count(*) FROM memories_fts").fetchone()[0] == rows
    # "fact <i>" twice (content, then the builder's keywords: its first words) is four tokens, the scope tag one
    assert stats.avgdl == (5.0 if rows else 0.0)


def test_the_stemmer_is_fts5s(index: SqliteMemoryIndex) -> None:
    with index._db.reading() as conn:
        stems = Stemmer().stems(conn, ["running", "allergic", "杭州", "cafés", "x"])
    assert stems == [("run",), ("allerg",), ("杭州",), ("cafe",), ("x",)]


def test_two_processes_without_files_do_not_rebuild_each_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[int] = []
    original = keyword_store.ScopePostings.build

    def counted(*args: Any, **kwargs: Any) -> keyword_store.ScopePostings:
        builds.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(keyword_store.ScopePostings, "build", counted)
    one = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    two = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM)
    _fill(one, scope(), 30, seed=14)
    assert _mine(one, scope(), "tea")
    for i in range(6):  # each writes, then searches its own write, in turn
        writer = two if i % 2 == 0 else one
        writer.upsert([entry(memory(f"turn{i}", f"tea number {i}"))])
        assert _mine(writer, scope(), f"number {i}")[0][0] == f"turn{i}"
    assert len(builds) == 2  # one each, then replays only


def test_the_loaded_indexes_are_bounded_across_scopes(tmp_path: Path) -> None:
    # Given a cache too small for two scopes' keyword indexes
    index = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, tmp_path / "vectors", keyword_cache_bytes=1)
    alice, bob = scope("alice"), scope("bob")
    _fill(index, alice, 40, seed=1)
    _fill(index, bob, 40, seed=2, prefix="b")
    first = _mine(index, alice, "running tea")
    # When another scope is searched, the least recently searched one is dropped
    assert _mine(index, bob, "running tea") == _fts5(index, bob, "running tea")
    assert list(index._keywords._loaded) == [bob.key]
    # And searching it again reloads it with the same answer
    assert _mine(index, alice, "running tea") == first == _fts5(index, alice, "running tea")
    assert list(index._keywords._loaded) == [alice.key]


def test_the_cache_size_is_a_setting(tmp_path: Path) -> None:
    from mnemoscope.adapters.local.in_process_queue import InProcessJobQueue
    from mnemoscope.settings import Settings
    from mnemoscope.wiring.infrastructure import local_infrastructure

    settings = Settings(data_dir=tmp_path, keyword_cache_mb=16, vector_cache_mb=32, embedder="local")
    infra = local_infrastructure(settings, InProcessJobQueue(lambda event: None))
    try:
        assert infra.memory_index._keywords._cache_bytes == 16 << 20  # type: ignore[attr-defined]
        assert infra.memory_index._vectors._cache_bytes == 32 << 20  # type: ignore[attr-defined]
    finally:
        infra.close()
