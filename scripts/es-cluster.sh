#!/usr/bin/env bash
# Run a real Elasticsearch cluster of N nodes on loopback, for scale-out scenarios (not CI).
#
#   scripts/es-cluster.sh start [i]   start every node (in parallel: a lone node cannot elect a master), wait
#                                     until the cluster has N nodes; with i (1..N), start node i only (a
#                                     restart: it rejoins the running cluster). The URLs are printed on stdout.
#   scripts/es-cluster.sh stop [i]    stop every node, or node i (SIGTERM, then SIGKILL after a timeout)
#   scripts/es-cluster.sh kill i      SIGKILL node i's JVM (a crash), and wait until its port refuses
#   scripts/es-cluster.sh status      one line per node; exit 0 when all run, 3 otherwise
#   scripts/es-cluster.sh reset       stop every node and delete their data (a fresh cluster at next start)
#   scripts/es-cluster.sh urls        the nodes' HTTP URLs, one a line
#
# Each node is one scripts/es-node.sh node in its opt-in cluster mode (IMPACT_ES_SEED_HOSTS...): same
# distribution (Maven Central's integ-test zip, installed once in the cache), same unprivileged user, its own
# run dir (config, data, logs, pid). Node i has HTTP port HTTP_BASE+i-1 and transport port TRANSPORT_BASE+i-1.
#
# Environment (all optional):
#   IMPACT_ES_CLUSTER_NODES           number of nodes (default 3; all master-eligible data nodes)
#   IMPACT_ES_CLUSTER_HTTP_BASE       HTTP port of node 1 (default 9271)
#   IMPACT_ES_CLUSTER_TRANSPORT_BASE  transport port of node 1 (default 9371)
#   IMPACT_ES_CLUSTER_NAME            cluster name (default impact-cluster: never joins the test nodes' impact-test)
#   IMPACT_ES_CLUSTER_RUN_ROOT        parent of the nodes' run dirs (default /tmp/impact-es-cluster)
#   IMPACT_ES_CLUSTER_TIMEOUT         seconds to wait for a node to start and the cluster to form (default 300)
#   IMPACT_ES_HEAP, ES_VERSION, ...   passed on to scripts/es-node.sh (heap default 512m per node)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE_SCRIPT="$HERE/es-node.sh"
NODES="${IMPACT_ES_CLUSTER_NODES:-3}"
HTTP_BASE="${IMPACT_ES_CLUSTER_HTTP_BASE:-9271}"
TRANSPORT_BASE="${IMPACT_ES_CLUSTER_TRANSPORT_BASE:-9371}"
NAME="${IMPACT_ES_CLUSTER_NAME:-impact-cluster}"
RUN_ROOT="${IMPACT_ES_CLUSTER_RUN_ROOT:-/tmp/impact-es-cluster}"
TIMEOUT="${IMPACT_ES_CLUSTER_TIMEOUT:-300}"

log() { echo "es-cluster: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ "$NODES" =~ ^[1-9][0-9]*$ ]] || die "IMPACT_ES_CLUSTER_NODES must be a positive integer"

http_port() { echo $((HTTP_BASE + $1 - 1)); }
transport_port() { echo $((TRANSPORT_BASE + $1 - 1)); }
run_dir() { echo "$RUN_ROOT/node-$(http_port "$1")"; }
url() { echo "http://127.0.0.1:$(http_port "$1")"; }

seed_hosts() {
    local i out=""
    for ((i = 1; i <= NODES; i++)); do out="${out:+$out,}127.0.0.1:$(transport_port "$i")"; done
    echo "$out"
}

initial_masters() {   # es-node.sh names each node impact-es-<http port>
    local i out=""
    for ((i = 1; i <= NODES; i++)); do out="${out:+$out,}impact-es-$(http_port "$i")"; done
    echo "$out"
}

# Whether some node already holds cluster state: the cluster was bootstrapped once, and a node that restarts
# must not carry cluster.initial_master_nodes (Elasticsearch warns that it risks forming a second cluster).
bootstrapped() {
    local i
    for ((i = 1; i <= NODES; i++)); do [ -d "$(run_dir "$i")/data/_state" ] && return 0; done
    return 1
}

MASTERS=""   # cluster.initial_master_nodes of the nodes started now (set by the start commands)

node() {   # $1 = node index, $2 = es-node.sh command
    local masters=""
    if [ "$2" = start ]; then masters="$MASTERS"; fi
    env IMPACT_ES_PORT="$(http_port "$1")" IMPACT_ES_RUN_DIR="$(run_dir "$1")" \
        IMPACT_ES_TRANSPORT_PORT="$(transport_port "$1")" IMPACT_ES_SEED_HOSTS="$(seed_hosts)" \
        IMPACT_ES_INITIAL_MASTERS="$masters" IMPACT_ES_CLUSTER_NAME="$NAME" \
        IMPACT_ES_HEAP="${IMPACT_ES_HEAP:-512m}" IMPACT_ES_START_TIMEOUT="${IMPACT_ES_START_TIMEOUT:-$TIMEOUT}" \
        bash "$NODE_SCRIPT" "$2"
}

check_index() {
    [[ "$1" =~ ^[1-9][0-9]*$ ]] && [ "$1" -le "$NODES" ] || die "node index must be 1..$NODES, not '$1'"
}

node_pid() {   # the pid in node $1's pid file, if that process is alive
    local file pid
    file="$(run_dir "$1")/elasticsearch.pid"
    [ -f "$file" ] || return 1
    pid="$(tr -dc '0-9' < "$file")"
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
    echo "$pid"
}

# Waits until some node reports the cluster with every node in it (status yellow or better).
wait_formed() {
    local deadline=$(( $(date +%s) + TIMEOUT )) i body
    while [ "$(date +%s)" -lt "$deadline" ]; do
        for ((i = 1; i <= NODES; i++)); do
            body="$(curl -fsS --max-time 5 \
                "$(url "$i")/_cluster/health?wait_for_nodes=$NODES&wait_for_status=yellow&timeout=3s" 2>/dev/null)" \
                || continue
            if grep -q '"timed_out":false' <<< "$body"; then
                log "cluster $NAME formed: $(grep -o '"status":"[a-z]*"' <<< "$body"), $NODES nodes"
                return 0
            fi
        done
        sleep 1
    done
    return 1
}

cmd_start_all() {
    local i rc=0 t0
    t0="$(date +%s)"
    mkdir -p "$RUN_ROOT"
    local -a pids=()
    if ! bootstrapped; then MASTERS="$(initial_masters)"; fi
    for ((i = 1; i <= NODES; i++)); do
        log "starting node $i ($(url "$i"), transport $(transport_port "$i"), run dir $(run_dir "$i"))"
        node "$i" start > "$RUN_ROOT/start-$i.out" 2> "$RUN_ROOT/start-$i.err" &
        pids+=("$!")
    done
    for i in "${!pids[@]}"; do
        if ! wait "${pids[$i]}"; then
            rc=1
            log "node $((i + 1)) failed to start:"
            tail -n 30 "$RUN_ROOT/start-$((i + 1)).err" >&2
        fi
    done
    [ "$rc" -eq 0 ] || { cmd_stop_all; die "the cluster did not start"; }
    wait_formed || { cmd_stop_all; die "the cluster did not form within ${TIMEOUT}s"; }
    log "started in $(( $(date +%s) - t0 ))s"
    cmd_urls
}

cmd_start_one() {
    check_index "$1"
    if ! bootstrapped; then MASTERS="$(initial_masters)"; fi
    log "starting node $1 ($(url "$1"))"
    node "$1" start > /dev/null
    url "$1"
}

cmd_stop_all() {
    local i
    local -a pids=()
    for ((i = 1; i <= NODES; i++)); do
        node "$i" stop 2> "$RUN_ROOT/stop-$i.err" &
        pids+=("$!")
    done
    for i in "${pids[@]}"; do wait "$i" || true; done
    log "stopped"
}

cmd_kill() {
    check_index "$1"
    local pid waited=0
    pid="$(node_pid "$1")" || die "node $1 is not running"
    log "SIGKILL node $1 (pid $pid)"
    kill -KILL "$pid"
    while (exec 3<>"/dev/tcp/127.0.0.1/$(http_port "$1")") 2>/dev/null; do
        [ "$waited" -lt 300 ] || die "node $1 still answers 30 s after SIGKILL"
        sleep 0.1
        waited=$((waited + 1))
    done
}

cmd_status() {
    local i rc=0 line
    for ((i = 1; i <= NODES; i++)); do
        if line="$(node "$i" status 2>/dev/null)"; then :; else rc=3; fi
        echo "node $i: $line"
    done
    return "$rc"
}

cmd_reset() {
    cmd_stop_all
    local i
    for ((i = 1; i <= NODES; i++)); do rm -rf "$(run_dir "$i")/data" "$(run_dir "$i")/logs"; done
    log "data of $NODES nodes deleted under $RUN_ROOT"
}

cmd_urls() {
    local i
    for ((i = 1; i <= NODES; i++)); do url "$i"; done
}

main() {
    case "${1:-}" in
        start) if [ -n "${2:-}" ]; then cmd_start_one "$2"; else cmd_start_all; fi ;;
        stop) if [ -n "${2:-}" ]; then check_index "$2"; node "$2" stop; else cmd_stop_all; fi ;;
        kill) cmd_kill "${2:-}" ;;
        status) cmd_status ;;
        reset) cmd_reset ;;
        urls) cmd_urls ;;
        *) echo "usage: $0 start [i]|stop [i]|kill i|status|reset|urls" >&2; exit 2 ;;
    esac
}

main "$@"
