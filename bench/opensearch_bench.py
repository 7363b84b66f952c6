"""Retrieval latency of the AWS MemoryIndex (records + search projection) vs SqliteMemoryIndex by scope size.

    infra/opensearch/start.sh   # or OPENSEARCH_PORT=9250 ...
    .venv/bin/python bench/opensearch_bench.py --url http://127.0.0.1:9200 --sizes 1000,10000

Per size N: one scope holds N memories and 100 other scopes hold --per-other each (random unit vectors of
dimension 384 from a seeded RNG, short English/Chinese texts). Every adapter gets the same data; then p50/p95 of
vector_search and keyword_search (k=20) over --queries queries each, after a warm-up. Three rows per size:
the projection alone (one OpenSearch query), the AWS adapter (that query for 2k+5 hits, then the record re-check:
one BatchGetItem on DynamoDB, here moto in-process, so the DynamoDB round trip of a real table, ~5-10 ms in
region, is not in the figure), and SQLite.
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

import boto3
import numpy as np
from moto import mock_aws

from mnemoscope.adapters.aws.dynamodb_memory_records import (
    MEMORY_TABLE_DEFINITION,
    DynamoDbMemoryRecords,
    RecordChange,
)
from mnemoscope.adapters.aws.opensearch_client import opensearch_client
from mnemoscope.adapters.aws.opensearch_projection import OpenSearchProjection, Projected
from mnemoscope.adapters.aws.projected_memory_index import ProjectedMemoryIndex
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import VALID, IndexEntry, MemoryIndex, ScoredMemory

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
    """Write the same data to both indexes; the AWS adapter on one background thread (moto is not thread-safe)."""
    rng = np.random.default_rng(seed)
    scopes = [(Scope(tenant_id="bench", user_id="main"), size)]
    scopes += [(Scope(tenant_id="bench", user_id=f"other{i:03d}"), per_other) for i in range(others)]
    sqlite_seconds = 0.0
    with ThreadPoolExecutor(max_workers=1) as pool:
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


class BulkLoader:
    """Loads the AWS adapter's records with BatchWriteItem (moto copies a whole table per transaction, which would
    make a 20k-record load take hours) and its projection with the adapter's own write. Searches use the adapter."""

    def __init__(self, index: ProjectedMemoryIndex, table: str) -> None:
        self._index = index
        self._table = table
        self._client = boto3.client("dynamodb")

    def upsert(self, entries: list[IndexEntry]) -> None:
        changes = [RecordChange(e.node, tuple(e.vector or ()), None) for e in entries]
        records = self._index.records
        for start in range(0, len(changes), 25):
            items = [{"PutRequest": {"Item": records._put_request(c, 0)["Item"]}} for c in changes[start : start + 25]]
            self._client.batch_write_item(RequestItems={self._table: items})
        self._index.projection.write([Projected(c.node, c.vector, c.version) for c in changes])


class ProjectionOnly:
    """The projection's own query, without the record re-check (what the re-check adds is the difference)."""

    def __init__(self, projection: OpenSearchProjection) -> None:
        self._projection = projection

    def vector_search(self, scope: Scope, vector: list[float], k: int) -> list[ScoredMemory]:
        return self._projection.vector_search(scope, vector, k, VALID)  # type: ignore[return-value]

    def keyword_search(self, scope: Scope, text: str, k: int) -> list[ScoredMemory]:
        return self._projection.keyword_search(scope, text, k, VALID)  # type: ignore[return-value]


def run_size(url: str, size: int, args: argparse.Namespace, workdir: Path) -> list[str]:
    client = opensearch_client(url, timeout_seconds=120.0)
    name = f"mnemoscope-bench-{size}-{uuid.uuid4().hex[:8]}"
    table = f"bench-{size}"
    boto3.client("dynamodb").create_table(TableName=table, **MEMORY_TABLE_DEFINITION)
    projection = OpenSearchProjection(client, name, DIM, engine="lucene")
    aws = ProjectedMemoryIndex(DynamoDbMemoryRecords(table), projection)
    projection.ensure_ready()
    # Bulk-load settings (what a reindex of a big table would do by hand); the adapter itself never refreshes.
    client.indices.put_settings(index=name, body={"index": {"refresh_interval": "-1", "number_of_replicas": 0}})
    db = SqliteDatabase(workdir / f"bench-{size}.db")
    sqlite = SqliteMemoryIndex(db, DIM)
    try:
        started = time.perf_counter()
        sqlite_seconds = load(BulkLoader(aws, table), sqlite, size, args.other_scopes, args.per_other, args.seed)  # type: ignore[arg-type]
        client.indices.put_settings(index=name, body={"index": {"refresh_interval": "1s"}})
        client.indices.refresh(index=name)
        # Wall time of the whole load minus the SQLite share (the two run interleaved).
        spent = [time.perf_counter() - started - sqlite_seconds, sqlite_seconds]
        rows = []
        total = size + args.other_scopes * args.per_other
        for label, index, seconds in (
            ("OpenSearch projection only", ProjectionOnly(projection), None),
            ("AWS adapter (projection + record re-check)", aws, spent[0]),
            ("SQLite", sqlite, spent[1]),
        ):
            v50, v95, k50, k95 = measure(index, args.queries, args.seed)  # type: ignore[arg-type]
            load_cell = f"{seconds:.0f} s ({total:,} docs)" if seconds is not None else ""
            rows.append(f"| {size:,} | {label} | {v50:.1f} | {v95:.1f} | {k50:.1f} | {k95:.1f} | {load_cell} |")
        return rows
    finally:
        client.indices.delete(index=name, params={"ignore_unavailable": "true"})
        db.close()


def main() -> None:
    """Run every size and print one markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("MNEMOSCOPE_TEST_OPENSEARCH_URL", "http://127.0.0.1:9200"))
    parser.add_argument("--sizes", default="1000,10000")
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
    # DynamoDB is moto in this process (no network); OpenSearch is the real node at --url.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws(), tempfile.TemporaryDirectory() as workdir:
        for size in (int(s) for s in args.sizes.split(",")):
            rows += run_size(args.url, size, args, Path(workdir))
            print("\n".join([*header, *rows]), flush=True)


if __name__ == "__main__":
    main()
