"""PNG plots of a report (matplotlib, from the `eval` extra; without it the report says the plots were skipped)."""

from collections import defaultdict
from pathlib import Path
from typing import Any


def write_plots(report: dict[str, Any], folder: Path) -> list[str]:
    """J by category per system, search latency distribution, context tokens per question. Returns file names."""
    questions_by_system: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in report["questions"]:
        questions_by_system[row["system"]].append(row)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    systems = report["systems"]
    cats = sorted({c for s in systems.values() for c in s["by_category"]})
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / max(1, len(systems))
    for n, (name, s) in enumerate(systems.items()):
        values = [100 * s["by_category"].get(c, {}).get("j", 0.0) for c in cats]
        ax.bar([i + n * width for i in range(len(cats))], values, width, label=name)
    ax.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(cats))], cats)
    ax.set_ylabel("J (%)")
    ax.set_title("LLM-judge accuracy by category")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "j_by_category.png", dpi=110)
    plt.close(fig)
    written.append("j_by_category.png")
    latencies = [ms for row in questions_by_system.get("memory", []) for ms in row["search_ms"]]
    if latencies:
        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.hist(latencies, bins=30)
        ax.set_xlabel("search latency (ms)")
        ax.set_ylabel("searches")
        ax.set_title("Search latency through the API")
        fig.tight_layout()
        fig.savefig(folder / "search_latency.png", dpi=110)
        plt.close(fig)
        written.append("search_latency.png")
    fig, ax = plt.subplots(figsize=(6, 3.2))
    names = list(questions_by_system)
    ax.boxplot([[row["context_tokens"] for row in questions_by_system[n]] or [0] for n in names])
    ax.set_xticks(range(1, len(names) + 1), names)
    ax.set_yscale("symlog")
    ax.set_ylabel("context tokens per question")
    ax.set_title("Context size")
    fig.tight_layout()
    fig.savefig(folder / "tokens_per_question.png", dpi=110)
    plt.close(fig)
    written.append("tokens_per_question.png")
    return written


def write_recall_plot(tracks: dict[str, dict[str, dict[str, float]]], path: Path) -> bool:
    """Evidence recall@5/10/20 per category for each track ({name: {category: {"R@k": value}}}); False without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    cats = sorted({c for recall in tracks.values() for c in recall})
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharey=True)
    width = 0.8 / max(1, len(tracks))
    for ax, k in zip(axes, (5, 10, 20), strict=True):
        for n, (name, recall) in enumerate(tracks.items()):
            values = [100 * recall.get(c, {}).get(f"R@{k}", 0.0) for c in cats]
            ax.bar([i + n * width for i in range(len(cats))], values, width, label=name)
        ax.set_xticks([i + width * (len(tracks) - 1) / 2 for i in range(len(cats))], cats, fontsize=8)
        ax.set_title(f"recall@{k}")
    axes[0].set_ylabel("evidence recall (%)")
    axes[0].legend(fontsize=8)
    fig.suptitle("LoCoMo evidence recall: raw turns vs observations as memories")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
