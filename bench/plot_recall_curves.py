"""Recall@k curves (overall and per LoCoMo category) from `bench.locomo_tuning --curve ... --out NAME` files.

Each --series is LABEL=FILE:POLICY (FILE under bench/results); all series share the axes, one panel per category.

Run from the repository root:
  .venv/bin/python -m bench.plot_recall_curves --out issue18_recall_curves_test.png \\
      --series "before=issue18_curve_before_test.json:default" --series "after=issue18_curve_after_test.json:default"
"""

from __future__ import annotations

import argparse
import json

from bench.common import RESULTS

PANELS = ("overall", "cat1", "cat2", "cat3", "cat4")
NAMES = {"cat1": "multi-hop", "cat2": "temporal", "cat3": "open-domain", "cat4": "single-hop"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", action="append", required=True, help="LABEL=FILE:POLICY")
    parser.add_argument("--out", required=True, help="PNG file name under bench/results")
    parser.add_argument("--title", default="LoCoMo evidence recall@k")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PANELS), figsize=(4 * len(PANELS), 3.6), sharey=True)
    for spec in args.series:
        label, rest = spec.split("=", 1)
        file_name, policy = rest.rsplit(":", 1)
        data = json.loads((RESULTS / file_name).read_text(encoding="utf-8"))
        curve = data["recall"][policy]
        ks = sorted(curve, key=int)
        for axis, panel in zip(axes, PANELS, strict=True):
            axis.plot([int(k) for k in ks], [curve[k][panel] for k in ks], marker="o", markersize=3, label=label)
            n = "" if panel == "overall" else f" {NAMES[panel]}"
            axis.set_title(f"{panel}{n} ({data['split']}, n={data['questions']})" if panel == "overall" else panel + n)
    for axis in axes:
        axis.set_xlabel("k")
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("recall@k (%)")
    axes[0].legend(loc="lower right")
    fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(RESULTS / args.out, dpi=110)
    print(RESULTS / args.out)


if __name__ == "__main__":
    main()
