#!/usr/bin/env bash
# Start a single-node OpenSearch (with k-NN) in the background on 127.0.0.1:$OPENSEARCH_PORT,
# wait for _cluster/health yellow/green, print the URL on stdout.
#
#   infra/opensearch/start.sh       # runs fetch.sh first (a no-op once installed)
#   infra/opensearch/stop.sh
#
# Env: OPENSEARCH_PORT (9200), OPENSEARCH_TRANSPORT_PORT (port+100), OPENSEARCH_HEAP (512m),
#      OPENSEARCH_START_TIMEOUT (120 s), OPENSEARCH_FRESH (1: wipe data before start, the default;
#      0: keep indices across restarts. A doc indexed into a faiss/nmslib field poisons the data dir:
#      the node dies again while replaying it),
#      OPENSEARCH_USER (node user when run as root), OPENSEARCH_RUN_DIR, plus fetch.sh's.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

URL="http://$OPENSEARCH_HOST:$OPENSEARCH_PORT"
TIMEOUT="${OPENSEARCH_START_TIMEOUT:-120}"
command -v curl >/dev/null || os_die "curl not found on PATH"

"$HERE/fetch.sh" >/dev/null
JAVA_DIR="$(os_java_home)" || os_die "no Java 11..23 found; set OPENSEARCH_JAVA_HOME to a Java 17"

health() { curl -s --max-time 5 "$URL/_cluster/health" 2>/dev/null | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'; }

if [ -f "$OPENSEARCH_PID_FILE" ] && kill -0 "$(cat "$OPENSEARCH_PID_FILE")" 2>/dev/null; then
  case "$(health)" in green|yellow) os_log "already running (pid $(cat "$OPENSEARCH_PID_FILE"))"; echo "$URL"; exit 0;; esac
fi
if curl -s --max-time 2 -o /dev/null "$URL"; then
  os_die "something else already answers on $URL; stop it or set OPENSEARCH_PORT"
fi

umask 022
RUN="$OPENSEARCH_RUN_DIR"
[ "${OPENSEARCH_FRESH:-1}" = 1 ] && rm -rf "$RUN/data"
mkdir -p "$RUN/config" "$RUN/data" "$RUN/logs" "$RUN/tmp"
rm -f "$OPENSEARCH_PID_FILE"

# Own config dir per port, so the install dir stays read-only and several nodes can coexist.
cp "$OPENSEARCH_HOME/config/log4j2.properties" "$RUN/config/"
sed -e "s|^-Xms.*|-Xms$OPENSEARCH_HEAP|" -e "s|^-Xmx.*|-Xmx$OPENSEARCH_HEAP|" \
    -e "s|file=logs/gc.log|file=$RUN/logs/gc.log|" \
    -e "s|^-XX:HeapDumpPath=.*|-XX:HeapDumpPath=$RUN/data|" \
    -e "s|^-XX:ErrorFile=.*|-XX:ErrorFile=$RUN/logs/hs_err_pid%p.log|" \
    -e "s|^8:-Xloggc:logs/gc.log|8:-Xloggc:$RUN/logs/gc.log|" \
    "$OPENSEARCH_HOME/config/jvm.options" > "$RUN/config/jvm.options"
mkdir -p "$RUN/config/jvm.options.d"
cat > "$RUN/config/opensearch.yml" <<YML
cluster.name: mnemoscope
node.name: mnemoscope-$OPENSEARCH_PORT
network.host: $OPENSEARCH_HOST
http.port: $OPENSEARCH_PORT
transport.port: $OPENSEARCH_TRANSPORT_PORT
discovery.type: single-node
path.data: $RUN/data
path.logs: $RUN/logs
# CI disks may be nearly full: never block writes on disk watermarks.
cluster.routing.allocation.disk.threshold_enabled: false
YML

run_env=(OPENSEARCH_JAVA_HOME="$JAVA_DIR" JAVA_HOME="$JAVA_DIR" OPENSEARCH_PATH_CONF="$RUN/config"
         OPENSEARCH_TMPDIR="$RUN/tmp" OPENSEARCH_JAVA_OPTS="${OPENSEARCH_JAVA_OPTS:-}")
cmd=("$OPENSEARCH_HOME/bin/opensearch" -d -p "$OPENSEARCH_PID_FILE")

t0=$(date +%s)
if [ "$(id -u)" = 0 ]; then
  # OpenSearch refuses to run as root ("can not run opensearch as root"): use a system user.
  if ! id -u "$OPENSEARCH_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$OPENSEARCH_USER" \
      || os_die "could not create user $OPENSEARCH_USER"
  fi
  chown -R "$OPENSEARCH_USER:" "$RUN"
  # The node user must be able to reach $OPENSEARCH_HOME and $RUN.
  runuser -u "$OPENSEARCH_USER" -- test -r "$OPENSEARCH_HOME/bin/opensearch" \
    || os_die "user $OPENSEARCH_USER cannot read $OPENSEARCH_HOME (a parent dir is not world-traversable?); set OPENSEARCH_CACHE_DIR"
  (cd "$RUN" && runuser -u "$OPENSEARCH_USER" -- env "${run_env[@]}" "${cmd[@]}") \
    >"$RUN/logs/launcher.log" 2>&1 </dev/null || launch_rc=$?
else
  (cd "$RUN" && env "${run_env[@]}" "${cmd[@]}") >"$RUN/logs/launcher.log" 2>&1 </dev/null || launch_rc=$?
fi

fail() {
  os_log "$1"
  for f in "$RUN/logs/launcher.log" "$RUN/logs/mnemoscope.log"; do
    [ -s "$f" ] && { echo "----- tail $f" >&2; tail -n 60 "$f" >&2; }
  done
  if [ -f "$OPENSEARCH_PID_FILE" ]; then kill "$(cat "$OPENSEARCH_PID_FILE")" 2>/dev/null || true; fi
  exit 1
}
[ "${launch_rc:-0}" = 0 ] || fail "bin/opensearch exited with code $launch_rc"

while :; do
  case "$(health)" in
    green|yellow) break ;;
  esac
  if [ -f "$OPENSEARCH_PID_FILE" ] && ! kill -0 "$(cat "$OPENSEARCH_PID_FILE")" 2>/dev/null; then
    fail "the node process died during startup"
  fi
  [ $(( $(date +%s) - t0 )) -lt "$TIMEOUT" ] || fail "not healthy after ${TIMEOUT}s on $URL"
  sleep 1
done
os_log "up in $(( $(date +%s) - t0 ))s (pid $(cat "$OPENSEARCH_PID_FILE" 2>/dev/null), logs in $RUN/logs)"
echo "$URL"
