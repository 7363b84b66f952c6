"""Resident memory of the embedded default as `serve` composes it: one scope of 100k memories, and 1,000 scopes of
100 memories each, with the default vector cache cap and with a small one.

Each measurement runs in a fresh child process that builds the services with `wiring.build` (the local e5 model
included, loaded by one query embedding, as `serve` holds it), then searches (vector + keyword, n = 60, through the
index port; query vectors come from the cached pool so no model time is spent). VmRSS and VmHWM come from
/proc/self/status: after start-up, after the searches.

Data: the 100k scope is `bench.retrieval_latency`'s database (run that first); the 1,000 x 100 database is built
here from the same pool vectors (memory i of a scope = pool fact perm[i] + N(0, 0.01^2) noise).

Run from the repository root:  .venv/bin/python -m bench.memory_footprint
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import RESULTS, WORK, machine, np, write_json  # first: it pins the BLAS threads

SCOPES = 1000
PER_SCOPE = 100
DIM = 384


def rss_mb() -> dict[str, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return fields


def build_many_scopes(path: Path, seed: int = 7) -> None:
    from bench.retrieval_latency import Row, Spec, node_of, pool_vectors
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.domain.scope import Scope
    from mnemoscope.ports.memory_index import IndexEntry

    texts, pool, _ = pool_vectors(Spec(size=0))
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = SqliteDatabase(path / "mnemoscope.db")
    index = SqliteMemoryIndex(db, DIM, path / "vectors")
    for s in range(SCOPES):
        picks = rng.choice(len(texts), PER_SCOPE, replace=False)
        vectors = pool[picks] + rng.standard_normal((PER_SCOPE, DIM)).astype(np.float32) * 0.01
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        rows = [
            Row(f"u{s:04d}", f"m{i:03d}", "observation", "valid", texts[j], "2024-07-01T10:00:00+00:00", None)
            for i, j in enumerate(picks)
        ]
        index.upsert(
            [IndexEntry(node=node_of(r), vector=tuple(v.tolist())) for r, v in zip(rows, vectors, strict=True)]
        )
        index.vector_search(Scope(tenant_id="bench", user_id=f"u{s:04d}"), vectors[0].tolist(), 1)
    index.close()
    db.close()


def child(data_dir: Path, users: list[str], cache_mb: int, searches_per_scope: int) -> dict[str, Any]:
    from bench.retrieval_latency import Spec, pool_vectors
    from mnemoscope.adapters.local.in_process_queue import InProcessJobQueue
    from mnemoscope.domain.scope import Scope
    from mnemoscope.settings import Settings
    from mnemoscope.wiring import build

    out: dict[str, Any] = {"start": rss_mb()}
    # serve's graph; its queue is never started (searching enqueues nothing)
    services = build(Settings(data_dir=data_dir, vector_cache_mb=cache_mb), InProcessJobQueue(lambda event: None))
    services.ports.embedder.embed_query("warm-up")  # serve holds the model
    out["after_build_and_model"] = rss_mb()
    texts, pool, _ = pool_vectors(Spec(size=0))
    index = services.ports.memory_index
    rng = np.random.default_rng(1)
    began = time.perf_counter()
    for user in users:
        scope = Scope(tenant_id="bench", user_id=user)
        for _ in range(searches_per_scope):
            j = int(rng.integers(len(texts)))
            index.vector_search(scope, pool[j].tolist(), 60)
            index.keyword_search(scope, texts[j], 60)
    out["search_seconds"] = round(time.perf_counter() - began, 1)
    out["after_searches"] = rss_mb()
    inner = getattr(index, "_inner", index)
    vectors = getattr(inner, "_vectors", None)
    out["vector_cache_mb"] = round(vectors.cached_bytes() / 2**20, 1) if vectors is not None else None
    return out


def run_child(data_dir: Path, users: list[str], cache_mb: int, searches: int) -> dict[str, Any]:
    args = [sys.executable, "-m", "bench.memory_footprint", "--child", str(data_dir), "--cache-mb", str(cache_mb)]
    args += ["--searches", str(searches), "--users", ",".join(users)]
    result = subprocess.run(args, capture_output=True, text=True, check=False, env=os.environ.copy())
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def link_large_scope(size_db: Path, into: Path) -> None:
    """serve's layout (mnemoscope.db + vectors/) over the retrieval_latency database, by symlinks."""
    into.mkdir(parents=True, exist_ok=True)
    for name, target in (("mnemoscope.db", size_db), ("vectors", size_db.with_suffix(".vectors"))):
        link = into / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", type=Path)
    parser.add_argument("--users", default="")
    parser.add_argument("--cache-mb", type=int, default=1024)
    parser.add_argument("--searches", type=int, default=1)
    parser.add_argument("--large-db", type=Path, help="retrieval_latency's 100k database")
    parser.add_argument("--out", type=Path, default=RESULTS / "memory_footprint.json")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.users.split(","), args.cache_mb, args.searches)))
        return
    report: dict[str, Any] = {"benchmark": "memory_footprint", "machine": machine(), "runs": []}
    many = WORK / "footprint-1000x100"
    if not (many / "mnemoscope.db").exists():
        print("building 1,000 scopes x 100 memories", flush=True)
        build_many_scopes(many)
    users = [f"u{s:04d}" for s in range(SCOPES)]
    if args.large_db:
        large = WORK / "footprint-100k"
        link_large_scope(args.large_db, large)
        for cache in (1024,):
            run = {"data": "1 scope x 100,000 (+100 x 100)", "cache_mb": cache}
            run |= run_child(large, ["target"], cache, 20)
            report["runs"].append(run)
            print(run, flush=True)
    for cache in (1024, 16):
        run = {"data": "1,000 scopes x 100", "cache_mb": cache}
        run |= run_child(many, users, cache, 1)
        report["runs"].append(run)
        print(run, flush=True)
    write_json(args.out, report)


if __name__ == "__main__":
    main()
