"""Keyword pseudo-relevance feedback: the distinctive words of the first pass's top memories rank the candidates
once more, as a third RRF list (issue 18, docs/decisions.md "Issue 18 (cont.)").

Why it helps: a question and its evidence often share few words ("what does she do to destress?" vs "I go running
every morning, it clears my head"), but the evidence tends to share words with the memories the first pass did
find ("running", "race", "marathon"). By default the list ranks the first pass's own candidates (no index call, no
model call); `search=True` runs one more keyword search for the words instead."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from mnemoscope.domain.feedback import weighted_feedback_terms
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.scoring import has_cjk
from mnemoscope.ports.memory_index import MemoryFilter, MemoryIndex, ScoredMemory

# A text's search terms without stop words, in order, repeats kept: the keyword side's own analyser, so the
# expansion words are ones the keyword index can match (wiring passes the local adapter's).
Terms = Callable[[str], Sequence[str]]


class ExtraRanking(Protocol):
    """A ranked list fused into the first pass's RRF scores (the RetrievalService hook; KeywordFeedback is one)."""

    @property
    def min_candidates(self) -> int:
        """The candidate pool per side this ranking needs from the first pass (the service asks for at least it)."""
        ...

    def extend(
        self,
        scope: Scope,
        query: str,
        fused: Mapping[str, float],
        nodes: Mapping[str, MemoryNode],
        n: int,
        memory_filter: MemoryFilter,
        rrf_k: int,
    ) -> tuple[dict[str, float], dict[str, MemoryNode]]: ...


class RankingChain:
    """Several extra rankings, each applied to the scores and pool the previous one left (feedback, then sparse)."""

    def __init__(self, rankings: Sequence[ExtraRanking]) -> None:
        self._rankings = tuple(rankings)

    @property
    def min_candidates(self) -> int:
        return max((ranking.min_candidates for ranking in self._rankings), default=0)

    def extend(
        self,
        scope: Scope,
        query: str,
        fused: Mapping[str, float],
        nodes: Mapping[str, MemoryNode],
        n: int,
        memory_filter: MemoryFilter,
        rrf_k: int,
    ) -> tuple[dict[str, float], dict[str, MemoryNode]]:
        scores, known = dict(fused), dict(nodes)
        for ranking in self._rankings:
            scores, known = ranking.extend(scope, query, scores, known, n, memory_filter, rrf_k)
        return scores, known


@dataclass(frozen=True)
class FeedbackPolicy:
    top_memories: int = 5  # the first pass's best memories the words are taken from
    max_terms: int = 20  # feedback words per query
    weight: float = 0.7  # RRF weight of the feedback list (the vector and keyword lists weigh 1)
    rrf_k: int | None = None  # the feedback list's RRF k (None: the retrieval policy's)
    keep_top: int = 5  # the first pass's best memories feedback may not overtake (its words come from them)
    # False: rank the first pass's own candidates by the feedback words, no index call (the default: as good on
    # LoCoMo and ~1 ms); True: one more keyword search for them (reaches memories outside the first pass, but
    # costs a 20-word FTS query: +15 ms p50 at 10k memories).
    search: bool = False
    # Candidates per side the first pass must find (at least): feedback ranks that pool again and needs it deep
    # enough to reach the evidence when top_k is small (60, not the policy's 30: +0.6 dev; top_k >= 20 asks 60).
    pool: int = 60
    cjk: bool = False  # also for queries with Chinese characters (hurts the zh set: see docs/benchmarks.md)


class KeywordFeedback:
    def __init__(self, index: MemoryIndex, terms: Terms, policy: FeedbackPolicy | None = None) -> None:
        self._index = index
        self._terms = terms
        self._policy = policy or FeedbackPolicy()

    @property
    def min_candidates(self) -> int:
        return self._policy.pool

    def expansion(self, query: str, fused: Mapping[str, float], nodes: Mapping[str, MemoryNode]) -> list[str]:
        """The feedback words for this first pass, best first (empty: feedback does nothing)."""
        pool = {memory_id: self._terms(node.content) for memory_id, node in nodes.items()}
        return [term for term, _ in self._weighted(query, fused, pool)]

    def extend(
        self,
        scope: Scope,
        query: str,
        fused: Mapping[str, float],
        nodes: Mapping[str, MemoryNode],
        n: int,
        memory_filter: MemoryFilter,
        rrf_k: int,
    ) -> tuple[dict[str, float], dict[str, MemoryNode]]:
        """`fused` (RRF scores) plus weight / (k + rank) down the feedback list, and the nodes (with its new hits)."""
        policy = self._policy
        scores, known = dict(fused), dict(nodes)
        if not policy.cjk and has_cjk(query):
            return scores, known
        pool = {memory_id: self._terms(node.content) for memory_id, node in nodes.items()}
        weighted = self._weighted(query, fused, pool)
        if not weighted:
            return scores, known
        if policy.search:
            hits = self._index.keyword_search(scope, " ".join(term for term, _ in weighted), n, memory_filter)
        else:
            hits = _rank_pool(dict(weighted), pool, nodes)
        k = policy.rrf_k if policy.rrf_k is not None else rrf_k
        kept = _best(fused, policy.keep_top)
        # Just under the last kept memory: a feedback hit can climb to the first place after the kept ones.
        ceiling = min((fused[memory_id] for memory_id in kept), default=float("inf")) * (1.0 - 1e-9)
        for rank, hit in enumerate(hits, start=1):
            memory_id = hit.node.id
            known.setdefault(memory_id, hit.node)
            if memory_id not in kept:
                raised = scores.get(memory_id, 0.0) + policy.weight / (k + rank)
                scores[memory_id] = min(raised, max(ceiling, scores.get(memory_id, 0.0)))
        return scores, known

    def _weighted(
        self, query: str, fused: Mapping[str, float], pool: Mapping[str, Sequence[str]]
    ) -> list[tuple[str, float]]:
        best = _best(fused, self._policy.top_memories)
        return weighted_feedback_terms(
            set(self._terms(query)),
            [pool[memory_id] for memory_id in best],
            list(pool.values()),
            self._policy.max_terms,
        )


def _rank_pool(
    weights: Mapping[str, float], pool: Mapping[str, Sequence[str]], nodes: Mapping[str, MemoryNode]
) -> list[ScoredMemory]:
    """The first pass's candidates that hold feedback words, by the summed weight of the distinct words they hold."""
    scored = [(sum(weights.get(term, 0.0) for term in set(pool[memory_id])), memory_id) for memory_id in pool]
    ranked = sorted((item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1]))
    return [ScoredMemory(node=nodes[memory_id], score=score) for score, memory_id in ranked]


def _best(fused: Mapping[str, float], count: int) -> list[str]:
    """The `count` best ids of a fused ranking (ties broken on the id, as the service does)."""
    return sorted(fused, key=lambda memory_id: (-fused[memory_id], memory_id))[:count]
