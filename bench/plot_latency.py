"""PNG of search latency against scope size from bench/retrieval_latency.py results: before vs after.

Run from the repository root:
  .venv/bin/python -m bench.plot_latency --before bench/results/retrieval_latency_before_issue19.json \
      --after bench/results/retrieval_latency_issue19.json --out docs/img/latency_vs_scope_size.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def series(report: dict[str, Any], path: tuple[str, ...]) -> tuple[list[int], list[float]]:
    sizes, values = [], []
    for entry in report["sizes"]:
        value: Any = entry
        for key in path:
            value = value[key]
        sizes.append(entry["size"])
        values.append(float(value))
    return sizes, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before = json.loads(args.before.read_text(encoding="utf-8"))
    after = json.loads(args.after.read_text(encoding="utf-8"))
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for report, label, style in ((before, "before", "--"), (after, "after (issue 19)", "-")):
        for path, name, marker in (
            (("handler_ms", "p50"), "handler p50", "o"),
            (("handler_ms", "p95"), "handler p95", "^"),
        ):
            left.plot(*series(report, path), style, marker=marker, label=f"{name}, {label}")
        for path, name, marker in (
            (("breakdown_ms", "vector_search", "p50"), "vector p50", "s"),
            (("breakdown_ms", "keyword_search", "p50"), "keyword p50", "D"),
        ):
            right.plot(*series(report, path), style, marker=marker, label=f"{name}, {label}")
    for axis, title in ((left, "search handler (no query embedding)"), (right, "index calls (n = 60)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("memories in the scope")
        axis.set_ylabel("ms")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=110)


if __name__ == "__main__":
    main()
