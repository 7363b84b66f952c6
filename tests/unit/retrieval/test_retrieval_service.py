"""The retrieval service on real SQLite with the hashing embedder."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.errors import DependencyUnavailable, InvalidMemoryRequest
from mnemoscope.domain.memory import MemoryNode, MemoryType
from mnemoscope.domain.time_range import TimeRange
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.services.context_lines import memory_line
from mnemoscope.services.retrieval import RetrievalPolicy, RetrievalService, SearchQuery, zone
from tests.contracts.builders import message, scope
from tests.fakes.clock import FixedClock
from tests.fakes.hash_embedder import HashEmbedder

NOW = datetime(2024, 8, 14, 12, 0, tzinfo=UTC)  # a Wednesday


class StubReranker:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[Sequence[str]] = []
        self.fail = fail

    def rerank(self, query: str, documents: Sequence[str]) -> list[float]:
        self.calls.append(documents)
        if self.fail:
            raise DependencyUnavailable("rerank down")
        return [1.0 if "giraffe" in d else 0.1 for d in documents]


class StubTimeExtractor:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def extract(self, text: str, now: datetime) -> TimeRange | None:
        self.calls.append(text)
        return TimeRange(start=now - timedelta(days=30), end=now)


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.db = SqliteDatabase(tmp_path / "r.db")
        self.embedder = HashEmbedder()
        self.index = SqliteMemoryIndex(self.db, self.embedder.dimension)
        self.log = SqliteChatLog(self.db)
        self.clock = FixedClock(NOW)

    def add(self, mid: str, content: str, kind: MemoryType = "observation", **extra: object) -> MemoryNode:
        node = MemoryNode.model_validate(
            {
                "id": mid,
                "scope": scope(),
                "type": kind,
                "content": content,
                "created_at": NOW - timedelta(days=1),
                "updated_at": NOW - timedelta(days=1),
                **extra,
            }
        )
        vector = tuple(self.embedder.embed_documents([content])[0])
        self.index.upsert([IndexEntry(node=node, vector=vector)])
        return node

    def service(self, **kwargs: object) -> RetrievalService:
        policy = kwargs.pop("policy", RetrievalPolicy())
        return RetrievalService(self.index, self.log, self.embedder, self.clock, policy, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def ids(result: object) -> list[str]:
    return [hit.node.id for hit in result.memories]  # type: ignore[attr-defined]


def test_hybrid_search_finds_by_meaning_and_by_rare_word(world: World) -> None:
    world.add("tea", "Alice drinks green tea every morning")
    world.add("cat", "Alice has a cat named Miso")
    world.add("job", "Alice works as a nurse in Berlin")
    result = world.service().search(scope(), SearchQuery(query="Miso"))
    assert ids(result)[0] == "cat"


def test_insight_outranks_an_equally_relevant_observation(world: World) -> None:
    world.add("obs", "Alice likes apples")
    world.add("ins", "Alice likes apples", "insight", key="fruit", value="apples")
    assert ids(world.service().search(scope(), SearchQuery(query="apples")))[:2] == ["ins", "obs"]


def test_time_reference_boosts_overlapping_memories_and_time_filter_keeps_only_them(world: World) -> None:
    last_week = {"start": datetime(2024, 8, 7, tzinfo=UTC), "end": datetime(2024, 8, 8, tzinfo=UTC)}
    world.add(
        "trip-old",
        "Alice went hiking in the Alps",
        event_time={"start": datetime(2023, 1, 1, tzinfo=UTC), "end": datetime(2023, 1, 2, tzinfo=UTC)},
    )
    world.add("trip-new", "Alice went hiking near Hangzhou", event_time=last_week)
    world.add("other", "Alice went hiking alone")
    service = world.service()
    boosted = service.search(scope(), SearchQuery(query="where did Alice go hiking last week?"))
    assert ids(boosted)[0] == "trip-new"
    assert boosted.time_range is not None
    assert boosted.time_range.start == datetime(2024, 8, 5, tzinfo=UTC)
    only = service.search(scope(), SearchQuery(query="hiking last week", time_filter=True))
    assert ids(only) == ["trip-new"]
    # the query's "now" comes from `at`
    earlier = service.search(
        scope(), SearchQuery(query="hiking last week", time_filter=True, at=NOW + timedelta(days=7))
    )
    assert ids(earlier) == []


def test_expired_and_type_filters(world: World) -> None:
    world.add("old", "Alice works at a bakery", status="expired", superseded_by="new")
    world.add("new", "Alice works at a hospital")
    world.add("ins", "Alice's job: nurse", "insight")
    service = world.service()
    assert "old" not in ids(service.search(scope(), SearchQuery(query="where does Alice work")))
    assert "old" in ids(service.search(scope(), SearchQuery(query="where does Alice work", include_expired=True)))
    assert ids(service.search(scope(), SearchQuery(query="work", types=("insight",)))) == ["ins"]


def test_top_k_limits_results(world: World) -> None:
    for i in range(30):
        world.add(f"m{i}", f"fact number {i} about tea")
    assert len(ids(world.service().search(scope(), SearchQuery(query="tea", top_k=5)))) == 5


def test_recent_turns_are_the_unconsolidated_tail(world: World) -> None:
    world.log.append(scope(), [message(i) for i in range(1, 16)])
    world.log.advance_watermark(scope(), 3)
    result = world.service().search(scope(), SearchQuery(query="anything"))
    assert [t.message.id for t in result.recent] == [f"m{i}" for i in range(6, 16)]
    world.log.advance_watermark(scope(), 14)
    assert [t.message.id for t in world.service().search(scope(), SearchQuery(query="x")).recent] == ["m15"]
    assert world.service().search(scope(), SearchQuery(query="x", include_recent=False)).recent == []


def test_reranker_only_when_more_candidates_than_top_k(world: World) -> None:
    world.add("a", "a giraffe at the zoo")
    world.add("b", "zoo visit with friends")
    reranker = StubReranker()
    service = world.service(reranker=reranker)
    service.search(scope(), SearchQuery(query="zoo", top_k=5))
    assert reranker.calls == []
    result = service.search(scope(), SearchQuery(query="zoo", top_k=1))
    assert len(reranker.calls) == 1
    assert ids(result) == ["a"]


def test_reranker_outage_falls_back_to_fused_order(world: World) -> None:
    world.add("a", "zoo giraffe")
    world.add("b", "zoo zoo zoo")
    result = world.service(reranker=StubReranker(fail=True)).search(scope(), SearchQuery(query="zoo", top_k=1))
    assert len(ids(result)) == 1


def test_llm_time_fallback_only_for_unresolved_time_words(world: World) -> None:
    extractor = StubTimeExtractor()
    service = world.service(time_extractor=extractor)
    service.search(scope(), SearchQuery(query="what does Alice like to eat"))
    service.search(scope(), SearchQuery(query="what did Alice do yesterday"))
    assert extractor.calls == []
    # a vague time word the parser cannot resolve: the fallback is asked, and its range is used
    result = service.search(scope(), SearchQuery(query="what did Alice do recently"))
    assert extractor.calls == ["what did Alice do recently"]
    assert result.time_range is not None


def test_unknown_timezone_is_an_invalid_request() -> None:
    with pytest.raises(InvalidMemoryRequest) as error:
        zone("Mars/Olympus")
    assert error.value.field == "timezone"


def test_memory_line_uses_memoryscope_format_in_the_readers_timezone() -> None:
    node = MemoryNode.model_validate(
        {
            "id": "x",
            "scope": scope(),
            "type": "observation",
            "content": "Alice moved to Hangzhou",
            "created_at": datetime(2024, 8, 2, 16, 30, tzinfo=UTC),
            "updated_at": datetime(2024, 8, 2, 16, 30, tzinfo=UTC),
        }
    )
    assert memory_line(node, zone("Asia/Shanghai")) == "[2024-08-03 00:30:00 Saturday] Alice moved to Hangzhou"


@pytest.mark.parametrize("fusion", ["rrf", "normalised", "convex", "vector", "keyword"])
def test_every_fusion_mode_returns_ranked_results(world: World, fusion: str) -> None:
    world.add("cat", "Alice has a cat named Miso")
    world.add("tea", "Alice drinks tea")
    service = world.service(policy=RetrievalPolicy(fusion=fusion))  # type: ignore[arg-type]
    result = service.search(scope(), SearchQuery(query="cat named Miso"))
    assert ids(result)[0] == "cat"
    assert all(a.score >= b.score for a, b in zip(result.memories, result.memories[1:], strict=False))
