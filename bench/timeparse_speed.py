"""Time-expression parser speed: `resolve_time` per query over the timeparse test-case texts and the LoCoMo
questions (each query in its detected language, `now` = a fixed instant), plus how many LoCoMo questions get a range.

Run from the repository root:  .venv/bin/python -m bench.timeparse_speed
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import RESULTS, machine, summary_ms, write_json  # first: BLAS threads

DATA = Path("/work/shared/data/locomo10.json")
NOW = datetime(2023, 10, 1, 12, tzinfo=UTC)
# The table-driven timeparse tests; each holds lists of (text, ...) tuples.
TEST_MODULES = (
    "tests.unit.timeparse.test_timeparse_families",
    "tests.unit.timeparse.test_timeparse_english",
    "tests.unit.timeparse.test_timeparse_chinese",
    "tests.unit.timeparse.test_timeparse_edges",
)


def test_case_texts() -> list[str]:
    """Every string that opens a tuple (or is an item) of a module-level list in the timeparse test modules."""
    texts: list[str] = []
    for name in TEST_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if not isinstance(value, list):
                continue
            for item in value:
                first = item[0] if isinstance(item, tuple) and item else item
                if isinstance(first, str):
                    texts.append(first)
    return list(dict.fromkeys(texts))


def locomo_questions(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [str(qa["question"]) for sample in data for qa in sample["qa"]]


def measure(texts: list[str], repeats: int) -> tuple[list[float], list[float], int]:
    """Every call's duration (seconds) over `repeats` passes after a warm-up pass, each query's fastest call, and
    how many texts resolve to a range. On a shared machine single calls are stretched by preemption; a query's
    fastest call is its cost without that noise."""
    from mnemoscope.timeparse import resolve_time

    resolved = sum(resolve_time(text, NOW) is not None for text in texts)
    calls: list[float] = []
    fastest = [float("inf")] * len(texts)
    for _ in range(repeats):
        for index, text in enumerate(texts):
            began = time.perf_counter()
            resolve_time(text, NOW)
            took = time.perf_counter() - began
            calls.append(took)
            fastest[index] = min(fastest[index], took)
    return calls, fastest, resolved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "timeparse_speed.json")
    args = parser.parse_args()

    cases, questions = test_case_texts(), locomo_questions(args.data)
    report: dict[str, Any] = {"benchmark": "timeparse_speed", "machine": machine(), "now": NOW.isoformat()}
    for label, texts in (("test_cases", cases), ("locomo_questions", questions), ("all", cases + questions)):
        calls, fastest, resolved = measure(texts, args.repeats)
        per_query, per_call = summary_ms(fastest), summary_ms(calls)
        report[label] = {
            "queries": len(texts),
            "with_a_range": resolved,
            "per_query_fastest_of_repeats_ms": per_query,
            "every_call_ms": per_call,
        }
        print(
            f"{label:>17}: {len(texts)} queries, {resolved} with a range; per query (fastest of {args.repeats}) "
            f"p50 {per_query['p50']:.3f} p99 {per_query['p99']:.3f} max {per_query['max']:.3f} ms; every call "
            f"p50 {per_call['p50']:.3f} p99 {per_call['p99']:.3f} ms",
            flush=True,
        )
    report["p99_target_ms"] = 1.0
    report["p99_met"] = report["all"]["per_query_fastest_of_repeats_ms"]["p99"] <= 1.0
    write_json(args.out, report)


if __name__ == "__main__":
    main()
