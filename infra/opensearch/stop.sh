#!/usr/bin/env bash
# Stop the node started by start.sh (same OPENSEARCH_PORT / OPENSEARCH_RUN_DIR), by its PID.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

if [ ! -f "$OPENSEARCH_PID_FILE" ]; then
  os_log "not running (no $OPENSEARCH_PID_FILE)"
  exit 0
fi
pid="$(cat "$OPENSEARCH_PID_FILE")"
if ! kill -0 "$pid" 2>/dev/null || ! grep -q org.opensearch.bootstrap "/proc/$pid/cmdline" 2>/dev/null; then
  os_log "not running (stale pid $pid)"
  rm -f "$OPENSEARCH_PID_FILE"
  exit 0
fi
kill -TERM "$pid"
for _ in $(seq 1 60); do
  kill -0 "$pid" 2>/dev/null || { rm -f "$OPENSEARCH_PID_FILE"; os_log "stopped (pid $pid)"; exit 0; }
  sleep 0.5
done
os_log "pid $pid still alive after 30s, sending SIGKILL"
kill -KILL "$pid" 2>/dev/null || true
rm -f "$OPENSEARCH_PID_FILE"
