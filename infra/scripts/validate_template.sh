#!/usr/bin/env bash
# Offline checks of the SAM app, in the order CI runs them:
#   1. sam validate --lint                  (SAM schema + cfn-lint on the raw template)
#   2. infra/scripts/check_template.py      (translate with samtranslator, cfn-lint the CloudFormation)
#   3. sam build                            (no container: functions are copied, the layer uses its Makefile)
# SAM CLI lives in its own venv (.tools/sam, made by sam_venv.sh).
# Set SKIP_BUILD=1 to stop after step 2. No AWS access is needed; every SDK call is pinned to a dead loopback port.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$(bash "$REPO/infra/scripts/sam_venv.sh")"
cd "$REPO"

export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:9

echo "== sam validate --lint"
"$TOOLS/bin/sam" validate --lint --template-file template.yaml

echo "== translate + cfn-lint"
"$TOOLS/bin/python" infra/scripts/check_template.py template.yaml

if [[ "${SKIP_BUILD:-0}" == "1" ]]; then
  exit 0
fi

echo "== sam build"
# Runtime python3.12: pyenv's 3.12.1 goes first on PATH when present (SAM checks for the runtime's python
# even for functions without requirements); the layer's pip cross-installs arm64 wheels either way.
if command -v pyenv >/dev/null 2>&1 && pyenv versions --bare | grep -qx '3.12.1'; then
  export PYENV_VERSION="3.12.1:$(pyenv global | tr '\n' ':' | sed 's/:$//')"
fi
"$TOOLS/bin/sam" build --template-file template.yaml
