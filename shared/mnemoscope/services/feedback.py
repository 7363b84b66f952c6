"""Keyword pseudo-relevance feedback: one more keyword search, for the distinctive words of the first pass's top
memories, fused as a third ranked list (issue 18, docs/decisions.md "Issue 18 (cont.)").

Why it helps: a question and its evidence often share few words ("what does she do to destress?" vs "I go running
every morning, it clears my head"), but the evidence tends to share words with the memories the first pass did
find ("running", "race", "marathon"). The second search costs one keyword query and no model call."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from mnemoscope.domain.feedback import feedback_terms
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.domain.scoring import has_cjk
from mnemoscope.ports.memory_index import MemoryFilter, MemoryIndex

# A text's search terms without stop words, in order, repeats kept: the keyword side's own analyser, so the
# expansion words are ones the keyword index can match (wiring passes the local adapter's).
Terms = Callable[[str], Sequence[str]]


class ExtraRanking(Protocol):
    """A ranked list fused into the first pass's RRF scores (the RetrievalService hook; KeywordFeedback is one)."""

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


@dataclass(frozen=True)
class FeedbackPolicy:
    top_memories: int = 5  # the first pass's best memories the words are taken from
    max_terms: int = 20  # expansion words per second search
    weight: float = 0.7  # RRF weight of the feedback list (the vector and keyword lists weigh 1)
    rrf_k: int | None = None  # the feedback list's RRF k (None: the retrieval policy's)
    keep_top: int = 5  # the first pass's best memories feedback may not overtake (its words come from them)
    cjk: bool = False  # also for queries with Chinese characters (measured: see docs/benchmarks.md)


class KeywordFeedback:
    def __init__(
        self,
        index: MemoryIndex,
        terms: Terms,
        policy: FeedbackPolicy | None = None,
    ) -> None:
        self._index = index
        self._terms = terms
        self._policy = policy or FeedbackPolicy()

    def expansion(self, query: str, fused: Mapping[str, float], nodes: Mapping[str, MemoryNode]) -> list[str]:
        """The words the second search runs with (empty: no second search)."""
        policy = self._policy
        if not policy.cjk and has_cjk(query):
            return []
        best = _best(fused, policy.top_memories)
        pool = {memory_id: self._terms(node.content) for memory_id, node in nodes.items()}
        return feedback_terms(
            set(self._terms(query)), [pool[memory_id] for memory_id in best], list(pool.values()), policy.max_terms
        )

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
        """`fused` (RRF scores) plus weight / (rrf_k + rank) for each hit of the feedback search, and the nodes."""
        scores, known = dict(fused), dict(nodes)
        k = self._policy.rrf_k if self._policy.rrf_k is not None else rrf_k
        words = self.expansion(query, fused, nodes)
        if not words:
            return scores, known
        hits = self._index.keyword_search(scope, " ".join(words), n, memory_filter)
        kept = _best(fused, self._policy.keep_top)
        # Just under the last kept memory: a feedback hit can climb to the first place after the kept ones.
        ceiling = min((fused[memory_id] for memory_id in kept), default=float("inf")) * (1.0 - 1e-9)
        for rank, hit in enumerate(hits, start=1):
            memory_id = hit.node.id
            known.setdefault(memory_id, hit.node)
            if memory_id not in kept:
                raised = scores.get(memory_id, 0.0) + self._policy.weight / (k + rank)
                scores[memory_id] = min(raised, max(ceiling, scores.get(memory_id, 0.0)))
        return scores, known


def _best(fused: Mapping[str, float], count: int) -> list[str]:
    """The `count` best ids of a fused ranking (ties broken on the id, as the service does)."""
    return sorted(fused, key=lambda memory_id: (-fused[memory_id], memory_id))[:count]
