"""The embedded index's vector side: persisted per-scope usearch indexes kept consistent with SQLite."""

from pathlib import Path

import numpy as np
import pytest

from mnemoscope.adapters.local import vector_store
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.ports.memory_index import ANY, VALID, IndexEntry, MemoryFilter
from tests.contracts.builders import memory, scope

DIM = 32


def _vectors(n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((n, DIM)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def _load(index: SqliteMemoryIndex, vectors: np.ndarray, user: str = "alice", every_insight: int = 0) -> None:
    entries = [
        IndexEntry(
            node=memory(
                f"m{i:05d}",
                f"fact {i}",
                scope(user),
                kind="insight" if every_insight and i % every_insight == 0 else "observation",
            ),
            vector=tuple(float(x) for x in vectors[i]),
        )
        for i in range(len(vectors))
    ]
    for start in range(0, len(entries), 500):
        index.upsert(entries[start : start + 500])


def _ids(index: SqliteMemoryIndex, vector: np.ndarray, k: int = 10, user: str = "alice") -> list[str]:
    return [h.node.id for h in index.vector_search(scope(user), tuple(float(x) for x in vector), k)]


def _exact_ids(vectors: np.ndarray, query: np.ndarray, k: int = 10) -> list[str]:
    return [f"m{i:05d}" for i in np.argsort(-(vectors @ query), kind="stable")[:k]]


def _open(tmp_path: Path, cache_bytes: int = 1 << 30) -> SqliteMemoryIndex:
    return SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, tmp_path / "vectors", cache_bytes)


@pytest.mark.parametrize("exact_below", [10**9, 0], ids=["brute-force", "hnsw"])
def test_search_matches_exact_cosine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exact_below: int) -> None:
    monkeypatch.setattr(vector_store, "EXACT_BELOW", exact_below)
    vectors = _vectors(2000)
    queries = _vectors(30, seed=11)
    index = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, tmp_path / "vectors")
    _load(index, vectors)
    overlap = [len(set(_ids(index, q)) & set(_exact_ids(vectors, q))) / 10 for q in queries]
    assert np.mean(overlap) >= 0.98
    hits = index.vector_search(scope(), tuple(float(x) for x in queries[0]), 5)
    assert [h.score for h in hits] == pytest.approx(sorted((vectors @ queries[0]).tolist(), reverse=True)[:5], abs=1e-5)


def test_a_restart_loads_the_saved_file_instead_of_rebuilding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vectors = _vectors(300)
    first = _open(tmp_path)
    _load(first, vectors)
    expected = _ids(first, vectors[5])
    first.close()
    files = list((tmp_path / "vectors").glob("*.usearch"))
    assert len(files) == 1
    builds: list[str] = []
    original = vector_store.VectorStore._build
    monkeypatch.setattr(vector_store.VectorStore, "_build", lambda self, key: builds.append(key) or original(self, key))
    reopened = _open(tmp_path)
    assert _ids(reopened, vectors[5]) == expected
    assert builds == []
    # the search breadth is not stored in the file: a restored index must get it back
    assert reopened._vectors._get(scope().key).index.expansion_search == vector_store.EXPANSION_SEARCH


def test_changes_made_by_another_process_are_replayed(tmp_path: Path) -> None:
    vectors = _vectors(200)
    reader, writer = _open(tmp_path), _open(tmp_path)
    _load(writer, vectors[:100])
    assert _ids(reader, vectors[150], k=1) != ["m00150"]
    _load(writer, vectors)  # adds m00100..m00199 (and rewrites the first 100 unchanged: no vector change logged)
    assert _ids(reader, vectors[150], k=1) == ["m00150"]
    assert writer.delete(scope(), "m00150")
    assert "m00150" not in _ids(reader, vectors[150], k=20)


def test_a_replaced_vector_is_searched_by_its_new_value(tmp_path: Path) -> None:
    vectors = _vectors(100)
    index = _open(tmp_path)
    _load(index, vectors)
    assert _ids(index, vectors[3], k=1) == ["m00003"]
    index.upsert([IndexEntry(node=memory("m00003", "moved"), vector=tuple(float(x) for x in vectors[50]))])
    assert set(_ids(index, vectors[50], k=2)) == {"m00003", "m00050"}
    assert "m00003" not in _ids(index, vectors[3], k=1)


def test_a_status_change_is_filtered_without_touching_the_vector_index(tmp_path: Path) -> None:
    vectors = _vectors(50)
    index = _open(tmp_path)
    _load(index, vectors)
    assert _ids(index, vectors[7], k=1) == ["m00007"]
    with index._db.reading() as conn:
        head = vector_store._head(conn, scope().key)
    index.upsert([IndexEntry(node=memory("m00007", "fact 7", status="expired"))])
    with index._db.reading() as conn:
        assert vector_store._head(conn, scope().key) == head  # nothing logged: the vector did not change
    assert "m00007" not in _ids(index, vectors[7], k=10)
    assert [h.node.id for h in index.vector_search(scope(), tuple(float(x) for x in vectors[7]), 1, ANY)] == ["m00007"]


def test_a_selective_filter_still_fills_k(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vector_store, "EXACT_BELOW", 0)
    vectors = _vectors(3000)
    index = _open(tmp_path)
    _load(index, vectors, every_insight=50)  # 60 insights among 3,000
    insights = MemoryFilter(types=frozenset({"insight"}))
    hits = index.vector_search(scope(), tuple(float(x) for x in vectors[1]), 20, insights)
    assert len(hits) == 20
    assert all(h.node.type == "insight" for h in hits)
    allowed = np.arange(0, 3000, 50)
    best = allowed[np.argsort(-(vectors[allowed] @ vectors[1]))[:20]]
    assert {h.node.id for h in hits} == {f"m{i:05d}" for i in best}


def test_an_unreadable_file_is_rebuilt_from_sqlite(tmp_path: Path) -> None:
    vectors = _vectors(200)
    first = _open(tmp_path)
    _load(first, vectors)
    _ids(first, vectors[0])
    first.close()
    for path in (tmp_path / "vectors").glob("*.usearch"):
        path.write_bytes(b"not an index")
    assert _ids(_open(tmp_path), vectors[9], k=1) == ["m00009"]


def test_the_cache_is_bounded_across_scopes(tmp_path: Path) -> None:
    vectors = _vectors(200)
    index = _open(tmp_path, cache_bytes=60_000)
    users = [f"user{u}" for u in range(6)]
    for user in users:
        _load(index, vectors, user=user)
    for user in users:
        assert _ids(index, vectors[4], k=1, user=user) == ["m00004"]
        assert index._vectors.cached_bytes() <= 60_000 or len(index._vectors._loaded) == 1
    assert len(index._vectors._loaded) < len(users)
    # an evicted scope comes back from its file, with its writes since
    index.upsert([IndexEntry(node=memory("new", "new", scope(users[0])), vector=tuple(float(x) for x in -vectors[4]))])
    assert _ids(index, -vectors[4], k=1, user=users[0]) == ["new"]


def test_a_scope_deleted_whole_returns_nothing(tmp_path: Path) -> None:
    vectors = _vectors(100)
    index = _open(tmp_path)
    _load(index, vectors)
    assert _ids(index, vectors[0])
    assert index.delete_scope(scope()) == 100
    assert _ids(index, vectors[0]) == []
    assert index.vector_search(scope(), tuple(float(x) for x in vectors[0]), 5, VALID) == []


def test_opening_a_large_scope_does_not_stall_searches_of_other_scopes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    # Given a loaded scope, and another whose index must be built from SQLite (slow at 100k: here, held open)
    index = _open(tmp_path)
    vectors = _vectors(50)
    _load(index, vectors, user="alice")
    _load(index, vectors, user="bob")
    assert _ids(index, vectors[3], user="alice")[0] == "m00003"
    building, release = threading.Event(), threading.Event()
    original = vector_store.VectorStore._build

    def slow_build(self: vector_store.VectorStore, key: str) -> object:
        building.set()
        release.wait(10)
        return original(self, key)

    monkeypatch.setattr(vector_store.VectorStore, "_build", slow_build)
    found: list[str] = []
    opener = threading.Thread(target=lambda: found.extend(_ids(index, vectors[4], user="bob")))
    opener.start()
    assert building.wait(10)
    # When another scope is searched while bob's index is being built
    # Then it answers at once (it would wait for the build if opening held the cache's lock)
    assert _ids(index, vectors[3], user="alice")[0] == "m00003"
    assert opener.is_alive()
    release.set()
    opener.join(10)
    assert found[0] == "m00004"


def test_a_large_graph_is_searched_wider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given HNSW from the first vector and a "large graph" threshold of 100 vectors
    monkeypatch.setattr(vector_store, "LARGE_GRAPH", 100)
    index = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), DIM, tmp_path / "vectors", exact_below=0)
    vectors = _vectors(150)
    _load(index, vectors[:60])
    _ids(index, vectors[0])
    assert index._vectors._get(scope().key).index.expansion_search == vector_store.EXPANSION_SEARCH
    # When the scope grows past it, the next search uses the wider breadth
    _load(index, vectors)
    assert _ids(index, vectors[120])[0] == "m00120"
    assert index._vectors._get(scope().key).index.expansion_search == vector_store.EXPANSION_SEARCH_LARGE
