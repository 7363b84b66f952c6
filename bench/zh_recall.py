"""Chinese retrieval quality: recall@1/3/5/10 and MRR on bench/data/zh_recall.json (issue 18).

69 hand-written memories about one user ("用户..." observations) and 250 distractors about other people, in one
scope, and 119 paraphrased first-person questions, each with the memory ids that answer it. Memories and
questions are embedded with the real local embedder as it ships (the one-pass e5 engine, dense + sparse; cached by
text hash in $MNEMOSCOPE_BENCH_WORK); each question is one RetrievalService search with top_k = 10. "shipped" is
the local default: keyword feedback and the sparse list, both off for queries with Chinese characters; the
"(cjk)" modes force them on to show what they would do to Chinese.

Run from the repository root:  .venv/bin/python -m bench.zh_recall [--out NAME]
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import RESULTS, WORK, LookupEmbedder, machine, np, write_json  # first: BLAS threads
from bench.onepass_cache import LookupSparse, OnePassCache

DATA = Path(__file__).resolve().parent / "data" / "zh_recall.json"
KS = (1, 3, 5, 10)
MODES = ("vector", "keyword", "rrf", "default")  # default = RetrievalPolicy() as shipped
# Issue 18 (cont.): the default policy plus keyword feedback as shipped (off for queries with Chinese characters),
# and with feedback forced on for them (what it would do to Chinese).
FEEDBACK_MODES = {"default+feedback": False, "default+feedback(cjk)": True}
# Issue 18: + the sparse list as shipped (off for Chinese queries, so = default+feedback here) and forced on.
SPARSE_MODES = {"shipped": False, "shipped+sparse(cjk)": True}
WHEN = datetime(2024, 6, 1, tzinfo=UTC)


def build(memories: list[dict[str, str]], vectors: Any, db_path: Path, sparse: Any) -> tuple[Any, Any, Any]:
    from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.domain.memory import MemoryNode
    from mnemoscope.domain.scope import Scope
    from mnemoscope.ports.memory_index import IndexEntry

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = SqliteDatabase(db_path)
    index = SqliteMemoryIndex(db, int(vectors.shape[1]), sparse_encoder=sparse)
    scope = Scope(tenant_id="zh", user_id="u1")
    index.upsert(
        [
            IndexEntry(
                node=MemoryNode(
                    id=m["id"], scope=scope, type="observation", content=m["content"], created_at=WHEN, updated_at=WHEN
                ),
                vector=tuple(v.tolist()),
            )
            for m, v in zip(memories, vectors, strict=True)
        ]
    )
    return index, SqliteChatLog(db), scope


def evaluate(service: Any, scope: Any, queries: list[dict[str, Any]]) -> dict[str, float]:
    from mnemoscope.services.retrieval import SearchQuery

    recalls: dict[int, list[float]] = {k: [] for k in KS}
    reciprocal: list[float] = []
    for q in queries:
        result = service.search(scope, SearchQuery(query=q["query"], top_k=max(KS), at=WHEN, include_recent=False))
        ranked = [hit.node.id for hit in result.memories]
        expected = set(q["expected"])
        for k in KS:
            recalls[k].append(len(expected & set(ranked[:k])) / len(expected))
        first = next((n for n, memory_id in enumerate(ranked, start=1) if memory_id in expected), None)
        reciprocal.append(1.0 / first if first else 0.0)
    out = {f"R@{k}": round(100 * float(np.mean(v)), 1) for k, v in recalls.items()}
    out["MRR"] = round(100 * float(np.mean(reciprocal)), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="zh_recall.json", help="file name under bench/results")
    args = parser.parse_args()
    from mnemoscope.services.retrieval import RetrievalPolicy, RetrievalService

    data = json.loads(DATA.read_text(encoding="utf-8"))
    memories, queries = data["memories"], data["queries"]
    cache = OnePassCache(WORK / "zh-recall-onepass.pkl")
    vectors, memory_sparse = cache.passages([m["content"] for m in memories])
    query_vectors, query_sparse = cache.queries([q["query"] for q in queries])
    lookup = LookupEmbedder({q["query"]: v.tolist() for q, v in zip(queries, query_vectors, strict=True)})
    sparse = LookupSparse(
        {q["query"]: v for q, v in zip(queries, query_sparse, strict=True)},
        {m["content"]: v for m, v in zip(memories, memory_sparse, strict=True)},
    )
    index, chat_log, scope = build(memories, vectors, WORK / "zh-recall.db", sparse)

    class _Clock:
        def now(self) -> datetime:
            return WHEN

    report: dict[str, Any] = {
        "benchmark": "zh_recall",
        "machine": machine(),
        "memories": len(memories),
        "queries": len(queries),
        "results": {},
    }
    for mode in MODES:
        policy = RetrievalPolicy() if mode == "default" else RetrievalPolicy(fusion=mode)
        service = RetrievalService(index, chat_log, lookup, _Clock(), policy)  # type: ignore[arg-type]
        report["results"][mode] = evaluate(service, scope, queries)
        print(f"{mode:>8}: {report['results'][mode]}", flush=True)
    from mnemoscope.adapters.local.feedback_terms import content_terms
    from mnemoscope.services.feedback import FeedbackPolicy, KeywordFeedback, RankingChain
    from mnemoscope.services.sparse_ranking import SparsePolicy, SparseRanking

    extras: dict[str, Any] = {
        mode: KeywordFeedback(index, content_terms, FeedbackPolicy(cjk=cjk)) for mode, cjk in FEEDBACK_MODES.items()
    }
    for mode, cjk in SPARSE_MODES.items():
        feedback = KeywordFeedback(index, content_terms)
        extras[mode] = RankingChain([feedback, SparseRanking(sparse, index, SparsePolicy(cjk=cjk))])
    for mode, extra in extras.items():
        service = RetrievalService(index, chat_log, lookup, _Clock(), RetrievalPolicy(), feedback=extra)  # type: ignore[arg-type]
        report["results"][mode] = evaluate(service, scope, queries)
        print(f"{mode:>8}: {report['results'][mode]}", flush=True)
    write_json(RESULTS / args.out, report)


if __name__ == "__main__":
    main()
