"""The retrieval policy's fusion knobs (issue 18): RRF's k, the keyword list's weight and its CJK weight."""

from collections.abc import Sequence
from pathlib import Path

import pytest

from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.scoring import has_cjk
from mnemoscope.ports.memory_index import HybridHits, MemoryFilter, ScoredMemory
from mnemoscope.services.retrieval import RetrievalPolicy, RetrievalService, SearchQuery
from tests.contracts.builders import memory, scope
from tests.fakes.clock import FixedClock
from tests.fakes.hash_embedder import HashEmbedder


class ScriptedIndex:
    """A MemoryIndex whose two sides disagree: vector says a then b, keyword says b then a."""

    def __init__(self) -> None:
        self.nodes = {n: memory(n, f"memory {n}") for n in ("a", "b")}

    def vector_search(self, the_scope: Scope, vector: Sequence[float], k: int, f: MemoryFilter) -> list[ScoredMemory]:
        return [ScoredMemory(node=self.nodes["a"], score=0.9), ScoredMemory(node=self.nodes["b"], score=0.8)][:k]

    def keyword_search(self, the_scope: Scope, text: str, k: int, f: MemoryFilter) -> list[ScoredMemory]:
        return [ScoredMemory(node=self.nodes["b"], score=7.0), ScoredMemory(node=self.nodes["a"], score=2.0)][:k]

    def hybrid_search(
        self, the_scope: Scope, vector: Sequence[float], text: str, k: int, f: MemoryFilter
    ) -> HybridHits:
        return HybridHits(
            vector=self.vector_search(the_scope, vector, k, f), keyword=self.keyword_search(the_scope, text, k, f)
        )


def _first(tmp_path: Path, policy: RetrievalPolicy, query: str) -> str:
    db = SqliteDatabase(tmp_path / "log.db")
    service = RetrievalService(ScriptedIndex(), SqliteChatLog(db), HashEmbedder(), FixedClock(), policy)  # type: ignore[arg-type]
    return service.search(scope(), SearchQuery(query=query, include_recent=False)).memories[0].node.id


@pytest.mark.parametrize(
    ("query", "first"),
    [("where is my cat", "b"), ("我的猫在哪里", "a"), ("我的 cat 在哪里", "a")],
)
def test_keyword_list_weighs_less_for_queries_with_chinese(tmp_path: Path, query: str, first: str) -> None:
    # Given a keyword list that counts 1.5x for English and 0.5x when the query has Chinese characters
    policy = RetrievalPolicy(keyword_weight=1.5, cjk_keyword_weight=0.5)
    # Then the keyword side's favourite wins only for the English query
    assert _first(tmp_path, policy, query) == first


def test_default_policy_is_sharp_rrf() -> None:
    policy = RetrievalPolicy()
    assert (policy.fusion, policy.rrf_k, policy.keyword_weight, policy.cjk_keyword_weight) == ("rrf", 5, 1.0, 0.5)


def test_has_cjk() -> None:
    assert has_cjk("用户住在杭州") and has_cjk("trip to 杭州")
    assert not has_cjk("Where did Alice go?")
    assert not has_cjk("ひらがな")  # kana alone: words are not bigram-matched differently from Latin
