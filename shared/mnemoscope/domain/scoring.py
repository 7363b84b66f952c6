"""Ranking policies for retrieval: fusion of ranked lists, type weights and the time boost. Pure functions."""

import re
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from mnemoscope.domain.memory import MemoryNode, MemoryType
from mnemoscope.domain.time_range import TimeRange

RRF_K = 60  # the constant from Cormack et al.; large enough that one list's top rank cannot dominate
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class TypeWeights(BaseModel):
    """MemoryScope's weights: insights are distilled and count double; user-authored memories a little more."""

    model_config = ConfigDict(frozen=True)

    insight: float = 2.0
    custom: float = 1.2
    observation: float = 1.0

    def of(self, memory_type: MemoryType) -> float:
        return float(getattr(self, memory_type))


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Sum of weight/(k + rank) over the lists each id appears in (rank starts at 1; weights default to 1)."""
    fused: dict[str, float] = {}
    for n, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else weights[n]
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def min_max(scores: Mapping[str, float]) -> dict[str, float]:
    """Scores rescaled to [0, 1] within their list (all 1.0 when they are equal)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    return {item: (score - low) / span if span > 0 else 1.0 for item, score in scores.items()}


def convex_fusion(
    vector_scores: Mapping[str, float], keyword_scores: Mapping[str, float], keyword_weight: float
) -> dict[str, float]:
    """(1 - w) * min-max(cosine) + w * min-max(BM25): scores on one scale without training (Bruch et al. 2023)."""
    fused = {item: (1.0 - keyword_weight) * score for item, score in min_max(vector_scores).items()}
    for item, score in min_max(keyword_scores).items():
        fused[item] = fused.get(item, 0.0) + keyword_weight * score
    return fused


def normalised_fusion(
    vector_scores: Mapping[str, float], keyword_scores: Mapping[str, float], keyword_weight: float = 0.3
) -> dict[str, float]:
    """Cosine similarity plus max-normalised BM25 scaled by `keyword_weight`."""
    top = max(keyword_scores.values(), default=0.0)
    fused = dict(vector_scores)
    for item, score in keyword_scores.items():
        fused[item] = fused.get(item, 0.0) + (keyword_weight * score / top if top > 0 else 0.0)
    return fused


def has_cjk(text: str) -> bool:
    """True when `text` holds Chinese characters (keyword search then matches character bigrams, not words)."""
    return _CJK.search(text) is not None


def time_matches(node: MemoryNode, query_range: TimeRange | None) -> bool:
    """A memory matches a query's time when its event time overlaps the query's range (recurrence included)."""
    return query_range is not None and node.event_time is not None and node.event_time.overlaps(query_range)


def final_score(
    base: float, node: MemoryNode, weights: TypeWeights, query_range: TimeRange | None, time_boost: float
) -> float:
    boost = time_boost if time_matches(node, query_range) else 1.0
    return base * weights.of(node.type) * boost
