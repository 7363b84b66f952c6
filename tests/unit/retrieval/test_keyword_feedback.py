"""Keyword pseudo-relevance feedback (issue 18 cont.) on a real SQLite index with the hashing embedder."""

from collections.abc import Sequence
from pathlib import Path

import pytest

from mnemoscope.adapters.local.feedback_terms import content_terms
from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import HybridHits, IndexEntry, MemoryFilter, ScoredMemory
from mnemoscope.services.feedback import FeedbackPolicy, KeywordFeedback
from mnemoscope.services.retrieval import RetrievalPolicy, RetrievalService, SearchQuery
from tests.contracts.builders import memory, scope
from tests.fakes.clock import FixedClock
from tests.fakes.hash_embedder import HashEmbedder

MEMORIES = {
    "hobby": "The user relaxes by running marathons along the river",
    "shoes": "The user bought marathon shoes for the river trail",  # no word of the question
    "pasta": "The user cooks pasta with fresh basil on Sundays",
    "cat": "The user has a grey cat called Miso",
    "violin": "The user practises the violin in the evening",
    "garden": "The user grows tomatoes in a small garden",
    "bank": "The user opened a savings account at the bank",
    "car": "The user drives an old blue car to work",
}


class CountingIndex:
    """The real index, counting keyword searches (the feedback search is the second one)."""

    def __init__(self, inner: SqliteMemoryIndex) -> None:
        self.inner = inner
        self.keyword_texts: list[str] = []

    def vector_search(self, s: Scope, vector: Sequence[float], k: int, f: MemoryFilter) -> list[ScoredMemory]:
        return self.inner.vector_search(s, vector, k, f)

    def keyword_search(self, s: Scope, text: str, k: int, f: MemoryFilter) -> list[ScoredMemory]:
        self.keyword_texts.append(text)
        return self.inner.keyword_search(s, text, k, f)

    def hybrid_search(self, s: Scope, vector: Sequence[float], text: str, k: int, f: MemoryFilter) -> HybridHits:
        self.keyword_texts.append(text)
        return self.inner.hybrid_search(s, vector, text, k, f)


@pytest.fixture
def index(tmp_path: Path) -> CountingIndex:
    embedder = HashEmbedder()
    inner = SqliteMemoryIndex(SqliteDatabase(tmp_path / "f.db"), embedder.dimension)
    nodes = [memory(mid, text, scope()) for mid, text in MEMORIES.items()]
    vectors = embedder.embed_documents([n.content for n in nodes])
    inner.upsert([IndexEntry(node=n, vector=tuple(v)) for n, v in zip(nodes, vectors, strict=True)])
    return CountingIndex(inner)


def _search(
    index: CountingIndex,
    tmp_path: Path,
    query: str,
    feedback: FeedbackPolicy | None,
    policy: RetrievalPolicy | None = None,
    top_k: int = 2,
) -> list[str]:
    extra = KeywordFeedback(index, content_terms, feedback) if feedback is not None else None  # type: ignore[arg-type]
    log = SqliteChatLog(SqliteDatabase(tmp_path / "log.db"))
    service = RetrievalService(index, log, HashEmbedder(), FixedClock(), policy, feedback=extra)  # type: ignore[arg-type]
    result = service.search(scope(), SearchQuery(query=query, top_k=top_k, include_recent=False))
    return [hit.node.id for hit in result.memories]


@pytest.mark.parametrize("search", [False, True])
def test_feedback_finds_a_memory_that_shares_words_only_with_the_best_hit(
    index: CountingIndex, tmp_path: Path, search: bool
) -> None:
    without = _search(index, tmp_path, "how do I relax", None)
    policy = FeedbackPolicy(top_memories=1, keep_top=1, search=search)
    with_feedback = _search(index, tmp_path, "how do I relax", policy)
    assert without[0] == with_feedback[0] == "hobby"
    assert "shoes" not in without
    assert "shoes" in with_feedback
    if search:  # the second keyword search ran with the best hit's distinctive words, not the question's
        words = index.keyword_texts[-1].split()
        assert "marathons" in words and "relax" not in words
    else:  # the candidates were ranked again without another index call
        assert len(index.keyword_texts) == 2


def test_no_second_search_for_chinese_queries_unless_asked(index: CountingIndex, tmp_path: Path) -> None:
    _search(index, tmp_path, "我怎么放松 relax", FeedbackPolicy(search=True))
    assert len(index.keyword_texts) == 1
    _search(index, tmp_path, "我怎么放松 relax", FeedbackPolicy(search=True, cjk=True))
    assert len(index.keyword_texts) == 3


def test_feedback_only_joins_rank_fusion(index: CountingIndex, tmp_path: Path) -> None:
    _search(index, tmp_path, "how do I relax", FeedbackPolicy(search=True), RetrievalPolicy(fusion="convex"))
    assert len(index.keyword_texts) == 1


def test_feedback_never_overtakes_the_memories_its_words_came_from(index: CountingIndex, tmp_path: Path) -> None:
    without = _search(index, tmp_path, "how do I relax", None, top_k=8)
    # a heavy feedback list: without the guard it would reorder the top
    strong = FeedbackPolicy(top_memories=3, keep_top=3, weight=50.0)
    guarded = _search(index, tmp_path, "how do I relax", strong, top_k=8)
    assert guarded[:3] == without[:3]
    unguarded = _search(
        index, tmp_path, "how do I relax", FeedbackPolicy(top_memories=3, keep_top=0, weight=50.0), top_k=8
    )
    assert unguarded[:3] != without[:3]


def test_feedback_weight_zero_keeps_the_first_pass_order(index: CountingIndex, tmp_path: Path) -> None:
    without = _search(index, tmp_path, "how do I relax", None, top_k=8)
    zero = _search(index, tmp_path, "how do I relax", FeedbackPolicy(weight=0.0), top_k=8)
    assert zero[: len(without)] == without


@pytest.mark.parametrize(
    ("backend", "setting", "on"),
    [("local", None, True), ("aws", None, False), ("local", False, False), ("aws", True, True)],
)
def test_feedback_is_on_by_default_only_for_the_local_backend(
    index: CountingIndex, backend: str, setting: bool | None, on: bool
) -> None:
    from mnemoscope.settings import Settings
    from mnemoscope.wiring import _keyword_feedback

    settings = Settings(backend=backend, keyword_feedback=setting)  # type: ignore[arg-type]
    assert (_keyword_feedback(settings, index) is not None) is on  # type: ignore[arg-type]


def test_feedback_asks_the_first_pass_for_its_pool(index: CountingIndex, tmp_path: Path) -> None:
    asked: list[int] = []
    real = index.hybrid_search

    def recording(s: Scope, vector: Sequence[float], text: str, k: int, f: MemoryFilter) -> HybridHits:
        asked.append(k)
        return real(s, vector, text, k, f)

    index.hybrid_search = recording  # type: ignore[method-assign]
    _search(index, tmp_path, "how do I relax", None)
    _search(index, tmp_path, "how do I relax", FeedbackPolicy(pool=60))
    _search(index, tmp_path, "how do I relax", FeedbackPolicy(pool=45))
    assert asked == [RetrievalPolicy().min_candidates, 60, 45]
