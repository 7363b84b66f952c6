"""What keyword feedback (issue 18 cont., services/feedback.py) adds to a search, at 10,000 memories in scope.

Uses the database `bench.retrieval_latency` builds (run it once first with the same $MNEMOSCOPE_BENCH_WORK and
--sizes 10000). Two RetrievalServices over the same index — feedback off and on — answer the same queries
alternately (A, B, A, B, …) after a warm-up, so machine load hits both alike; query embedding is excluded
(precomputed vectors). Also timed: the feedback search alone (`keyword_search` with the expansion words) and the
term selection alone.

Run from the repository root:  .venv/bin/python -m bench.feedback_latency --queries 200
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from bench.common import RESULTS, WORK, LookupEmbedder, machine, queries, summary_ms, write_json  # first: BLAS
from bench.retrieval_latency import DIM, NOW, TARGET_USER, TENANT, Spec, build_services


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--search", action="store_true", help="feedback as a second keyword search (not shipped)")
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    from mnemoscope.adapters.local.feedback_terms import content_terms
    from mnemoscope.adapters.models.local_embedder import LocalE5Embedder
    from mnemoscope.domain.scope import Scope
    from mnemoscope.ports.memory_index import VALID
    from mnemoscope.services.feedback import FeedbackPolicy, KeywordFeedback
    from mnemoscope.services.retrieval import RetrievalPolicy, RetrievalService, SearchQuery

    db_path = WORK / f"latency-{args.size}-{Spec(size=args.size).tag}.db"
    if not db_path.exists():
        raise SystemExit(f"{db_path} is missing: run bench.retrieval_latency --sizes {args.size} first")
    texts = queries(args.warmup + args.queries)
    live = LocalE5Embedder(num_threads=1)
    lookup = LookupEmbedder({q: live.embed_query(q) for q in texts})
    graph, db = build_services(db_path, lookup)
    index, chat_log = graph.ports.memory_index, graph.ports.chat_log
    feedback = KeywordFeedback(index, content_terms, FeedbackPolicy(search=args.search))

    class _Clock:
        def now(self) -> Any:
            return NOW

    off = RetrievalService(index, chat_log, lookup, _Clock(), RetrievalPolicy())
    on = RetrievalService(index, chat_log, lookup, _Clock(), RetrievalPolicy(), feedback=feedback)
    target = Scope(tenant_id=TENANT, user_id=TARGET_USER)
    timings: dict[str, list[float]] = {"off": [], "on": [], "feedback_search": [], "term_selection": []}
    words_per_query: list[int] = []
    for n, text in enumerate(texts):
        request = SearchQuery(query=text, top_k=20)
        for name, service in (("off", off), ("on", on)) if n % 2 else (("on", on), ("off", off)):
            began = time.perf_counter()
            service.search(target, request)
            if n >= args.warmup:
                timings[name].append(time.perf_counter() - began)
        if n < args.warmup:
            continue
        # The parts, on the first pass the service would see (n = 60 per side for top_k 20).
        hits = [*index.vector_search(target, lookup.embed_query(text), 60, VALID)]
        hits += index.keyword_search(target, text, 60, VALID)
        nodes = {hit.node.id: hit.node for hit in hits}
        fused = {hit.node.id: 1.0 / (rank + 1) for rank, hit in enumerate(hits)}
        began = time.perf_counter()
        words = feedback.expansion(text, fused, nodes)
        timings["term_selection"].append(time.perf_counter() - began)
        words_per_query.append(len(words))
        began = time.perf_counter()
        index.keyword_search(target, " ".join(words), 60, VALID)
        timings["feedback_search"].append(time.perf_counter() - began)
    db.close()
    report = {
        "benchmark": "feedback_latency",
        "machine": machine(),
        "size": args.size,
        "feedback": "second keyword search" if args.search else "pool only (shipped)",
        "dim": DIM,
        "queries": args.queries,
        "loadavg_after": os.getloadavg(),
        "mean_expansion_words": round(sum(words_per_query) / max(len(words_per_query), 1), 1),
        "ms": {name: summary_ms(values) for name, values in timings.items()},
    }
    out = args.out or f"issue18_feedback_latency{'_search' if args.search else ''}.json"
    write_json(RESULTS / out, report)
    for name, values in report["ms"].items():
        print(f"{name:>16}: {values}")


if __name__ == "__main__":
    main()
