"""Keyword search alone at 1k / 10k / 100k memories in one scope: FTS5 ranking (before) vs KeywordStore (now).

Runs on the cached databases of bench/retrieval_latency.py (build them with that script first). Per size:

* `fts5_shaped`: the previous search, FTS5 `ORDER BY bm25() LIMIT` over the query terms the previous shaping kept,
  then the filter (valid memories) on the top 200;
* `fts5_exact`: the same over all query terms (exact BM25; the reference for overlap);
* `store`: `KeywordStore.search` as the index calls it (k = 60, the service's n for top_k 20), after a first
  search that builds the scope's index from FTS5 (`build_s`; `index_mb` its in-memory size). `load_s` is the
  first search of a fresh store that finds the saved file (as after a restart; the file in a temp directory).

Latency p50/p95 over --queries queries, and the top-10 overlap of each with `fts5_exact` (ties at equal score
count as agreeing, so an order among equal scores is not a miss).

Run from the repository root:
  MNEMOSCOPE_BENCH_WORK=/tmp/kw-work OMP_NUM_THREADS=1 .venv/bin/python -m bench.keyword_scale
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import RESULTS, WORK, machine, np, queries, summary_ms, write_json

K = 60


# The previous search's query shaping (adapters/local/keyword_query.py until issue 19 cont.), kept here to time
# the previous search: on a large index, terms in over 1,000 rows were dropped when their idf was under 5% of the
# query's best, or when they were a CJK character inside a kept bigram of the query.
def _shaped(conn: Any, words: list[str]) -> list[str]:
    import re

    from mnemoscope.adapters.local.fts_terms import doc_frequencies, idf, table_stats

    if len(words) < 2:
        return words
    df = doc_frequencies(conn, words)
    expensive = {w for w in words if df.get(w, 0) > 1_000}
    if not expensive:
        return words
    rows = table_stats(conn).rows
    weight = {w: idf(rows, df.get(w, 0)) for w in words}
    best = max(weight.values())
    cjk = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
    bigram_chars = {c for w in words if len(w) == 2 and all(cjk.fullmatch(x) for x in w) for c in w}
    kept = [
        w for w in words if w not in expensive or (weight[w] >= 0.05 * best and not (len(w) == 1 and w in bigram_chars))
    ]
    return kept or words


def _fts5(conn: Any, scope_key: str, words: list[str], k: int) -> list[tuple[int, float]]:
    """The previous search: FTS5 ranks the top 4k (at least 200) by bm25(), then the filter (valid) is checked."""
    from mnemoscope.adapters.local.keyword_store import _allowed, scope_tag

    tag = scope_tag(scope_key)
    match = f'tag:"{tag}" AND (' + " OR ".join(f'"{w}"' for w in words) + ")"
    rows = conn.execute(
        "SELECT rowid, -bm25(memories_fts, 0.0, 0.0, 1.0) FROM memories_fts WHERE memories_fts MATCH ? "
        "ORDER BY bm25(memories_fts, 0.0, 0.0, 1.0) LIMIT ?",
        (match, max(4 * k, 200)),
    ).fetchall()
    allowed = _allowed(conn, scope_key, [r[0] for r in rows], " AND status IN (?)", ["valid"])
    return [(int(r[0]), float(r[1])) for r in rows if r[0] in allowed][:k]


def _overlap(found: list[tuple[int, float]], truth: list[tuple[int, float]], depth: int = 10) -> float:
    """Share of the reference's top `depth` matched, counting a hit as matched when its score ties one there."""
    if not truth:
        return 1.0
    top = truth[:depth]
    pks = {pk for pk, _ in top}
    floor = top[-1][1]
    hits = sum(1 for pk, score in found[:depth] if pk in pks or abs(score - floor) <= 1e-9 * max(1.0, abs(floor)))
    return min(hits, len(top)) / len(top)


def measure(db_path: Path, size: int, texts: list[str], warmup: int) -> dict[str, Any]:
    from mnemoscope.adapters.local.keyword_store import KeywordStore
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.adapters.local.text_terms import query_terms
    from mnemoscope.domain.scope import Scope
    from mnemoscope.ports.memory_index import VALID

    db = SqliteDatabase(db_path)
    SqliteMemoryIndex(db, 384)  # creates any new tables on an old file
    store = KeywordStore(db)
    scope_key = Scope(tenant_id="bench", user_id="target").key
    began = time.perf_counter()
    store.search(scope_key, texts[0], K, VALID)
    build_s = time.perf_counter() - began
    index_mb = store._loaded[scope_key].postings.nbytes / 2**20
    with tempfile.TemporaryDirectory() as directory:
        KeywordStore(db, Path(directory)).search(scope_key, texts[0], K, VALID)  # builds and saves the file
        file_mb = sum(f.stat().st_size for f in Path(directory).iterdir()) / 2**20
        began = time.perf_counter()
        KeywordStore(db, Path(directory)).search(scope_key, texts[0], K, VALID)  # as after a restart
        load_s = time.perf_counter() - began
    seconds: dict[str, list[float]] = {"fts5_shaped": [], "fts5_exact": [], "store": []}
    overlap: dict[str, list[float]] = {"fts5_shaped": [], "store": []}
    with db.reading() as conn:
        for i, text in enumerate(texts):
            words = query_terms(text)
            t0 = time.perf_counter()
            shaped = _fts5(conn, scope_key, _shaped(conn, words), K)
            t1 = time.perf_counter()
            exact = _fts5(conn, scope_key, words, K)
            t2 = time.perf_counter()
            mine = store.search(scope_key, text, K, VALID)
            t3 = time.perf_counter()
            if i < warmup:
                continue
            seconds["fts5_shaped"].append(t1 - t0)
            seconds["fts5_exact"].append(t2 - t1)
            seconds["store"].append(t3 - t2)
            overlap["fts5_shaped"].append(_overlap(shaped, exact))
            overlap["store"].append(_overlap(mine, exact))
    db.close()
    return {
        "size": size,
        "build_s": round(build_s, 3),
        "load_s": round(load_s, 3),
        "index_mb": round(index_mb, 1),
        "file_mb": round(file_mb, 1),
        "ms": {name: summary_ms(values) for name, values in seconds.items()},
        "top10_overlap_with_exact": {name: round(float(np.mean(v)), 4) for name, v in overlap.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    texts = queries(args.warmup + args.queries)
    report: dict[str, Any] = {"machine": machine(), "k": K, "sizes": []}
    for size in (int(s) for s in args.sizes.split(",")):
        paths = sorted(WORK.glob(f"latency-{size}-*.db"))
        if not paths:
            raise SystemExit(f"no cached database for {size} in {WORK}: run bench.retrieval_latency first")
        result = measure(paths[0], size, texts, args.warmup)
        report["sizes"].append(result)
        ms = result["ms"]
        print(
            f"{size:>7}: build {result['build_s']:.2f} s, load {result['load_s'] * 1000:.0f} ms, "
            f"{result['index_mb']:.1f} MB ({result['file_mb']:.1f} MB file) | "
            + " | ".join(f"{name} p50 {v['p50']:.2f} p95 {v['p95']:.2f}" for name, v in ms.items())
            + f" | top-10 overlap vs exact {result['top10_overlap_with_exact']}",
            flush=True,
        )
    write_json(RESULTS / "keyword_scale.json", report)


if __name__ == "__main__":
    main()
