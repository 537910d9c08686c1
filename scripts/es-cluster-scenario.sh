#!/usr/bin/env bash
# Scale-out scenario (not CI): a 3-node Elasticsearch cluster on loopback (scripts/es-cluster.sh), PostgreSQL
# (scripts/pg-node.sh), two API processes, ~1,000 writes with searches in a loop, one data node killed with
# SIGKILL mid-write and restarted; the index must equal the store at the end. See benchmarks/cluster_scenario.py.
#
#   scripts/es-cluster-scenario.sh [options of benchmarks/cluster_scenario.py, e.g. --operations 1000]
#
# Results: benchmarks/results/cluster-scenario-<timestamp>.md and .json. Whatever happens (failure, Ctrl-C,
# SIGTERM), every process the scenario started is stopped on exit: the API processes, the cluster, and
# PostgreSQL if it was not already running.
#
# Environment (all optional; the Python side reads the same):
#   IMPACT_ES_CLUSTER_NODES / _HTTP_BASE / _TRANSPORT_BASE   3 nodes, HTTP 9271.., transport 9371..
#   IMPACT_ES_HEAP                                           heap per node (default 512m)
#   IMPACT_PG_PORT                                           PostgreSQL port (default 5436)
#   IMPACT_SCENARIO_RUN_ROOT                                 run dirs (default /tmp/impact-cluster-scenario)
#   PYTHON                                                   interpreter (default .venv/bin/python)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
export IMPACT_PG_PORT="${IMPACT_PG_PORT:-5436}"
export IMPACT_SCENARIO_RUN_ROOT="${IMPACT_SCENARIO_RUN_ROOT:-/tmp/impact-cluster-scenario}"
ES_ENV=(env IMPACT_ES_CLUSTER_RUN_ROOT="$IMPACT_SCENARIO_RUN_ROOT/es")

log() { echo "es-cluster-scenario: $*" >&2; }

PG_WAS_RUNNING=0
if bash "$ROOT/scripts/pg-node.sh" status >/dev/null 2>&1; then PG_WAS_RUNNING=1; fi
PY_PID=""

cleanup() {
    local rc=$? pid cmdline waited=0
    trap - EXIT INT TERM
    if [ -n "$PY_PID" ] && [ -d "/proc/$PY_PID" ]; then
        log "stopping the scenario (pid $PY_PID)"
        kill -TERM "$PY_PID" 2>/dev/null || true
        while [ -d "/proc/$PY_PID" ] && [ "$waited" -lt 120 ]; do sleep 0.5; waited=$((waited + 1)); done
        kill -KILL "$PY_PID" 2>/dev/null || true
    fi
    # API processes the scenario left behind (it writes their pids): only uvicorn processes of ours.
    if [ -f "$IMPACT_SCENARIO_RUN_ROOT/api.pids" ]; then
        while read -r pid; do
            [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || continue
            cmdline="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" || continue
            if [[ "$cmdline" == *"uvicorn --factory api.main:create_app"* ]]; then
                log "killing API process $pid"
                kill -KILL "$pid" 2>/dev/null || true
            fi
        done < "$IMPACT_SCENARIO_RUN_ROOT/api.pids"
        rm -f "$IMPACT_SCENARIO_RUN_ROOT/api.pids"
    fi
    "${ES_ENV[@]}" bash "$ROOT/scripts/es-cluster.sh" stop 2>/dev/null || true
    if [ "$PG_WAS_RUNNING" -eq 0 ]; then bash "$ROOT/scripts/pg-node.sh" stop 2>/dev/null || true; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$ROOT"
start="$(date +%s)"
"$PY" -m benchmarks.cluster_scenario "$@" &
PY_PID=$!
rc=0
wait "$PY_PID" || rc=$?
PY_PID=""
log "scenario exited with $rc after $(( $(date +%s) - start )) s"
exit "$rc"
