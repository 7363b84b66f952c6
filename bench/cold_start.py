"""Cold-start import time of each Lambda function (python -X importtime), median of N fresh interpreters, and the
size of the built WorkerLayer (run `make validate` or `sam build` first for the layer).

Usage: .venv/bin/python bench/cold_start.py [--runs 7]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ("api", "consolidate", "reflect")
LAYER = ROOT / ".aws-sam" / "build" / "WorkerLayer" / "python"
# What the function sees in AWS: the aws backend (no SQLite, no local model).
ENV = {
    "MNEMOSCOPE_BACKEND": "aws",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)")


def import_ms(module: str) -> float:
    """Cumulative microseconds of importing `module`, in ms (the line whose package is the module itself)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT, env={**os.environ, **ENV, "PYTHONPATH": f"{ROOT}:{ROOT / 'shared'}"},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    for line in result.stderr.splitlines():
        match = _LINE.search(line)
        if match and match[3] == module:
            return int(match[2]) / 1000
    raise RuntimeError(f"no importtime line for {module}")


def directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print("| function | import p50 ms | min ms | max ms |\n|---|---:|---:|---:|")
    for name in FUNCTIONS:
        samples = [import_ms(f"functions.{name}.handler") for _ in range(args.runs)]
        print(f"| {name} | {statistics.median(samples):.0f} | {min(samples):.0f} | {max(samples):.0f} |")
    if LAYER.exists():
        print(f"\nWorkerLayer unzipped: {directory_mb(LAYER):.1f} MB ({LAYER.relative_to(ROOT)})")
        biggest = sorted(((directory_mb(p), p.name) for p in LAYER.iterdir() if p.is_dir()), reverse=True)[:8]
        print("largest: " + ", ".join(f"{name} {mb:.1f}" for mb, name in biggest))
    else:
        print("\n(no built layer: run `make validate` first)")


if __name__ == "__main__":
    main()
