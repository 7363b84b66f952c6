#!/usr/bin/env bash
# Fetch a real OpenSearch node with the k-NN plugin from Maven Central and unpack it.
# Idempotent: a second run only checks a stamp file. See README.md beside this file.
#
#   infra/opensearch/fetch.sh            # prints OPENSEARCH_HOME on stdout
#
# Env: OPENSEARCH_VERSION (2.19.1), OPENSEARCH_KNN_VERSION (<ver>.0), OPENSEARCH_CACHE_DIR,
#      OPENSEARCH_HOME, OPENSEARCH_JAVA_HOME, MVN (mvn), OPENSEARCH_MVN_ARGS (extra args for mvn).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

STAMP="$OPENSEARCH_HOME/.mnemoscope-installed"
WANT="opensearch=$OPENSEARCH_VERSION knn=$OPENSEARCH_KNN_VERSION layout=1"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  echo "$OPENSEARCH_HOME"
  exit 0
fi

MVN="${MVN:-mvn}"
command -v "$MVN" >/dev/null || os_die "maven ('$MVN') not found on PATH; install it (apt-get install -y maven)"
command -v unzip >/dev/null || os_die "unzip not found on PATH; install it (apt-get install -y unzip)"
JAVA_DIR="$(os_java_home)" || os_die "no Java 11..23 found (OpenSearch $OPENSEARCH_VERSION needs the security manager, so Java 17 is best); set OPENSEARCH_JAVA_HOME"
export JAVA_HOME="$JAVA_DIR" OPENSEARCH_JAVA_HOME="$JAVA_DIR"

umask 022
DL="$OPENSEARCH_CACHE_DIR/downloads"
mkdir -p "$DL"
t0=$(date +%s)

mvn_q() {
  # shellcheck disable=SC2086
  if ! out="$("$MVN" -q -B -Dstyle.color=never ${OPENSEARCH_MVN_ARGS:-} "$@" 2>&1)"; then
    printf '%s\n' "$out" | sed 's/\x1b\[[0-9;]*m//g' | grep -E 'Failed|Could not|resolve|Unknown host|timed out|refused' | head -10 >&2
    return 1
  fi
}

fetch_artifact() { # G:A:V:type -> file in $DL
  local coord="$1" file="$2"
  [ -s "$DL/$file" ] && return 0
  os_log "downloading $coord from Maven Central"
  mvn_q org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy -Dartifact="$coord" -DoutputDirectory="$DL" \
    -Dmdep.overWriteReleases=true \
    || os_die "Maven could not fetch $coord (see the error above; is Maven Central reachable?)"
  [ -s "$DL/$file" ] || os_die "Maven reported success but $DL/$file is missing"
}

DIST_ZIP="opensearch-$OPENSEARCH_VERSION.zip"
KNN_ZIP="opensearch-knn-$OPENSEARCH_KNN_VERSION.zip"
fetch_artifact "org.opensearch.distribution.integ-test-zip:opensearch:$OPENSEARCH_VERSION:zip" "$DIST_ZIP"
fetch_artifact "org.opensearch.plugin:opensearch-knn:$OPENSEARCH_KNN_VERSION:zip" "$KNN_ZIP"

# The integ-test-zip ships only the transport-netty4 module. k-NN needs lang-painless
# (extended.plugins=lang-painless), and analyzers (cjk, whitespace, pattern, ...) live in
# analysis-common; _delete_by_query/_update_by_query/_reindex live in reindex. These modules are
# published on Maven Central as plain jars, so we rebuild the module folders from those jars
# and write their plugin descriptors. Format: dir|artifactId|classname|extended.plugins|description
MODULES="
lang-painless|lang-painless|org.opensearch.painless.PainlessPlugin||An easy, safe and fast scripting language for OpenSearch
analysis-common|analysis-common|org.opensearch.analysis.common.CommonAnalysisPlugin|lang-painless|Adds built in analyzers to OpenSearch.
reindex|reindex-client|org.opensearch.index.reindex.ReindexPlugin||The Reindex module adds APIs to reindex from one index to another or update documents in place.
"

policy_for() {
  case "$1" in
    lang-painless) cat <<'P'
grant {
  // needed to generate runtime classes
  permission java.lang.RuntimePermission "createClassLoader";
  // needed to find the classloader to load whitelisted classes from
  permission java.lang.RuntimePermission "getClassLoader";
};
P
    ;;
    reindex) cat <<'P'
grant {
  // reindex opens socket connections using the rest client
  permission java.net.SocketPermission "*", "connect";
};
grant codeBase "${codebase.opensearch-rest-client}" {
  permission java.net.NetPermission "getProxySelector";
};
grant codeBase "${codebase.httpasyncclient}" {
  permission java.net.NetPermission "getProxySelector";
};
P
    ;;
  esac
}

fetch_module() { # dir artifactId -> jars in $DL/modules/<dir>
  local dir="$1" aid="$2" dest="$DL/modules/$1" pomdir
  [ -f "$dest/.complete" ] && return 0
  os_log "downloading module $dir (org.opensearch.plugin:$aid:$OPENSEARCH_VERSION) and its jars"
  rm -rf "$dest"; mkdir -p "$dest"
  pomdir="$(mktemp -d)"
  cat > "$pomdir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>mnemoscope.infra</groupId><artifactId>os-module-$dir</artifactId><version>0</version>
  <dependencies>
    <dependency>
      <groupId>org.opensearch.plugin</groupId><artifactId>$aid</artifactId><version>$OPENSEARCH_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.opensearch</groupId><artifactId>opensearch</artifactId></exclusion>
        <exclusion><groupId>org.opensearch</groupId><artifactId>opensearch-core</artifactId></exclusion>
        <exclusion><groupId>org.opensearch</groupId><artifactId>opensearch-common</artifactId></exclusion>
      </exclusions>
    </dependency>
  </dependencies>
</project>
POM
  mvn_q -f "$pomdir/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dest" \
    || { rm -rf "$pomdir"; os_die "Maven could not fetch module org.opensearch.plugin:$aid:$OPENSEARCH_VERSION"; }
  rm -rf "$pomdir"
  touch "$dest/.complete"
}

while IFS='|' read -r dir aid _; do
  [ -n "$dir" ] && fetch_module "$dir" "$aid"
done <<< "$MODULES"

t1=$(date +%s)
os_log "downloads done in $((t1 - t0))s; unpacking into $OPENSEARCH_HOME"

STAGE="$OPENSEARCH_HOME.tmp.$$"
trap 'rm -rf "$STAGE" "$STAGE.unzip"' EXIT
rm -rf "$STAGE" "$STAGE.unzip"; mkdir -p "$STAGE.unzip"
unzip -q "$DL/$DIST_ZIP" -d "$STAGE.unzip"
top="$(find "$STAGE.unzip" -mindepth 1 -maxdepth 1 -type d | head -1)"
[ -x "$top/bin/opensearch" ] || os_die "$DIST_ZIP does not look like an OpenSearch distribution"
mv "$top" "$STAGE"

while IFS='|' read -r dir aid cls ext desc; do
  [ -n "$dir" ] || continue
  mdir="$STAGE/modules/$dir"
  mkdir -p "$mdir"
  for jar in "$DL/modules/$dir"/*.jar; do
    # never duplicate a jar the server already has in lib/ (jar hell)
    [ -e "$STAGE/lib/$(basename "$jar")" ] || cp "$jar" "$mdir/"
  done
  cat > "$mdir/plugin-descriptor.properties" <<D
description=$desc
version=$OPENSEARCH_VERSION
name=$dir
classname=$cls
java.version=11
opensearch.version=$OPENSEARCH_VERSION
custom.foldername=
extended.plugins=$ext
has.native.controller=false
D
  pol="$(policy_for "$dir")"
  [ -z "$pol" ] || printf '%s\n' "$pol" > "$mdir/plugin-security.policy"
done <<< "$MODULES"

os_log "installing the k-NN plugin $OPENSEARCH_KNN_VERSION"
if ! out="$("$STAGE/bin/opensearch-plugin" install --batch "file://$DL/$KNN_ZIP" 2>&1)"; then
  printf '%s\n' "$out" >&2
  os_die "opensearch-plugin install failed"
fi
chmod -R a+rX "$STAGE"
echo "$WANT" > "$STAGE/.mnemoscope-installed"
rm -rf "$OPENSEARCH_HOME"
mv "$STAGE" "$OPENSEARCH_HOME"
os_log "ready in $(( $(date +%s) - t0 ))s: $OPENSEARCH_HOME"
echo "$OPENSEARCH_HOME"
