#!/usr/bin/env bash
# `make local-aws`: the AWS data plane on this machine, no Docker, no account.
#   * moto in server mode: DynamoDB, SQS (FIFO + DLQ) and Secrets Manager on one port;
#   * the OpenSearch node CI uses (infra/opensearch, Maven Central), as a managed domain, or behind the
#     Serverless-constraints proxy (LOCAL_AWS_SEARCH=serverless);
# then creates the template's tables, queues and the index, and writes events/env.local.json (for `sam local invoke`)
# and .local-aws/serve.env (for `mnemoscope serve --backend aws`). `make local-aws-stop` stops what this started.
#
# Env: LOCAL_AWS_PORT (4566), LOCAL_AWS_BIND (127.0.0.1; 0.0.0.0 lets SAM containers on Linux reach it),
#      LOCAL_AWS_OPENSEARCH_PORT (9210), LOCAL_AWS_OPENSEARCH_URL (a running node to reuse instead: nothing started),
#      LOCAL_AWS_SEARCH (domain | serverless), LOCAL_AWS_PROXY_PORT (OpenSearch port + 1),
#      LOCAL_AWS_SERVERLESS_DELAY (1 s), LOCAL_AWS_RUN_DIR (.local-aws), LOCAL_AWS_PROVISION_ARGS (more arguments for
#      provision.py: --index, --dimension, --embedder, --chat-provider, --openai-base-url, --docker-host, ...).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN="${LOCAL_AWS_RUN_DIR:-$REPO/.local-aws}"
AWS_PORT="${LOCAL_AWS_PORT:-4566}"
BIND="${LOCAL_AWS_BIND:-127.0.0.1}"
OS_PORT="${LOCAL_AWS_OPENSEARCH_PORT:-9210}"
OS_URL="${LOCAL_AWS_OPENSEARCH_URL:-}"
SEARCH="${LOCAL_AWS_SEARCH:-domain}"
PROXY_PORT="${LOCAL_AWS_PROXY_PORT:-$((OS_PORT + 1))}"
PY="${LOCAL_AWS_PYTHON:-$REPO/.venv/bin/python}"
log() { echo "local-aws: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$RUN"
[ -x "$PY" ] || die "$PY not found; run make install"

wait_for() { # url seconds pidfile
  local t0; t0=$(date +%s)
  until curl -s --max-time 2 -o /dev/null "$1"; do
    kill -0 "$(cat "$3")" 2>/dev/null || die "$(basename "$3" .pid) exited during startup (see $RUN/*.log)"
    [ $(( $(date +%s) - t0 )) -lt "$2" ] || die "$1 did not answer within $2 s"
    sleep 0.2
  done
}

start_bg() { # name command...  (its own process group, so stop.sh can end exactly what it started)
  local name="$1"; shift
  if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
    log "$name already running (pid $(cat "$RUN/$name.pid"))"; return 0
  fi
  setsid "$@" >"$RUN/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

t0=$(date +%s)
AWS_URL="http://127.0.0.1:$AWS_PORT"
if curl -s --max-time 2 -o /dev/null "$AWS_URL" && [ ! -f "$RUN/moto.pid" ]; then
  die "something else answers on $AWS_URL; set LOCAL_AWS_PORT"
fi
start_bg moto "$REPO/.venv/bin/moto_server" -H "$BIND" -p "$AWS_PORT"
wait_for "$AWS_URL/moto-api/" 30 "$RUN/moto.pid"
log "moto (DynamoDB, SQS, Secrets Manager) on $AWS_URL after $(( $(date +%s) - t0 )) s"

if [ -z "$OS_URL" ]; then
  OS_URL="$(OPENSEARCH_PORT="$OS_PORT" OPENSEARCH_HOST="$BIND" bash "$REPO/infra/opensearch/start.sh")"
  OS_URL="http://127.0.0.1:$OS_PORT"
  echo "$OS_PORT" >"$RUN/opensearch.port"  # ours to stop
fi
SEARCH_URL="$OS_URL"
if [ "$SEARCH" = serverless ]; then
  start_bg proxy "$PY" "$REPO/infra/opensearch/serverless_proxy.py" --upstream "$OS_URL" --port "$PROXY_PORT" \
    --delay "${LOCAL_AWS_SERVERLESS_DELAY:-1}"
  SEARCH_URL="http://127.0.0.1:$PROXY_PORT"
  wait_for "$SEARCH_URL" 30 "$RUN/proxy.pid"
  log "Serverless-constraints proxy on $SEARCH_URL -> $OS_URL"
elif [ "$SEARCH" != domain ]; then
  die "LOCAL_AWS_SEARCH must be domain or serverless, not $SEARCH"
fi

# shellcheck disable=SC2086
(cd "$REPO" && "$PY" -m infra.local_aws.provision --aws-endpoint "$AWS_URL" --opensearch "$SEARCH_URL" \
  ${LOCAL_AWS_PROVISION_ARGS:-})
log "ready in $(( $(date +%s) - t0 )) s; stop with make local-aws-stop"
