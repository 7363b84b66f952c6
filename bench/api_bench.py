"""Foundation benchmark: ingest throughput through the api handler, list/get latency with 10,000 memories.

Runs the real handler in process on the embedded default (SQLite). Memories are written straight into the index
with random unit vectors (this measures the API and storage, not the embedding model).
Usage: .venv/bin/python bench/api_bench.py [--memories 10000] [--messages 5000] [--batch 20]
"""

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.entrypoints.api import lambda_handler
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.ports.memory_index import IndexEntry
from mnemoscope.runtime.gateway import proxy_event
from mnemoscope.settings import Settings
from mnemoscope.wiring import Infrastructure, assemble, override_services

DIM = 384


class NullQueue:
    def enqueue(self, job: Any) -> None:
        pass


class RandomEmbedder:
    model_id, dimension = "random-384", DIM

    def __init__(self) -> None:
        self._rng = np.random.default_rng(7)

    def _one(self) -> list[float]:
        v = self._rng.standard_normal(DIM).astype(np.float32)
        return list((v / np.linalg.norm(v)).tolist())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._one() for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._one()


def call(method: str, path: str, body: Any = None) -> dict[str, Any]:
    event = proxy_event(method, path, {}, json.dumps(body) if body is not None else None, "bench", "127.0.0.1")
    return lambda_handler(event, LocalLambdaContext("api"))


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def load_memories(index: SqliteMemoryIndex, scope: Scope, count: int) -> list[str]:
    rng = np.random.default_rng(1)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    ids = []
    for start in range(0, count, 1000):
        entries = []
        for i in range(start, min(start + 1000, count)):
            at = t0 + timedelta(minutes=i)
            node = MemoryNode(
                id=f"obs_{i:06d}",
                scope=scope,
                type="observation",
                content=f"fact {i} about the user",
                created_at=at,
                updated_at=at,
            )
            vector = rng.standard_normal(DIM).astype(np.float32)
            entries.append(IndexEntry(node=node, vector=tuple((vector / np.linalg.norm(vector)).tolist())))
            ids.append(node.id)
        index.upsert(entries)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = SqliteDatabase(Path(tmp) / "bench.db")
        index = SqliteMemoryIndex(db, DIM)
        infra = Infrastructure(SqliteChatLog(db), index, NullQueue(), RandomEmbedder())
        override_services(assemble(Settings(data_dir=Path(tmp)), infra))
        scope = Scope(tenant_id="bench", user_id="u0")

        # Ingest: POST /v1/messages with `batch` turns per request.
        started = time.perf_counter()
        for r in range(args.messages // args.batch):
            turns = [{"role": "user", "content": f"message {r}-{i} about my day"} for i in range(args.batch)]
            assert call("POST", "/v1/messages", {"user_id": f"u{r % 10}", "messages": turns})["statusCode"] == 202
        ingest_s = time.perf_counter() - started
        single = []
        for r in range(args.requests):
            t = time.perf_counter()
            call("POST", "/v1/messages", {"user_id": "u1", "messages": [{"role": "user", "content": f"single {r}"}]})
            single.append((time.perf_counter() - t) * 1000)

        ids = load_memories(index, scope, args.memories)
        rng = np.random.default_rng(3)
        lists, gets, deep = [], [], []
        for _ in range(args.requests):
            t = time.perf_counter()
            assert call("GET", "/v1/memories?user_id=u0&limit=50")["statusCode"] == 200
            lists.append((time.perf_counter() - t) * 1000)
            memory_id = ids[int(rng.integers(len(ids)))]
            t = time.perf_counter()
            assert call("GET", f"/v1/memories/{memory_id}?user_id=u0")["statusCode"] == 200
            gets.append((time.perf_counter() - t) * 1000)
        cursor = None
        pages = 0
        t = time.perf_counter()
        while True:
            path = "/v1/memories?user_id=u0&limit=200" + (f"&cursor={cursor}" if cursor else "")
            page = json.loads(call("GET", path)["body"])
            pages += 1
            cursor = page["next_cursor"]
            if not cursor:
                break
        deep.append((time.perf_counter() - t) * 1000)

    print("| metric | value |\n|---|---|")
    print(
        f"| ingest, {args.batch} turns/request | {args.messages / ingest_s:,.0f} messages/s "
        f"({args.messages // args.batch / ingest_s:,.0f} requests/s) |"
    )
    print("| ingest, 1 turn/request p50 / p95 | {:.2f} / {:.2f} ms |".format(*percentiles(single)))
    print("| list 50 newest of {:,} p50 / p95 | {:.2f} / {:.2f} ms |".format(args.memories, *percentiles(lists)))
    print("| get by id of {:,} p50 / p95 | {:.2f} / {:.2f} ms |".format(args.memories, *percentiles(gets)))
    print(f"| page through all {args.memories:,} (limit 200, {pages} pages) | {deep[0]:.0f} ms |")


if __name__ == "__main__":
    main()
