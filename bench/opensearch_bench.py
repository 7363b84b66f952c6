"""Retrieval latency of OpenSearchMemoryIndex vs SqliteMemoryIndex at growing scope sizes.

    infra/opensearch/start.sh   # or OPENSEARCH_PORT=9250 ...
    .venv/bin/python bench/opensearch_bench.py --url http://127.0.0.1:9200 --sizes 1000,10000,100000

Per size N: one scope holds N memories and 100 other scopes hold --per-other each (random unit vectors of
dimension 384 from a seeded RNG, short English/Chinese texts). Both adapters get the same data; then
p50/p95 of vector_search and keyword_search (k=20) over --queries queries each, after a warm-up.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from mnemoscope.adapters.aws.opensearch_client import opensearch_client
from mnemoscope.adapters.aws.opensearch_index import OpenSearchMemoryIndex
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import IndexEntry, MemoryIndex

DIM = 384
CHUNK = 2000
T0 = datetime(2024, 1, 1, tzinfo=UTC)
NAMES = ["Alice", "Bob", "Carol", "Dan", "Erin", "Frank", "Grace", "Heidi"]
THINGS = ["green tea", "espresso", "sushi", "hiking", "jazz", "chess", "yoga", "Berlin", "Hangzhou", "the piano"]
VERBS = ["likes", "dislikes", "talked about", "plans to try", "is learning", "recently mentioned"]
WHEN = ["every morning", "on weekends", "last summer", "next month", "with her sister", "after work"]
ZH = [
    "用户喜欢喝绿茶",
    "用户下周要去杭州出差",
    "他周末经常去爬山",
    "她在学习弹钢琴",
    "用户不喜欢吃辣",
    "他最近在准备考试",
]
QUERIES = [
    "what does she like to drink",
    "tea",
    "weekend plans",
    "piano lessons",
    "杭州",
    "他喜欢喝什么茶",
    "jazz chess",
]


def text(rng: np.random.Generator) -> str:
    if rng.random() < 0.25:
        return f"{ZH[rng.integers(len(ZH))]}，{rng.integers(1, 30)}号"
    parts = (NAMES[rng.integers(len(NAMES))], VERBS[rng.integers(len(VERBS))], THINGS[rng.integers(len(THINGS))])
    return f"{parts[0]} {parts[1]} {parts[2]} {WHEN[rng.integers(len(WHEN))]}"


def batches(scope: Scope, count: int, rng: np.random.Generator, prefix: str) -> Iterator[list[IndexEntry]]:
    """Memories of one scope in chunks, so 100k vectors never sit in memory as Python floats at once."""
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        vectors = rng.standard_normal((size, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        entries = []
        for offset, vector in enumerate(vectors):
            i = start + offset
            at = T0 + timedelta(minutes=i)
            content = text(rng)
            node = MemoryNode(
                id=f"{prefix}{i:07d}", scope=scope, type="observation", content=content,
                keywords=tuple(content.lower().split()[:3]), created_at=at, updated_at=at,
            )  # fmt: skip
            entries.append(IndexEntry(node=node, vector=tuple(vector.tolist())))
        yield entries


def load(opensearch: MemoryIndex, sqlite: MemoryIndex, size: int, others: int, per_other: int, seed: int) -> float:
    """Write the same data to both indexes; OpenSearch gets 2 bulk requests in flight, as a bulk loader would."""
    rng = np.random.default_rng(seed)
    scopes = [(Scope(tenant_id="bench", user_id="main"), size)]
    scopes += [(Scope(tenant_id="bench", user_id=f"other{i:03d}"), per_other) for i in range(others)]
    sqlite_seconds = 0.0
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending: list[Future[None]] = []
        for scope, count in scopes:
            for chunk in batches(scope, count, rng, "m"):
                pending.append(pool.submit(opensearch.upsert, chunk))
                started = time.perf_counter()
                sqlite.upsert(chunk)
                sqlite_seconds += time.perf_counter() - started
                while len([f for f in pending if not f.done()]) >= 2:
                    wait(pending, return_when=FIRST_COMPLETED)
        for future in pending:
            future.result()
    return sqlite_seconds


def percentiles(call: Callable[[int], object], queries: int) -> tuple[float, float]:
    for i in range(20):  # warm-up: caches, JIT, the SQLite scope matrix
        call(i)
    timings = []
    for i in range(queries):
        started = time.perf_counter()
        call(i)
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(timings, 50)), float(np.percentile(timings, 95))


def measure(index: MemoryIndex, queries: int, seed: int) -> tuple[float, float, float, float]:
    scope = Scope(tenant_id="bench", user_id="main")
    vectors = np.random.default_rng(seed + 1).standard_normal((queries + 20, DIM))
    vector_p = percentiles(lambda i: index.vector_search(scope, vectors[i].tolist(), 20), queries)
    keyword_p = percentiles(lambda i: index.keyword_search(scope, QUERIES[i % len(QUERIES)], 20), queries)
    return (*vector_p, *keyword_p)


def run_size(url: str, size: int, args: argparse.Namespace, workdir: Path) -> list[str]:
    client = opensearch_client(url, timeout_seconds=120.0)
    name = f"mnemoscope-bench-{size}-{uuid.uuid4().hex[:8]}"
    # Loading without per-request refresh (and with refresh off) is the bulk-import path; searches below run
    # through the same adapter class with its default wait_for policy.
    loader = OpenSearchMemoryIndex(client, name, DIM, engine="lucene", refresh="false")
    loader.list(Scope(tenant_id="bench", user_id="main"))  # bootstrap the index
    client.indices.put_settings(index=name, body={"index": {"refresh_interval": "-1", "number_of_replicas": 0}})
    db = SqliteDatabase(workdir / f"bench-{size}.db")
    sqlite = SqliteMemoryIndex(db, DIM)
    try:
        started = time.perf_counter()
        sqlite_seconds = load(loader, sqlite, size, args.other_scopes, args.per_other, args.seed)
        client.indices.put_settings(index=name, body={"index": {"refresh_interval": "1s"}})
        client.indices.refresh(index=name)
        # Wall time of the whole load minus the SQLite share (the two run interleaved).
        spent = [time.perf_counter() - started - sqlite_seconds, sqlite_seconds]
        segments = len(client.cat.segments(index=name, params={"format": "json"}))
        rows = []
        total = size + args.other_scopes * args.per_other
        for label, index, seconds in (("OpenSearch (lucene)", OpenSearchMemoryIndex(client, name, DIM), spent[0]),
                                      ("SQLite", sqlite, spent[1])):  # fmt: skip
            v50, v95, k50, k95 = measure(index, args.queries, args.seed)
            load_cell = f"{seconds:.0f} s ({total:,} docs)"
            rows.append(f"| {size:,} | {label} | {v50:.1f} | {v95:.1f} | {k50:.1f} | {k95:.1f} | {load_cell} |")
        print(f"<!-- {name}: {segments} segments after load -->", flush=True)
        return rows
    finally:
        client.indices.delete(index=name, params={"ignore_unavailable": "true"})
        db.close()


def main() -> None:
    """Run every size and print one markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("MNEMOSCOPE_TEST_OPENSEARCH_URL", "http://127.0.0.1:9200"))
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--other-scopes", type=int, default=100)
    parser.add_argument("--per-other", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    header = [
        "| memories in scope | adapter | vector p50 ms | vector p95 ms | keyword p50 ms | keyword p95 ms | load |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as workdir:
        for size in (int(s) for s in args.sizes.split(",")):
            rows += run_size(args.url, size, args, Path(workdir))
            print("\n".join([*header, *rows]), flush=True)


if __name__ == "__main__":
    main()
