# shellcheck shell=bash
# Shared settings for infra/opensearch/{fetch,start,stop}.sh. Source it, do not run it.
# Every value can be overridden from the environment.

OPENSEARCH_VERSION="${OPENSEARCH_VERSION:-2.19.1}"
# The k-NN plugin version must match the distribution exactly (2.19.1 -> 2.19.1.0).
OPENSEARCH_KNN_VERSION="${OPENSEARCH_KNN_VERSION:-${OPENSEARCH_VERSION}.0}"

# Where zips are downloaded and the node is unpacked. /root is mode 700, so when we
# run as root the default is a world-traversable place the unprivileged node user can read.
if [ -z "${OPENSEARCH_CACHE_DIR:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    OPENSEARCH_CACHE_DIR=/var/cache/mnemoscope/opensearch
  else
    OPENSEARCH_CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/mnemoscope/opensearch"
  fi
fi
OPENSEARCH_HOME="${OPENSEARCH_HOME:-$OPENSEARCH_CACHE_DIR/opensearch-$OPENSEARCH_VERSION-knn-$OPENSEARCH_KNN_VERSION}"

OPENSEARCH_HOST="${OPENSEARCH_HOST:-127.0.0.1}"  # 0.0.0.0: reachable from containers
OPENSEARCH_PORT="${OPENSEARCH_PORT:-9200}"
OPENSEARCH_TRANSPORT_PORT="${OPENSEARCH_TRANSPORT_PORT:-$((OPENSEARCH_PORT + 100))}"
OPENSEARCH_HEAP="${OPENSEARCH_HEAP:-512m}"
# Per-port runtime state: config copy, data, logs, pid file.
OPENSEARCH_RUN_DIR="${OPENSEARCH_RUN_DIR:-$OPENSEARCH_CACHE_DIR/run-$OPENSEARCH_PORT}"
OPENSEARCH_PID_FILE="$OPENSEARCH_RUN_DIR/opensearch.pid"
# OpenSearch refuses to run as root; when we are root the node runs as this user.
OPENSEARCH_USER="${OPENSEARCH_USER:-mnemoscope-os}"

os_die() { echo "opensearch: ERROR: $*" >&2; exit 1; }
os_log() { echo "opensearch: $*" >&2; }

# OpenSearch 2.x needs the Java security manager, removed in Java 24: use 17 (or 21).
os_java_home() {
  local cand v
  for cand in "${OPENSEARCH_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-* \
              /usr/lib/jvm/java-21-openjdk-* /usr/lib/jvm/temurin-17-* /usr/lib/jvm/temurin-21-*; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] || continue
    v="$("$cand/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
    if [ -n "$v" ] && [ "$v" -ge 11 ] && [ "$v" -le 23 ]; then echo "$cand"; return 0; fi
  done
  return 1
}
