"""The sparse list (issue 18): the first pass's pool ranked by sparse dot product, fused as one more RRF list."""

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.sparse import SparseVector
from mnemoscope.ports.memory_index import VALID, IndexEntry
from mnemoscope.services.feedback import RankingChain
from mnemoscope.services.retrieval import RetrievalService, SearchQuery
from mnemoscope.services.sparse_ranking import SparsePolicy, SparseRanking
from tests.contracts.builders import memory, scope
from tests.fakes.clock import FixedClock
from tests.fakes.concept_encoder import ConceptEncoder
from tests.fakes.hash_embedder import HashEmbedder


class FixedScores:
    """A SparseScores with given dot products (a memory missing from `dots` has no stored vector)."""

    def __init__(self, dots: Mapping[str, float]) -> None:
        self.dots = dots
        self.asked: list[list[str]] = []

    def sparse_scores(self, s: Scope, query: SparseVector, memory_ids: Sequence[str]) -> dict[str, float]:
        self.asked.append(list(memory_ids))
        return {memory_id: self.dots[memory_id] for memory_id in memory_ids if memory_id in self.dots}


def _pool(*ids: str) -> dict[str, MemoryNode]:
    return {memory_id: memory(memory_id, f"memory {memory_id}") for memory_id in ids}


def test_the_pool_gains_weight_over_k_plus_rank_by_dot_product() -> None:
    fused = {"a": 0.30, "b": 0.20, "c": 0.10}
    ranking = SparseRanking(ConceptEncoder(), FixedScores({"c": 5.0, "a": 1.0, "b": 0.5}), SparsePolicy(weight=0.7))
    scores, nodes = ranking.extend(scope(), "a question", fused, _pool("a", "b", "c"), 60, VALID, 5)
    assert scores == pytest.approx({"a": 0.30 + 0.7 / 7, "b": 0.20 + 0.7 / 8, "c": 0.10 + 0.7 / 6})
    assert set(nodes) == {"a", "b", "c"}
    assert fused == {"a": 0.30, "b": 0.20, "c": 0.10}  # the caller's scores are not changed in place


def test_only_the_first_n_of_the_sparse_list_count() -> None:
    ranking = SparseRanking(ConceptEncoder(), FixedScores({"a": 3.0, "b": 2.0, "c": 1.0}), SparsePolicy(weight=1.0))
    scores, _ = ranking.extend(scope(), "q", {"a": 0, "b": 0, "c": 0}, _pool("a", "b", "c"), 2, VALID, 5)
    assert scores == pytest.approx({"a": 1 / 6, "b": 1 / 7, "c": 0.0})


def test_a_memory_sharing_no_feature_gets_no_place() -> None:
    ranking = SparseRanking(ConceptEncoder(), FixedScores({"a": 0.0, "b": 2.0}), SparsePolicy(weight=1.0))
    scores, _ = ranking.extend(scope(), "q", {"a": 0.5, "b": 0.1}, _pool("a", "b"), 60, VALID, 5)
    assert scores == pytest.approx({"a": 0.5, "b": 0.1 + 1 / 6})


def test_ties_rank_by_id() -> None:
    ranking = SparseRanking(ConceptEncoder(), FixedScores({"b": 1.0, "a": 1.0}), SparsePolicy(weight=1.0))  # tie
    scores, _ = ranking.extend(scope(), "q", {"a": 0, "b": 0}, _pool("a", "b"), 60, VALID, 5)
    assert scores["a"] > scores["b"]


def test_a_chinese_query_and_an_empty_pool_are_left_alone() -> None:
    encoder, store = ConceptEncoder(), FixedScores({"a": 1.0})
    ranking = SparseRanking(encoder, store)
    assert ranking.extend(scope(), "我的猫叫什么", {"a": 0.5}, _pool("a"), 60, VALID, 5)[0] == {"a": 0.5}
    assert ranking.extend(scope(), "my cat", {}, {}, 60, VALID, 5) == ({}, {})
    assert encoder.queries == [] and store.asked == []
    cjk_on = SparseRanking(encoder, store, SparsePolicy(cjk=True))
    assert cjk_on.extend(scope(), "我的猫叫什么", {"a": 0.5}, _pool("a"), 60, VALID, 5)[0]["a"] > 0.5


class Recording:
    def __init__(self, name: str, pool: int, log: list[str]) -> None:
        self.name, self.pool, self.log = name, pool, log

    @property
    def min_candidates(self) -> int:
        return self.pool

    def extend(self, s, query, fused, nodes, n, f, k):  # type: ignore[no-untyped-def]
        self.log.append(self.name)
        return {**fused, self.name: len(self.log)}, dict(nodes)


def test_a_chain_applies_its_rankings_in_order_and_asks_the_largest_pool() -> None:
    log: list[str] = []
    chain = RankingChain([Recording("feedback", 60, log), Recording("sparse", 80, log)])
    scores, _ = chain.extend(scope(), "q", {"a": 1.0}, {}, 60, VALID, 5)
    assert log == ["feedback", "sparse"]
    assert scores == {"a": 1.0, "feedback": 1, "sparse": 2}
    assert chain.min_candidates == 80
    assert RankingChain([]).min_candidates == 0


MEMORIES = {
    "target": "The user destresses by painting, to relax and stay calm",  # no word of the question
    "work": "The user asked how to get a raise at work",
    "garden": "The user grows tomatoes in a small garden",
    "bank": "The user opened a savings account at the bank",
}


def test_the_service_lifts_a_memory_that_only_the_sparse_list_finds(tmp_path: Path) -> None:
    encoder, embedder = ConceptEncoder(), HashEmbedder()
    index = SqliteMemoryIndex(SqliteDatabase(tmp_path / "m.db"), embedder.dimension, sparse_encoder=encoder)
    nodes = [memory(memory_id, text, scope()) for memory_id, text in MEMORIES.items()]
    vectors = embedder.embed_documents([node.content for node in nodes])
    index.upsert([IndexEntry(node=n, vector=tuple(v)) for n, v in zip(nodes, vectors, strict=True)])
    log = SqliteChatLog(SqliteDatabase(tmp_path / "log.db"))
    query = SearchQuery(query="how do I unwind after work", top_k=2, include_recent=False)

    def top(extra: SparseRanking | None) -> list[str]:
        service = RetrievalService(index, log, embedder, FixedClock(), feedback=extra)
        return [hit.node.id for hit in service.search(scope(), query).memories]

    assert "target" not in top(None)
    assert "target" in top(SparseRanking(encoder, index))
    assert encoder.queries == ["how do I unwind after work"]


def test_a_pool_with_a_memory_lacking_a_vector_is_left_alone() -> None:
    # b was written before the sparse list existed: ranking a and c alone would push it down for that reason only.
    ranking = SparseRanking(ConceptEncoder(), FixedScores({"a": 1.0, "c": 2.0}))
    fused = {"a": 0.3, "b": 0.2, "c": 0.1}
    assert ranking.extend(scope(), "q", fused, _pool("a", "b", "c"), 60, VALID, 5)[0] == fused
