"""Memories' sparse vectors in the SQLite index (issue 18's sparse list): stored with the write that gives a memory
its vector, gone with the memory, never stale after a content change, scored only within the asked scope."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.sparse import SparseVector
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.ports.sparse import SparseScores
from tests.contracts.builders import DIM, entry, memory, scope


class WordEncoder:
    """A fake SparseEncoder behind our own port: one feature per distinct word (hashed), weight = its count."""

    def __init__(self) -> None:
        self.documents: list[str] = []

    @staticmethod
    def vector(text: str) -> SparseVector:
        counts: dict[int, float] = {}
        for word in text.lower().split():
            feature = sum(map(ord, word)) % 16_384
            counts[feature] = counts.get(feature, 0.0) + 1.0
        ranked = sorted(counts.items(), key=lambda item: -item[1])
        return SparseVector(tuple(f for f, _ in ranked), tuple(w for _, w in ranked))

    def encode_query(self, text: str) -> SparseVector:
        return self.vector(text)

    def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]:
        self.documents.extend(texts)
        return [self.vector(text) for text in texts]


def dot(a: SparseVector, b: SparseVector) -> float:
    weights = dict(zip(a.features, a.weights, strict=True))
    return sum(weights.get(f, 0.0) * w for f, w in zip(b.features, b.weights, strict=True))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "m.db")
    yield database
    database.close()


@pytest.fixture
def encoder() -> WordEncoder:
    return WordEncoder()


@pytest.fixture
def index(db: SqliteDatabase, encoder: WordEncoder) -> SqliteMemoryIndex:
    return SqliteMemoryIndex(db, DIM, sparse_encoder=encoder)


def test_the_index_is_a_sparse_store(index: SqliteMemoryIndex) -> None:
    assert isinstance(index, SparseScores)


def test_scores_are_the_dot_products_of_the_stored_vectors(index: SqliteMemoryIndex) -> None:
    index.upsert([entry(memory("a", "tea tea with milk"), 1.0), entry(memory("b", "coffee and cake"), 0.5)])
    query = WordEncoder.vector("tea or coffee")
    scores = index.sparse_scores(scope(), query, ["a", "b", "missing"])
    assert scores == pytest.approx(
        {"a": dot(query, WordEncoder.vector("tea tea with milk")), "b": dot(query, WordEncoder.vector("coffee"))}
    )
    assert scores["a"] == pytest.approx(2.0)


def test_only_the_asked_scope_is_scored(index: SqliteMemoryIndex) -> None:
    other = scope(user="bob", tenant="t2")
    index.upsert([entry(memory("a", "tea"), 1.0), entry(memory("a", "tea", other), 1.0)])
    assert set(index.sparse_scores(other, WordEncoder.vector("tea"), ["a"])) == {"a"}
    index.delete(other, "a")
    assert index.sparse_scores(other, WordEncoder.vector("tea"), ["a"]) == {}
    assert index.sparse_scores(scope(), WordEncoder.vector("tea"), ["a"]) == {"a": pytest.approx(1.0)}


def test_a_deleted_memory_takes_its_vector_along(index: SqliteMemoryIndex, db: SqliteDatabase) -> None:
    index.upsert([entry(memory("a", "tea"), 1.0), entry(memory("b", "tea"), 1.0)])
    index.delete(scope(), "a")
    index.delete_scope(Scope(tenant_id="nobody", user_id="x"))
    with db.reading() as conn:
        assert conn.execute("SELECT count(*) FROM memory_sparse").fetchone()[0] == 1
    index.delete_scope(scope())
    with db.reading() as conn:
        assert conn.execute("SELECT count(*) FROM memory_sparse").fetchone()[0] == 0


def test_a_status_change_keeps_the_vector_and_a_new_content_replaces_it(
    index: SqliteMemoryIndex, encoder: WordEncoder
) -> None:
    original = memory("a", "tea with milk")
    index.upsert([entry(original, 1.0)])
    index.upsert([IndexEntry(node=original.model_copy(update={"status": "expired"}), vector=None)])
    assert encoder.documents == ["tea with milk"]  # no encoding for a write that keeps the vector
    assert index.sparse_scores(scope(), WordEncoder.vector("milk"), ["a"]) == {"a": pytest.approx(1.0)}
    index.upsert([entry(original.model_copy(update={"content": "black coffee"}), 0.3)])
    assert index.sparse_scores(scope(), WordEncoder.vector("milk"), ["a"]) == {"a": 0.0}
    assert index.sparse_scores(scope(), WordEncoder.vector("coffee"), ["a"]) == {"a": pytest.approx(1.0)}


def test_a_writer_without_an_encoder_leaves_no_stale_vector(db: SqliteDatabase, index: SqliteMemoryIndex) -> None:
    index.upsert([entry(memory("a", "tea with milk"), 1.0)])
    plain = SqliteMemoryIndex(db, DIM)  # e.g. a process where the one-pass engine could not be built
    plain.upsert([entry(memory("a", "black coffee"), 0.3)])
    assert index.sparse_scores(scope(), WordEncoder.vector("milk"), ["a"]) == {}


def test_the_vector_is_written_in_the_memory_writes_transaction(db: SqliteDatabase, encoder: WordEncoder) -> None:
    class FailingAfterEncoding(SqliteMemoryIndex):
        def _upsert_one(self, conn, entry):  # type: ignore[no-untyped-def]
            pk = super()._upsert_one(conn, entry)
            if entry.node.id == "b":
                raise RuntimeError("disk full")
            return pk

    index = FailingAfterEncoding(db, DIM, sparse_encoder=encoder)
    with pytest.raises(RuntimeError):
        index.upsert([entry(memory("a", "tea"), 1.0), entry(memory("b", "tea"), 1.0)])
    with db.reading() as conn:
        assert conn.execute("SELECT count(*) FROM memory_sparse").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM memories").fetchone()[0] == 0


def test_feature_ids_outside_the_stored_range_are_refused(db: SqliteDatabase) -> None:
    class WideEncoder(WordEncoder):
        def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]:
            return [SparseVector((70_000,), (1.0,)) for _ in texts]

    index = SqliteMemoryIndex(db, DIM, sparse_encoder=WideEncoder())
    with pytest.raises(ValueError, match=r"0\.\.65535"):
        index.upsert([entry(memory("a", "tea"), 1.0)])
    assert index.get(scope(), "a") is None


def test_backfill_gives_older_memories_their_vectors_and_skips_changed_ones(
    db: SqliteDatabase, encoder: WordEncoder
) -> None:
    before = SqliteMemoryIndex(db, DIM)  # memories written before the sparse list existed
    before.upsert([entry(memory(f"m{i}", f"tea number {i}"), 1.0) for i in range(5)])
    index = SqliteMemoryIndex(db, DIM, sparse_encoder=encoder)

    class ChangingEncoder(WordEncoder):
        def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]:
            # Another writer changes m1 while this batch is being encoded: its (new) vector is its writer's business.
            before.upsert([entry(memory("m1", "black coffee"), 0.5)])
            return super().encode_documents(texts)

    racing = SqliteMemoryIndex(db, DIM, sparse_encoder=ChangingEncoder())
    assert racing.backfill_sparse(0, batch=3) == (2, 3)  # m0, m2 stored; m1 changed under it
    assert index.backfill_sparse(3, batch=3) == (2, 5)
    assert index.backfill_sparse(5, batch=3) == (0, None)
    scores = index.sparse_scores(scope(), WordEncoder.vector("tea"), [f"m{i}" for i in range(5)])
    assert set(scores) == {"m0", "m2", "m3", "m4"}  # m1 was skipped: a later run picks it up
    assert index.backfill_sparse(0) == (1, 2)
    assert index.sparse_scores(scope(), WordEncoder.vector("coffee"), ["m1"]) == {"m1": pytest.approx(1.0)}


def test_backfill_needs_an_encoder(db: SqliteDatabase) -> None:
    from mnemoscope.domain.errors import InvalidMemoryRequest

    with pytest.raises(InvalidMemoryRequest, match="sparse encoder"):
        SqliteMemoryIndex(db, DIM).backfill_sparse()


def test_memories_with_empty_vectors_score_zero_wherever_they_sit(db: SqliteDatabase) -> None:
    class SometimesEmpty(WordEncoder):
        def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]:
            return [SparseVector((), ()) if "empty" in t else self.vector(t) for t in texts]

    index = SqliteMemoryIndex(db, DIM, sparse_encoder=SometimesEmpty())
    texts = {"a": "empty one", "b": "tea tea", "c": "empty two", "d": "tea", "e": "empty three"}
    index.upsert([entry(memory(memory_id, text), 1.0) for memory_id, text in texts.items()])
    scores = index.sparse_scores(scope(), WordEncoder.vector("tea"), list(texts))
    assert scores == pytest.approx({"a": 0.0, "b": 2.0, "c": 0.0, "d": 1.0, "e": 0.0})
