#!/usr/bin/env bash
# Create the SAM CLI tool venv (.tools/sam, or $MNEMOSCOPE_SAM_VENV) if it is missing, and print its path.
# SAM CLI lives in its own venv: it pins boto3 and pydantic versions that the app must not inherit.
# Used by validate_template.sh and by tests/infra/test_layer_build.py, so both get the very same tools.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${MNEMOSCOPE_SAM_VENV:-$REPO/.tools/sam}"
if [[ ! -x "$TOOLS/bin/sam" ]]; then
  # The Makefile exports UV (its project-local copy); otherwise the project's copy, then a uv on PATH.
  UV="${UV:-}"
  [[ -n "$UV" ]] || { [[ -x "$REPO/.tools/uv/bin/uv" ]] && UV="$REPO/.tools/uv/bin/uv"; } || true
  [[ -n "$UV" ]] || UV="$(command -v uv || true)"
  [[ -n "$UV" ]] || { echo "uv not found: run through make (make validate), or set UV" >&2; exit 2; }
  echo "== creating the SAM tool venv at $TOOLS" >&2
  "$UV" venv --quiet --python 3.11 "$TOOLS"
  "$UV" pip install --quiet --python "$TOOLS/bin/python" aws-sam-cli cfn-lint
fi
echo "$TOOLS"
