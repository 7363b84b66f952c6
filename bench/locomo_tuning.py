"""Fast what-if runs for issue 18: LoCoMo recall@10 of many retrieval policies on one split, in seconds each.

The real SQLite index answers each question's vector and keyword search ONCE (top `--pool` of each side); a
caching MemoryIndex then serves every policy's (smaller) candidate lists from those answers, so a policy costs
only the RetrievalService's own fusion and ranking. The numbers equal `bench.locomo_recall` for the same
policy (same service code, same data), as long as a policy asks for at most `--pool` candidates per side.

Vectors are the shipped embedder's (the one-pass engine: dense and sparse, `bench/onepass_cache.py`), cached in
the same file `bench.locomo_recall` uses; "shipped" is the local default (feedback + the sparse list).

Run from the repository root:  .venv/bin/python -m bench.locomo_tuning --split dev
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.common import RESULTS, WORK, np, write_json  # first: BLAS threads
from bench.locomo_recall import DATA, SPLITS, Question, build_index, load, scope_of
from bench.onepass_cache import LookupSparse, OnePassCache


@dataclass
class CachingIndex:
    """A MemoryIndex facade: the first call per (side, query) fetches `pool` hits; later calls slice them."""

    inner: Any
    pool: int
    _vector: dict[tuple[str, tuple[float, ...]], list[Any]] = field(default_factory=dict)
    _keyword: dict[tuple[str, str], list[Any]] = field(default_factory=dict)

    def vector_search(self, scope: Any, vector: Sequence[float], k: int, memory_filter: Any) -> list[Any]:
        key = (scope.key, tuple(vector[:8]))
        if key not in self._vector:
            self._vector[key] = self.inner.vector_search(scope, vector, self.pool, memory_filter)
        return self._vector[key][:k]

    def keyword_search(self, scope: Any, text: str, k: int, memory_filter: Any) -> list[Any]:
        key = (scope.key, text)
        if key not in self._keyword:
            self._keyword[key] = self.inner.keyword_search(scope, text, self.pool, memory_filter)
        return self._keyword[key][:k]

    def hybrid_search(self, scope: Any, vector: Sequence[float], text: str, k: int, memory_filter: Any) -> Any:
        from mnemoscope.ports.memory_index import HybridHits

        return HybridHits(
            vector=self.vector_search(scope, vector, k, memory_filter),
            keyword=self.keyword_search(scope, text, k, memory_filter),
        )


def recall_at(service: Any, questions: list[Question], k: int) -> list[float]:
    from mnemoscope.services.retrieval import SearchQuery

    out: list[float] = []
    for q in questions:
        query = SearchQuery(query=q.text, top_k=k, at=q.at, include_recent=False)
        result = service.search(scope_of(q.conversation), query)
        found = {hit.node.id for hit in result.memories}
        out.append(len(found & set(q.evidence)) / len(q.evidence))
    return out


def by_category(values: list[float], questions: list[Question]) -> dict[str, float]:
    groups: dict[str, list[float]] = {"overall": values}
    for value, q in zip(values, questions, strict=True):
        groups.setdefault(f"cat{q.category}", []).append(value)
    return {name: round(100 * float(np.mean(v)), 1) for name, v in sorted(groups.items())}


def policies() -> dict[str, Callable[[], Any]]:
    """Named RetrievalPolicy factories to compare (the experiment list; each name says what differs).

    A factory may return (RetrievalPolicy, FeedbackPolicy): the service then runs keyword feedback too; and
    (RetrievalPolicy, FeedbackPolicy, SparsePolicy): then the sparse list after it."""
    from mnemoscope.services.feedback import FeedbackPolicy
    from mnemoscope.services.retrieval import RetrievalPolicy
    from mnemoscope.services.sparse_ranking import SparsePolicy

    out: dict[str, Callable[[], Any]] = {"default": RetrievalPolicy}
    # The steps of issue 18 one at a time (the query form is the embedder's, so it is in every row after it landed).
    out["step: rrf k=60 boost 2"] = lambda: RetrievalPolicy(rrf_k=60, time_boost=2.0)
    out["step: rrf k=5 boost 2"] = lambda: RetrievalPolicy(time_boost=2.0)
    for fusion in ("vector", "keyword", "normalised", "rrf"):
        out[fusion] = lambda fusion=fusion: RetrievalPolicy(fusion=fusion)
    for boost in (1.0, 1.5, 3.0, 4.0, 6.0, 8.0):
        out[f"boost {boost:g}"] = lambda boost=boost: RetrievalPolicy(time_boost=boost)
    for rrf_k in (5, 10, 20, 40, 60, 100):
        for weight in (0.7, 1.0, 1.5, 2.0, 3.0):
            out[f"rrf k={rrf_k} kw={weight:g}"] = lambda rrf_k=rrf_k, weight=weight: RetrievalPolicy(
                fusion="rrf", rrf_k=rrf_k, keyword_weight=weight
            )
    for pool in (20, 50, 100, 200):
        for weight in (1.0, 1.5):
            out[f"rrf pool={pool} kw={weight:g}"] = lambda pool=pool, weight=weight: RetrievalPolicy(
                fusion="rrf", candidates_factor=1, min_candidates=pool, keyword_weight=weight
            )
    for weight in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        for pool in (30, 100):
            out[f"convex w={weight:g} pool={pool}"] = lambda weight=weight, pool=pool: RetrievalPolicy(
                fusion="convex", convex_keyword_weight=weight, candidates_factor=1, min_candidates=pool
            )
    # Issue 18 (cont.): keyword pseudo-relevance feedback (services/feedback.py) on top of the defaults.
    out["feedback"] = lambda: (RetrievalPolicy(), FeedbackPolicy())
    # Issue 18: + the sparse list (services/sparse_ranking.py): the local backend as shipped.
    out["shipped"] = lambda: (RetrievalPolicy(), FeedbackPolicy(), SparsePolicy())
    for weight in (0.5, 0.7, 1.0, 1.5):
        out[f"shipped sparse w={weight:g}"] = lambda weight=weight: (
            RetrievalPolicy(),
            FeedbackPolicy(),
            SparsePolicy(weight=weight),
        )
    out["feedback pool 30"] = lambda: (RetrievalPolicy(min_candidates=30), FeedbackPolicy(pool=30))
    out["pool 30 no feedback (before)"] = lambda: RetrievalPolicy(min_candidates=30)
    out["feedback search"] = lambda: (RetrievalPolicy(min_candidates=30), FeedbackPolicy(search=True, pool=30))
    for top in (3, 5, 7, 10):
        for terms in (10, 20, 30):
            for weight in (0.5, 0.7, 1.0, 1.5):
                out[f"feedback m={top} t={terms} w={weight:g}"] = lambda top=top, terms=terms, weight=weight: (
                    RetrievalPolicy(),
                    FeedbackPolicy(top_memories=top, max_terms=terms, weight=weight),
                )
    for rrf_k in (5, 20, 60):
        for weight in (0.3, 0.5, 0.7, 1.0, 2.0, 3.0):
            out[f"feedback k={rrf_k} w={weight:g}"] = lambda rrf_k=rrf_k, weight=weight: (
                RetrievalPolicy(),
                FeedbackPolicy(rrf_k=rrf_k, weight=weight),
            )
    for keep in (1, 3, 5):
        for rrf_k, weight in ((5, 0.7), (5, 1.0), (5, 1.5), (20, 2.0), (20, 3.0)):
            out[f"feedback keep={keep} k={rrf_k} w={weight:g}"] = lambda keep=keep, rrf_k=rrf_k, weight=weight: (
                RetrievalPolicy(),
                FeedbackPolicy(rrf_k=rrf_k, weight=weight, keep_top=keep),
            )
    for terms in (5, 10, 15):
        out[f"feedback keep=5 t={terms}"] = lambda terms=terms: (RetrievalPolicy(), FeedbackPolicy(max_terms=terms))
    for pool in (30, 60, 100):
        out[f"feedback pool-only pool={pool}"] = lambda pool=pool: (
            RetrievalPolicy(min_candidates=pool),
            FeedbackPolicy(search=False, pool=pool),
        )
        out[f"pool={pool} no feedback"] = lambda pool=pool: RetrievalPolicy(min_candidates=pool)
    return out


def service_for(made: Any, index: Any, chat_log: Any, embedder: Any, clock: Any, sparse: Any = None) -> Any:
    """A RetrievalService for a factory's result (a policy, + a feedback policy, + a sparse policy); `sparse` is
    (SparseEncoder, SparseScores) for the sparse list."""
    from mnemoscope.adapters.local.feedback_terms import content_terms
    from mnemoscope.services.feedback import KeywordFeedback, RankingChain
    from mnemoscope.services.retrieval import RetrievalService
    from mnemoscope.services.sparse_ranking import SparseRanking

    policy, feedback, sparse_policy = (*made, None, None)[:3] if isinstance(made, tuple) else (made, None, None)
    extra: Any = KeywordFeedback(index, content_terms, feedback) if feedback is not None else None
    if sparse_policy is not None:
        extra = RankingChain([extra, SparseRanking(*sparse, sparse_policy)])
    return RetrievalService(index, chat_log, embedder, clock, policy, feedback=extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=sorted(SPLITS), default="dev")
    parser.add_argument("--pool", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--only", default="", help="comma-separated policy names (default: all)")
    parser.add_argument("--curve", default="", help="comma-separated k values: recall@k per policy and category")
    parser.add_argument("--out", default="", help="file name under bench/results")
    args = parser.parse_args()
    ks = [int(k) for k in args.curve.split(",") if k] or [args.k]

    turns, questions, _ = load(DATA, args.split)
    cache = OnePassCache(WORK / "locomo-onepass.pkl")  # the shipped embedder's vectors, dense and sparse
    vectors, turn_sparse = cache.passages([t.content for t in turns], progress="locomo turns")
    query_vectors, query_sparse = cache.queries([q.text for q in questions])
    from bench.common import LookupEmbedder

    lookup = LookupEmbedder({q.text: v.tolist() for q, v in zip(questions, query_vectors, strict=True)})
    encoder = LookupSparse(
        {q.text: v for q, v in zip(questions, query_sparse, strict=True)},
        {t.content: v for t, v in zip(turns, turn_sparse, strict=True)},
    )
    index, chat_log = build_index(turns, vectors, WORK / f"locomo-tuning-{args.split}.db", encoder)
    caching = CachingIndex(index, args.pool)

    class _Clock:
        def now(self) -> Any:
            return questions[0].at

    wanted = {n for n in args.only.split(",") if n}
    rows: dict[str, dict[int, dict[str, float]]] = {}
    for name, make in policies().items():
        if wanted and name not in wanted:
            continue
        began = time.perf_counter()
        service = service_for(make(), caching, chat_log, lookup, _Clock(), (encoder, index))
        rows[name] = {k: by_category(recall_at(service, questions, k), questions) for k in ks}
        shown = rows[name][ks[-1]] if len(ks) == 1 else {k: r["overall"] for k, r in rows[name].items()}
        label = ks[-1] if len(ks) == 1 else ks
        print(f"{name:>32}: R@{label} {shown}  ({time.perf_counter() - began:.1f}s)", flush=True)
    if args.out:
        write_json(RESULTS / args.out, {"split": args.split, "questions": len(questions), "recall": rows})
    print(json.dumps({"split": args.split, "questions": len(questions)}))


if __name__ == "__main__":
    main()
