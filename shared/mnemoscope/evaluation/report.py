"""Aggregates a run's records into report.json + report.md (+ PNG plots, see plots.py) and a terminal summary."""

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mnemoscope.evaluation.joblog import job_metrics
from mnemoscope.evaluation.state import RunStore


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def build(store: RunStore, extra: dict[str, Any], job_log: Path | None) -> dict[str, Any]:
    answers = store.of_kind("answer")
    judged: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    runs: dict[tuple[str, int], list[bool]] = defaultdict(list)
    for j in store.of_kind("judge"):
        judged[(j["conversation"], j["question_id"], j["system"])].append(bool(j["correct"]))
        runs[(j["system"], int(j["run"]))].append(bool(j["correct"]))
    questions = []
    by_system: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in sorted(answers, key=lambda r: r["key"]):
        labels = judged.get((a["conversation"], a["question_id"], a["system"]), [])
        row = {k: a[k] for k in ("conversation", "question_id", "category", "system", "f1", "bleu1")}
        row["j"] = _mean([float(x) for x in labels]) if labels else None
        row["context_tokens"] = a["context_tokens"]
        row["search_ms"] = a["search_ms"]
        questions.append(row)
        by_system[a["system"]].append({**row, "usage": a})
    systems = {name: _system(name, rows, runs) for name, rows in by_system.items()}
    return {
        "benchmark": "mnemoscope-eval",
        "settings": extra,
        "ingest": _ingest(store, job_log),
        "systems": systems,
        "judge_stress": _stress(store.of_kind("stress")),
        "questions": questions,
    }


def _system(name: str, rows: list[dict[str, Any]], runs: dict[tuple[str, int], list[bool]]) -> dict[str, Any]:
    per_run = [_mean([float(x) for x in labels]) for (system, _), labels in sorted(runs.items()) if system == name]
    categories: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        categories[row["category"]].append(row)
    searches = [ms for row in rows for ms in row["search_ms"]]
    tokens = [float(row["context_tokens"]) for row in rows]
    return {
        "n": len(rows),
        "f1": _mean([r["f1"] for r in rows]),
        "bleu1": _mean([r["bleu1"] for r in rows]),
        "j": {
            "mean": _mean(per_run),
            "runs": per_run,
            "spread": max(per_run) - min(per_run) if per_run else float("nan"),
            "stdev": statistics.stdev(per_run) if len(per_run) > 1 else 0.0,
        },
        "by_category": {
            cat: {
                "n": len(items),
                "f1": _mean([r["f1"] for r in items]),
                "bleu1": _mean([r["bleu1"] for r in items]),
                "j": _mean([r["j"] for r in items if r["j"] is not None]),
            }
            for cat, items in sorted(categories.items())
        },
        "context_tokens": {"mean": _mean(tokens), "p50": percentile(tokens, 0.5), "p95": percentile(tokens, 0.95)},
        "search_ms": {"n": len(searches), "p50": percentile(searches, 0.5), "p95": percentile(searches, 0.95)},
        "answer_tokens": {
            "prompt_mean": _mean([float(r["usage"]["answer_prompt_tokens"]) for r in rows]),
            "completion_mean": _mean([float(r["usage"]["answer_completion_tokens"]) for r in rows]),
        },
    }


def _ingest(store: RunStore, job_log: Path | None) -> dict[str, Any]:
    records = store.of_kind("ingest")
    if not records:
        return {"conversations": 0}
    messages = sum(int(r["messages"]) for r in records)
    waits = [float(r["last_message_to_consolidated_seconds"]) for r in records]
    out: dict[str, Any] = {
        "conversations": len(records),
        "messages": messages,
        "last_message_to_consolidated_seconds": {"p50": percentile(waits, 0.5), "max": max(waits)},
        "reflect_seconds_max": max(float(r["reflect_seconds"]) for r in records),
        "memories": _sum_counts([r["memories"] for r in records]),
        "job_metrics": None,
    }
    if job_log is not None and job_log.exists():
        user_ids = {u for r in records for u in r["scopes"].values()}
        measured = job_metrics(job_log, user_ids)
        jobs = measured["by_kind"]
        prompt = sum(k["prompt_tokens"] for k in jobs.values())
        completion = sum(k["completion_tokens"] for k in jobs.values())
        out["job_metrics"] = {
            "source": str(job_log),
            "by_kind": jobs,
            "unattributed_jobs": measured["unattributed"],
            "prompt_tokens_per_message": prompt / messages,
            "completion_tokens_per_message": completion / messages,
            "model_calls_per_job": {k: v["model_calls"] / v["jobs"] for k, v in jobs.items() if v["jobs"]},
        }
    return out


def _sum_counts(items: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for item in items:
        for key, value in item.items():
            total[key] += value
    return dict(sorted(total.items()))


def _stress(records: list[dict[str, Any]]) -> dict[str, Any]:
    by_rule: dict[str, list[bool]] = defaultdict(list)
    by_run: dict[int, list[bool]] = defaultdict(list)
    for r in records:
        by_rule[r["rule"]].append(bool(r["accepted"]))
        by_run[int(r["run"])].append(bool(r["accepted"]))
    return {
        "n": len(records),
        "false_accept_rate": _mean([float(r["accepted"]) for r in records]),
        "by_rule": {
            rule: {"n": len(v), "false_accept_rate": _mean([float(x) for x in v])}
            for rule, v in sorted(by_rule.items())
        },
        "runs": [_mean([float(x) for x in v]) for _, v in sorted(by_run.items())],
    }


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{100 * value:.1f}"


def markdown(report: dict[str, Any]) -> str:
    settings = report["settings"]
    stress = report["judge_stress"]
    lines = [
        "# mnemoscope eval",
        "",
        f"Answer model `{settings.get('answer_model')}`, judge `{settings.get('judge_model')}` "
        f"({settings.get('judge_runs')} runs), prompts {settings.get('prompts_version')}, top_k "
        f"{settings.get('top_k')}, tokens: {settings.get('tokenizer')}. Adversarial questions (category 5) are "
        f"skipped: {settings.get('adversarial_skipped', 0)}.",
        "",
        "| system | n | J % (runs; spread) | F1 % | BLEU-1 % | context tokens mean / p95 | search p50 / p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in report["systems"].items():
        runs = ", ".join(_pct(x) for x in s["j"]["runs"])
        search = f"{s['search_ms']['p50']:.0f} / {s['search_ms']['p95']:.0f}" if s["search_ms"]["n"] else "—"
        lines.append(
            f"| {name} | {s['n']} | **{_pct(s['j']['mean'])}** ({runs}; {_pct(s['j']['spread'])}) | "
            f"{_pct(s['f1'])} | {_pct(s['bleu1'])} | {s['context_tokens']['mean']:.0f} / "
            f"{s['context_tokens']['p95']:.0f} | {search} |"
        )
    lines += [
        "",
        f"Judge stress test: the judge accepted **{_pct(stress['false_accept_rate'])} %** of {stress['n']} "
        "deliberately wrong or vague answers ("
        + ", ".join(f"{r} {_pct(v['false_accept_rate'])} %" for r, v in stress["by_rule"].items())
        + ").",
        "",
        "J % by category:",
        "",
    ]
    cats = sorted({c for s in report["systems"].values() for c in s["by_category"]})
    lines += ["| system | " + " | ".join(cats) + " |", "|---|" + "---:|" * len(cats)]
    for name, s in report["systems"].items():
        cells = [
            f"{_pct(s['by_category'][c]['j'])} (n={s['by_category'][c]['n']})" if c in s["by_category"] else "—"
            for c in cats
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ingest = report["ingest"]
    if ingest.get("conversations"):
        wait = ingest["last_message_to_consolidated_seconds"]
        lines += [
            "",
            f"Ingest: {ingest['messages']} messages in {ingest['conversations']} conversations; last message to "
            f"consolidated p50 {wait['p50']:.1f} s (max {wait['max']:.1f} s); memories {ingest['memories']}.",
        ]
        jobs = ingest.get("job_metrics")
        if jobs:
            lines.append(
                f"Job metrics: {jobs['prompt_tokens_per_message']:.1f} prompt + "
                f"{jobs['completion_tokens_per_message']:.1f} completion tokens per message; model calls per job "
                f"{ {k: round(v, 2) for k, v in jobs['model_calls_per_job'].items()} }."
            )
        else:
            lines.append("Ingest tokens not measured (no --job-log: the API does not expose job metrics).")
    return "\n".join(lines) + "\n"


def summary(report: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    out = []
    for name, s in report["systems"].items():
        out.append(
            f"{name:>12}: J {_pct(s['j']['mean'])} % (spread {_pct(s['j']['spread'])})  F1 {_pct(s['f1'])} %  "
            f"BLEU-1 {_pct(s['bleu1'])} %  context {s['context_tokens']['mean']:.0f} tok  n={s['n']}"
        )
    stress = report["judge_stress"]
    out.append(
        f"judge false-accept rate on wrong/vague answers: {_pct(stress['false_accept_rate'])} % (n={stress['n']})"
    )
    return "\n".join(out)
