"""The two halves of a hybrid search, one after the other vs `hybrid_search` (keyword half on a spare worker,
each memory read once), on the databases of bench/retrieval_latency.py; alternating per query, same process.

Run from the repository root (after retrieval_latency.py built its databases):
    .venv/bin/python -m bench.hybrid_search --sizes 1000,10000,100000 --queries 200
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from bench.common import RESULTS, VectorCache, machine, np, queries, summary_ms, timed, write_json
from bench.retrieval_latency import DIM, TARGET_USER, TENANT, WORK, Spec, vector_dir

CANDIDATES = 60  # what the service asks each side for at top_k 20


def measure(size: int, texts: list[str], vectors: np.ndarray, warmup: int) -> dict[str, Any]:
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.domain.scope import Scope

    db_path = WORK / f"latency-{size}-{Spec(size=size).tag}.db"
    if not db_path.exists():
        raise SystemExit(f"{db_path} is missing: run bench.retrieval_latency --sizes {size} first")
    db = SqliteDatabase(db_path)
    index = SqliteMemoryIndex(db, DIM, vector_dir(db_path))
    scope = Scope(tenant_id=TENANT, user_id=TARGET_USER)

    def sequential(text: str, vector: list[float]) -> tuple[list[str], list[str]]:
        v = index.vector_search(scope, vector, CANDIDATES)
        k = index.keyword_search(scope, text, CANDIDATES)
        return [h.node.id for h in v], [h.node.id for h in k]

    def hybrid(text: str, vector: list[float]) -> tuple[list[str], list[str]]:
        both = index.hybrid_search(scope, vector, text, CANDIDATES)
        return [h.node.id for h in both.vector], [h.node.id for h in both.keyword]

    pairs = [(t, vectors[i].tolist()) for i, t in enumerate(texts)]
    for text, vector in pairs[:warmup]:
        sequential(text, vector)
        hybrid(text, vector)
    seq_s: list[float] = []
    hyb_s: list[float] = []
    same = 0
    for text, vector in pairs[warmup:]:
        s, a = timed(lambda: sequential(text, vector))  # noqa: B023 - called at once
        h, b = timed(lambda: hybrid(text, vector))  # noqa: B023
        seq_s.append(s)
        hyb_s.append(h)
        same += a == b
    index.close()
    db.close()
    seq, hyb = summary_ms(seq_s), summary_ms(hyb_s)
    return {
        "size": size,
        "sequential_ms": seq,
        "hybrid_ms": hyb,
        "ratio_p50": round(hyb["p50"] / seq["p50"], 2),
        "ratio_p95": round(hyb["p95"] / seq["p95"], 2),
        "identical_answers": f"{same}/{len(pairs) - warmup}",
        "loadavg_after": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS / "hybrid_search.json")
    args = parser.parse_args()
    texts = queries(args.warmup + args.queries)
    vectors, _ = VectorCache(WORK / "query-vectors.npz").queries(texts)
    report: dict[str, Any] = {"benchmark": "hybrid_search", "machine": machine(), "sizes": []}
    for size in [int(s) for s in args.sizes.split(",") if s]:
        entry = measure(size, texts, vectors, args.warmup)
        report["sizes"].append(entry)
        print(
            f"[{size}] sequential p50/p95 {entry['sequential_ms']['p50']}/{entry['sequential_ms']['p95']} ms | "
            f"hybrid {entry['hybrid_ms']['p50']}/{entry['hybrid_ms']['p95']} ms | ratio p50 {entry['ratio_p50']} "
            f"p95 {entry['ratio_p95']} | same answers {entry['identical_answers']}",
            flush=True,
        )
    write_json(args.out, report)


if __name__ == "__main__":
    main()
