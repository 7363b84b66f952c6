"""Pseudo-relevance feedback terms: the words that set the first search's best memories apart from the rest.

RM3-style (Lavrenko & Croft; Abdul-Jaleel et al. 2004) without corpus statistics: a term's weight is its share of
each top memory's terms, summed over the top memories, times its idf *within the candidate pool* (every memory
either list of the first pass returned). A word most candidates share (a name everyone mentions, "like") has an idf
of 0 or less there and is never chosen, so no index-wide document frequencies are needed."""

import math
from collections import Counter
from collections.abc import Collection, Sequence


def pool_idf(term: str, document_frequency: Counter[str], pool_size: int) -> float:
    """BM25's idf of `term` among `pool_size` documents: log((N - df + 0.5) / (df + 0.5)); negative when common."""
    df = document_frequency[term]
    return math.log((pool_size - df + 0.5) / (df + 0.5))


def feedback_terms(
    query_terms: Collection[str],
    top_documents: Sequence[Sequence[str]],
    pool_documents: Sequence[Sequence[str]],
    limit: int,
) -> list[str]:
    """Up to `limit` terms of `top_documents`, best first, that are not query terms and are rare in the pool.

    Each document is given as its (stop-word-free) terms, repeats included; `top_documents` are usually also in
    `pool_documents`. Ties break on the term, so the result does not depend on dictionary order."""
    return [term for term, _ in weighted_feedback_terms(query_terms, top_documents, pool_documents, limit)]


def weighted_feedback_terms(
    query_terms: Collection[str],
    top_documents: Sequence[Sequence[str]],
    pool_documents: Sequence[Sequence[str]],
    limit: int,
) -> list[tuple[str, float]]:
    """`feedback_terms` with their weights."""
    if limit <= 0 or not top_documents:
        return []
    frequency: Counter[str] = Counter()
    for document in pool_documents:
        frequency.update(set(document))
    size = len(pool_documents)
    weights: dict[str, float] = {}
    for document in top_documents:
        candidates = [term for term in document if term not in query_terms]
        for term, count in Counter(candidates).items():
            idf = pool_idf(term, frequency, size)
            if idf > 0:
                weights[term] = weights.get(term, 0.0) + count / len(candidates) * idf
    ranked = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:limit]
