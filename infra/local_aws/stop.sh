#!/usr/bin/env bash
# `make local-aws-stop`: stop what start.sh started (same LOCAL_AWS_RUN_DIR), by the ids it recorded.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN="${LOCAL_AWS_RUN_DIR:-$REPO/.local-aws}"
log() { echo "local-aws: $*" >&2; }

stop_group() { # name: its process group (setsid in start.sh), TERM then KILL
  local file="$RUN/$1.pid" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    log "stopped $1 (pid $pid)"
  fi
  rm -f "$file"
}

stop_group proxy
stop_group moto
if [ -f "$RUN/opensearch.port" ]; then
  OPENSEARCH_PORT="$(cat "$RUN/opensearch.port")" bash "$REPO/infra/opensearch/stop.sh"
  rm -f "$RUN/opensearch.port"
fi
