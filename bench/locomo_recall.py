"""Retrieval quality on LoCoMo: evidence recall@5/@10/@20 of vector, keyword and fused search, time boost on/off.

Every dialogue turn of /work/shared/data/locomo10.json is a memory in one scope per conversation: id = dia_id,
content = "speaker: text" (+ " [shares a photo: <blip caption>]" when the turn has one), created_at = the
session's date and time, event_time = that session's calendar day (UTC). Turns are embedded with the real local
embedder as it ships (the one-pass e5 engine: dense and sparse vectors from one pass; cached by text hash in
$MNEMOSCOPE_BENCH_WORK, default /tmp/mnemoscope-bench), and fused search runs as the local backend ships it: RRF
plus keyword feedback and the sparse list (issue 18); `--no-sparse` leaves the sparse list out.

Each question of categories 1-4 with usable evidence is searched in its conversation's scope with
`at` = the last session's date + 1 day and include_recent=False. recall@k = |evidence ∩ top-k ids| / |evidence|,
averaged over questions; each k is its own search with top_k=k (what a client asking for k memories gets).
Evidence ids are cleaned ("D8:6; D9:17" -> two ids, "D:11:26" -> "D11:26", "D30:05" -> "D30:5"); ids that
name no turn are dropped, and questions left with none are skipped (both counted in the output).

Splits (issue 18): conversations 0-4 are "dev" (tune there), 5-9 "test" (report there), "all" is every one;
the split is in the output file's name and in every table.

Run from the repository root:  .venv/bin/python -m bench.locomo_recall --split test
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import RESULTS, WORK, LookupEmbedder, machine, np, write_json  # first: BLAS threads
from bench.onepass_cache import LookupSparse, OnePassCache

DATA = Path("/work/shared/data/locomo10.json")
TENANT = "locomo"
KS = (5, 10, 20)
FUSIONS = ("vector", "keyword", "rrf", "normalised")
BOOSTS = (4.0, 1.0)  # the default policy's boost (issue 18) and off
ON = f"{BOOSTS[0]:.1f}"
CATEGORIES = (1, 2, 3, 4)
SPLITS = {"dev": range(0, 5), "test": range(5, 10), "all": range(0, 10)}


@dataclass(frozen=True)
class Turn:
    conversation: int
    dia_id: str
    content: str
    session_time: datetime


@dataclass(frozen=True)
class Question:
    conversation: int
    category: int
    text: str
    evidence: tuple[str, ...]
    at: datetime


def session_time(text: str) -> datetime:
    """'1:56 pm on 8 May, 2023' -> an aware datetime (UTC)."""
    return datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y").replace(tzinfo=UTC)


def clean_evidence(raw: list[str]) -> list[str]:
    out: list[str] = []
    for item in raw:
        for part in re.split(r"[;,\s]+", item):
            match = re.fullmatch(r"D:?(\d+):0*(\d+)", part.strip())
            if match:
                out.append(f"D{int(match.group(1))}:{int(match.group(2))}")
    return out


def load(path: Path, split: str = "all") -> tuple[list[Turn], list[Question], dict[str, int]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    turns: list[Turn] = []
    questions: list[Question] = []
    stats: dict[str, int] = defaultdict(int)
    for c, sample in enumerate(data):
        if c not in SPLITS[split]:
            continue
        conv = sample["conversation"]
        sessions = sorted(
            (int(m.group(1)), key)
            for key in conv
            if (m := re.fullmatch(r"session_(\d+)", key)) and isinstance(conv[key], list) and conv[key]
        )
        last = datetime.min.replace(tzinfo=UTC)
        ids: set[str] = set()
        for number, key in sessions:
            when = session_time(conv[f"session_{number}_date_time"])
            last = max(last, when)
            for turn in conv[key]:
                content = f"{turn['speaker']}: {turn['text']}"
                if turn.get("blip_caption"):
                    content += f" [shares a photo: {turn['blip_caption']}]"
                turns.append(Turn(c, turn["dia_id"], content, when))
                ids.add(turn["dia_id"])
        at = (last + timedelta(days=1)).replace(hour=12, minute=0)
        for qa in sample["qa"]:
            if qa["category"] not in CATEGORIES:
                continue
            stats["questions_cat1to4"] += 1
            cleaned = clean_evidence(qa.get("evidence", []))
            known = tuple(dict.fromkeys(e for e in cleaned if e in ids))
            stats["evidence_ids_dropped"] += len(set(cleaned)) - len(known) + (len(qa.get("evidence", [])) == 0)
            if not known:
                stats["questions_skipped_no_usable_evidence"] += 1
                continue
            questions.append(Question(c, qa["category"], str(qa["question"]), known, at))
    stats["turns"] = len(turns)
    stats["questions_used"] = len(questions)
    return turns, questions, dict(stats)


def build_index(turns: list[Turn], vectors: Any, db_path: Path, sparse_encoder: Any = None) -> tuple[Any, Any]:
    from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
    from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
    from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
    from mnemoscope.domain.memory import MemoryNode
    from mnemoscope.domain.time_range import TimeRange
    from mnemoscope.ports.memory_index import IndexEntry

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = SqliteDatabase(db_path)
    index = SqliteMemoryIndex(db, int(vectors.shape[1]), sparse_encoder=sparse_encoder)
    entries = []
    for turn, vector in zip(turns, vectors, strict=True):
        day = turn.session_time.replace(hour=0, minute=0, second=0, microsecond=0)
        node = MemoryNode(
            id=turn.dia_id,
            scope=scope_of(turn.conversation),
            type="observation",
            content=turn.content,
            created_at=turn.session_time,
            updated_at=turn.session_time,
            event_time=TimeRange(start=day, end=day + timedelta(days=1)),
        )
        entries.append(IndexEntry(node=node, vector=tuple(vector.tolist())))
    for start in range(0, len(entries), 1000):
        index.upsert(entries[start : start + 1000])
    return index, SqliteChatLog(db)


def scope_of(conversation: int) -> Any:
    from mnemoscope.domain.scope import Scope

    return Scope(tenant_id=TENANT, user_id=f"conv-{conversation}")


class _Clock:
    def now(self) -> datetime:
        return datetime(2024, 1, 1, tzinfo=UTC)


def evaluate(
    index: Any,
    chat_log: Any,
    embedder: Any,
    questions: list[Question],
    fusion: str,
    boost: float,
    sparse_encoder: Any = None,
) -> list[dict[int, float]]:
    """Per question: {k: recall@k}."""
    from mnemoscope.adapters.local.feedback_terms import content_terms
    from mnemoscope.services.feedback import KeywordFeedback, RankingChain
    from mnemoscope.services.retrieval import RetrievalPolicy, RetrievalService, SearchQuery
    from mnemoscope.services.sparse_ranking import SparseRanking

    # As the local backend ships it (wiring._extra_rankings): under RRF, keyword feedback (issue 18 cont.) and then
    # the sparse list (issue 18) join the fusion.
    feedback: Any = None
    if fusion == "rrf":
        feedback = KeywordFeedback(index, content_terms)
        if sparse_encoder is not None:
            feedback = RankingChain([feedback, SparseRanking(sparse_encoder, index)])
    policy = RetrievalPolicy(fusion=fusion, time_boost=boost)
    service = RetrievalService(index, chat_log, embedder, _Clock(), policy, feedback=feedback)  # type: ignore[arg-type]
    out: list[dict[int, float]] = []
    for q in questions:
        recalls: dict[int, float] = {}
        for k in KS:
            result = service.search(
                scope_of(q.conversation), SearchQuery(query=q.text, top_k=k, at=q.at, include_recent=False)
            )
            found = {hit.node.id for hit in result.memories}
            recalls[k] = len(found & set(q.evidence)) / len(q.evidence)
        out.append(recalls)
    return out


def time_reference_stats(questions: list[Question], turns: list[Turn]) -> dict[str, Any]:
    from mnemoscope.timeparse import resolve_time

    day_of = {(t.conversation, t.dia_id): t.session_time for t in turns}
    resolved = 0
    evidence_inside = 0
    by_category: dict[int, int] = defaultdict(int)
    examples: list[dict[str, str]] = []
    flags: list[bool] = []
    for q in questions:
        window = resolve_time(q.text, q.at)
        flags.append(window is not None)
        if window is None:
            continue
        resolved += 1
        by_category[q.category] += 1
        days = [day_of[(q.conversation, e)].replace(hour=0, minute=0) for e in q.evidence]
        inside = any(window.start < day + timedelta(days=1) and day < window.end for day in days)
        evidence_inside += inside
        if len(examples) < 12:
            examples.append(
                {
                    "question": q.text,
                    "range": f"{window.start.date()}..{window.end.date()}",
                    "evidence_day_inside": str(inside),
                }
            )
    return {
        "questions_with_resolvable_time_reference": resolved,
        "by_category": dict(sorted(by_category.items())),
        "of_which_an_evidence_turn_falls_inside_the_range": evidence_inside,
        "examples": examples,
        "_flags": flags,
    }


def aggregate(
    per_question: list[dict[int, float]], questions: list[Question], mask: list[bool] | None = None
) -> dict[str, dict[str, float]]:
    groups: dict[str, list[dict[int, float]]] = defaultdict(list)
    for n, (q, recalls) in enumerate(zip(questions, per_question, strict=True)):
        if mask is not None and not mask[n]:
            continue
        groups[f"cat{q.category}"].append(recalls)
        groups["overall"].append(recalls)
    return {
        name: {"n": len(items), **{f"R@{k}": round(float(np.mean([r[k] for r in items])), 4) for k in KS}}
        for name, items in sorted(groups.items())
    }


def markdown(report: dict[str, Any]) -> str:
    names = [f"cat{c}" for c in CATEGORIES] + ["overall"]
    first = report["results"][0]["recall"]
    header = " | ".join(f"{n} (n={first[n]['n']})" for n in names)
    lines = [
        f"Evidence recall@5 / @10 / @20 (%), one search per k, LoCoMo categories 1–4, split **{report['split']}** "
        f"(conversations {report['conversations']}); rrf = as shipped: keyword feedback"
        + (" and the sparse list." if report.get("sparse_list") else ", no sparse list."),
        "",
        f"| fusion | time boost | {header} |",
        "|---|---:|" + "---:|" * len(names),
    ]
    for entry in report["results"]:
        cells = " | ".join(
            f"{100 * entry['recall'][n]['R@5']:.1f} / **{100 * entry['recall'][n]['R@10']:.1f}** / "
            f"{100 * entry['recall'][n]['R@20']:.1f}"
            for n in names
        )
        lines.append(f"| {entry['fusion']} | {entry['time_boost']:g} | {cells} |")
    tr = report["time_references"]
    lines += [
        "",
        f"Questions with a time reference `resolve_time` resolves (relative to `at`): "
        f"{tr['questions_with_resolvable_time_reference']} of {report['data']['questions_used']} "
        f"(by category {tr['by_category']}); for {tr['of_which_an_evidence_turn_falls_inside_the_range']} of them an "
        "evidence turn's session day lies inside the resolved range.",
    ]
    if report.get("time_subset"):
        lines += [
            "",
            "Recall@10 (%) on the questions with a resolvable time reference only, and the change the time range "
            f"makes (boost {ON} minus boost 1.0 = off) there and on all questions:",
            "",
        ]
        lines.append(f"| fusion | boost {ON} | boost 1.0 | change (time subset) | change (all questions) |")
        lines.append("|---|---:|---:|---:|---:|")
        overall = {
            (entry["fusion"], f"{entry['time_boost']:.1f}"): entry["recall"]["overall"]["R@10"]
            for entry in report["results"]
        }
        for fusion, values in report["time_subset"].items():
            change_all = overall[(fusion, ON)] - overall[(fusion, "1.0")]
            lines.append(
                f"| {fusion} | {100 * values[ON]:.1f} | {100 * values['1.0']:.1f} | "
                f"{100 * (values[ON] - values['1.0']):+.1f} | {100 * change_all:+.1f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--split", choices=sorted(SPLITS), default="all", help="dev = conv. 0-4, test = 5-9")
    parser.add_argument("--out", type=Path, default=None, help="default: bench/results/locomo_recall_<split>.json")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions (smoke test)")
    parser.add_argument("--fusions", default=",".join(FUSIONS), help="comma-separated subset of " + ",".join(FUSIONS))
    parser.add_argument("--boosts", default=",".join(f"{b:g}" for b in BOOSTS), help="time boosts to run")
    parser.add_argument("--no-sparse", action="store_true", help="without the sparse list (issue 18's last step)")
    args = parser.parse_args()
    out: Path = args.out or RESULTS / f"locomo_recall_{args.split}.json"
    fusions = [f for f in args.fusions.split(",") if f]
    boosts = [float(b) for b in args.boosts.split(",") if b]

    turns, questions, stats = load(args.data, args.split)
    if args.limit:
        questions = questions[: args.limit]
    print(f"{stats}", flush=True)
    cache = OnePassCache(WORK / "locomo-onepass.pkl")
    began = time.perf_counter()
    vectors, turn_sparse = cache.passages([t.content for t in turns], progress="locomo turns")
    turn_embed = {
        "turns": len(turns),
        "newly_embedded": cache.embedded,
        "embed_seconds": round(cache.embed_seconds, 1),
        "texts_per_s": round(cache.embedded / cache.embed_seconds, 1) if cache.embedded else None,
    }
    query_vectors, query_sparse = cache.queries([q.text for q in questions])
    lookup = LookupEmbedder({q.text: v.tolist() for q, v in zip(questions, query_vectors, strict=True)})
    sparse = None
    if not args.no_sparse:
        sparse = LookupSparse(
            {q.text: v for q, v in zip(questions, query_sparse, strict=True)},
            {t.content: v for t, v in zip(turns, turn_sparse, strict=True)},
        )
    print(f"embeddings ready in {time.perf_counter() - began:.0f}s: {turn_embed}", flush=True)

    db_path = WORK / f"locomo-{args.split}{'-nosparse' if args.no_sparse else ''}.db"
    index, chat_log = build_index(turns, vectors, db_path, sparse)
    times = time_reference_stats(questions, turns)
    flags = times.pop("_flags")
    report: dict[str, Any] = {
        "benchmark": "locomo_recall",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "split": args.split,
        "default_time_boost": BOOSTS[0],
        "conversations": f"{SPLITS[args.split][0]}-{SPLITS[args.split][-1]}",
        "data": {"path": str(args.data), **stats},
        "turn_embedding": turn_embed,
        "sparse_list": sparse is not None,
        "time_references": times,
        "results": [],
    }
    subset: dict[str, dict[str, float]] = defaultdict(dict)
    for fusion in fusions:
        for boost in boosts:
            t0 = time.perf_counter()
            per_question = evaluate(index, chat_log, lookup, questions, fusion, boost, sparse)
            recall = aggregate(per_question, questions)
            report["results"].append({"fusion": fusion, "time_boost": boost, "recall": recall})
            if any(flags):
                subset[fusion][f"{boost:.1f}"] = aggregate(per_question, questions, flags)["overall"]["R@10"]
            o = recall["overall"]
            print(
                f"{fusion:>10} boost {boost:g}: R@5 {o['R@5']:.3f} R@10 {o['R@10']:.3f} R@20 {o['R@20']:.3f} "
                f"({time.perf_counter() - t0:.0f}s)",
                flush=True,
            )
            write_json(out, report)
    # The time-range effect needs both the default boost and boost 1 (= off) for a fusion.
    report["time_subset"] = {f: v for f, v in subset.items() if {ON, "1.0"} <= v.keys()}
    best = max(report["results"], key=lambda e: e["recall"]["overall"]["R@10"])
    report["best_at_10"] = {
        "fusion": best["fusion"],
        "time_boost": best["time_boost"],
        "R@10": best["recall"]["overall"]["R@10"],
    }
    at10 = {(e["fusion"], e["time_boost"]): e["recall"]["overall"]["R@10"] for e in report["results"]}
    report["vector_best_R@10"] = max((v for (f, _), v in at10.items() if f == "vector"), default=None)
    report["fused_no_worse_than_vector_at_10"] = {
        f"{f} boost {b:g}": v >= at10[("vector", b)]
        for (f, b), v in at10.items()
        if f in {"rrf", "normalised"} and ("vector", b) in at10
    }
    report["lookup_misses"] = lookup.misses
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_json(out, report)
    text = markdown(report)
    out.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
