"""Retrieval: the memories relevant to a message — hybrid (vector + keyword), type-weighted, time-aware,
optionally reranked — plus the scope's not-yet-consolidated turns (read-your-writes). No LLM on the common path."""

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mnemoscope.domain.errors import DependencyUnavailable, InvalidMemoryRequest
from mnemoscope.domain.memory import MemoryNode, MemoryType
from mnemoscope.domain.message import LoggedMessage
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.scoring import (
    TypeWeights,
    convex_fusion,
    final_score,
    has_cjk,
    normalised_fusion,
    reciprocal_rank_fusion,
    time_matches,
)
from mnemoscope.domain.time_range import TimeRange
from mnemoscope.ports.chat_log import ChatLog
from mnemoscope.ports.clock import Clock
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.memory_index import MemoryFilter, MemoryIndex, ScoredMemory
from mnemoscope.ports.reranker import Reranker
from mnemoscope.ports.time_extractor import TimeExtractor
from mnemoscope.services.feedback import ExtraRanking
from mnemoscope.timeparse import has_time_reference, resolve_time

Fusion = Literal["rrf", "normalised", "convex", "vector", "keyword"]


@dataclass(frozen=True)
class SearchQuery:
    query: str
    top_k: int = 20
    at: datetime | None = None
    timezone: str | None = None
    types: tuple[MemoryType, ...] | None = None
    include_recent: bool = True
    include_expired: bool = False
    time_filter: bool = False
    time_window: TimeRange | None = None  # given by the caller; else read from the query


@dataclass(frozen=True)
class SearchResult:
    memories: list[ScoredMemory]
    recent: list[LoggedMessage]
    now: datetime
    time_range: TimeRange | None = None


@dataclass(frozen=True)
class RetrievalPolicy:
    weights: TypeWeights = field(default_factory=TypeWeights)
    # x4, not x2: under RRF k = 5 a time-matching memory still climbs as far as it did under k = 60 (issue 18).
    time_boost: float = 4.0
    fusion: Fusion = "rrf"
    # Issue 18 (docs/decisions.md): k = 5 instead of Cormack's 60 lets the top of each list decide, and the CJK
    # bigram keyword side, weaker than the vector side on Chinese, counts half for queries with Chinese characters.
    rrf_k: int = 5
    keyword_weight: float = 1.0  # the RRF weight of the keyword list; the vector list's is 1
    cjk_keyword_weight: float = 0.5
    convex_keyword_weight: float = 0.5  # fusion="convex": BM25's share of the min-max-normalised score
    candidates_factor: int = 3
    min_candidates: int = 30  # keyword feedback, when on, asks for more (FeedbackPolicy.pool)
    time_filter_candidates: int = 200
    recent_turns: int = 10


def zone(name: str | None) -> tzinfo:
    """Raises: InvalidMemoryRequest naming `timezone` when the IANA name is unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidMemoryRequest(f"unknown timezone {name!r}", field="timezone") from error


class RetrievalService:
    def __init__(
        self,
        memory_index: MemoryIndex,
        chat_log: ChatLog,
        embedder: Embedder,
        clock: Clock,
        policy: RetrievalPolicy | None = None,
        reranker: Reranker | None = None,
        time_extractor: TimeExtractor | None = None,
        feedback: ExtraRanking | None = None,
    ) -> None:
        self._index = memory_index
        self._chat_log = chat_log
        self._embedder = embedder
        self._clock = clock
        self._policy = policy or RetrievalPolicy()
        self._reranker = reranker
        self._time_extractor = time_extractor
        self._feedback = feedback

    def search(self, scope: Scope, request: SearchQuery) -> SearchResult:
        now = (request.at or self._clock.now()).astimezone(zone(request.timezone))
        time_range = request.time_window or self._time_range(request.query, now)
        memory_filter = MemoryFilter(
            types=frozenset(request.types) if request.types else None,
            statuses=None if request.include_expired else frozenset({"valid"}),
        )
        candidates = self._candidates(scope, request, memory_filter, time_range)
        ranked = self._rank(request, candidates, time_range)
        recent = self._recent(scope) if request.include_recent else []
        return SearchResult(memories=ranked[: request.top_k], recent=recent, now=now, time_range=time_range)

    def _time_range(self, query: str, now: datetime) -> TimeRange | None:
        resolved = resolve_time(query, now)
        # The LLM fallback only runs when time words remain unresolved: never on the common path.
        if resolved is None and self._time_extractor is not None and has_time_reference(query):
            resolved = self._time_extractor.extract(query, now)
        return resolved

    def _candidates(
        self, scope: Scope, request: SearchQuery, memory_filter: MemoryFilter, time_range: TimeRange | None
    ) -> dict[str, tuple[MemoryNode, float]]:
        policy = self._policy
        n = max(request.top_k * policy.candidates_factor, policy.min_candidates)
        if request.time_filter and time_range is not None:
            n = max(n, policy.time_filter_candidates)
        if self._feedback is not None and policy.fusion == "rrf":
            n = max(n, self._feedback.min_candidates)
        vector_hits: list[ScoredMemory] = []
        keyword_hits: list[ScoredMemory] = []
        if policy.fusion == "keyword":
            keyword_hits = self._index.keyword_search(scope, request.query, n, memory_filter)
        elif policy.fusion == "vector":
            vector_hits = self._index.vector_search(scope, self._embedder.embed_query(request.query), n, memory_filter)
        else:
            # The index method first: a deferred index that cannot be built fails before an embedding is paid for.
            hybrid_search = self._index.hybrid_search
            both = hybrid_search(scope, self._embedder.embed_query(request.query), request.query, n, memory_filter)
            vector_hits, keyword_hits = both.vector, both.keyword
        nodes = {hit.node.id: hit.node for hit in [*vector_hits, *keyword_hits]}
        fused = self._fuse(request.query, vector_hits, keyword_hits)
        # Issue 18 (cont.) hook: keyword pseudo-relevance feedback adds a third RRF list (services/feedback.py).
        if self._feedback is not None and policy.fusion == "rrf":
            fused, nodes = self._feedback.extend(scope, request.query, fused, nodes, n, memory_filter, policy.rrf_k)
        return {memory_id: (nodes[memory_id], score) for memory_id, score in fused.items()}

    def _fuse(self, query: str, vector_hits: list[ScoredMemory], keyword_hits: list[ScoredMemory]) -> dict[str, float]:
        policy = self._policy
        vector_scores = {h.node.id: h.score for h in vector_hits}
        keyword_scores = {h.node.id: h.score for h in keyword_hits}
        if policy.fusion == "normalised":
            return normalised_fusion(vector_scores, keyword_scores)
        if policy.fusion == "convex":
            return convex_fusion(vector_scores, keyword_scores, policy.convex_keyword_weight)
        if policy.fusion == "vector":
            # Cosine can be negative; shift so type weights and boosts keep their meaning.
            return {h.node.id: (h.score + 1.0) / 2.0 for h in vector_hits}
        rankings = [[h.node.id for h in vector_hits], [h.node.id for h in keyword_hits]]
        keyword_weight = policy.cjk_keyword_weight if has_cjk(query) else policy.keyword_weight
        return reciprocal_rank_fusion(rankings, policy.rrf_k, (1.0, keyword_weight))

    def _rank(
        self, request: SearchQuery, candidates: dict[str, tuple[MemoryNode, float]], time_range: TimeRange | None
    ) -> list[ScoredMemory]:
        items = list(candidates.values())
        if request.time_filter and time_range is not None:
            items = [(node, score) for node, score in items if time_matches(node, time_range)]
        if self._reranker is not None and len(items) > request.top_k:
            items = self._reranked(request.query, items)
        policy = self._policy
        scored = [
            (final_score(base, node, policy.weights, time_range, policy.time_boost), node) for node, base in items
        ]
        scored.sort(key=lambda pair: (-pair[0], pair[1].id))
        # Only the answer becomes response objects: most candidates are dropped here.
        return [ScoredMemory(node=node, score=score) for score, node in scored[: request.top_k]]

    def _reranked(self, query: str, items: list[tuple[MemoryNode, float]]) -> list[tuple[MemoryNode, float]]:
        assert self._reranker is not None
        try:
            scores = self._reranker.rerank(query, [node.content for node, _ in items])
        except DependencyUnavailable:
            return items  # a reranker outage degrades ranking, not availability
        return [(node, score) for (node, _), score in zip(items, scores, strict=True)]

    def _recent(self, scope: Scope) -> list[LoggedMessage]:
        limit = self._policy.recent_turns
        if limit <= 0:
            return []
        # Pending turns are a suffix of the log, so the last N pending ones are among the last N turns.
        watermark = self._chat_log.state(scope).watermark
        return [turn for turn in self._chat_log.recent(scope, limit) if turn.seq > watermark]
