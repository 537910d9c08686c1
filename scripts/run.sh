#!/usr/bin/env bash
# Seed the store and index, then serve the API (port 8000) and the UI (port 8501) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
API_PORT=${IMPACT_API_PORT:-8000}
UI_PORT=${IMPACT_UI_PORT:-8501}
export IMPACT_API_BASE_URL=${IMPACT_API_BASE_URL:-http://127.0.0.1:$API_PORT}
export IMPACT_PUBLIC_BASE_URL=${IMPACT_PUBLIC_BASE_URL:-http://127.0.0.1:$UI_PORT}
# What the API writes of its own address (feeds' self links, the embed builder's snippets and help).
export IMPACT_PUBLIC_API_URL=${IMPACT_PUBLIC_API_URL:-http://127.0.0.1:$API_PORT}

"$BIN/impact" seed

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$BIN/impact" serve --port "$API_PORT" &
pids+=($!)
"$BIN/streamlit" run ui/app.py --server.port "$UI_PORT" --server.headless true \
    --browser.gatherUsageStats false &
pids+=($!)

for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:$API_PORT/api/v1/health" >/dev/null 2>&1; then break; fi
    sleep 0.5
done
# Operators read English (the CLI, logs and docs speak it); the interface is French.
echo "IMPACT-Pratiques is ready: API http://127.0.0.1:$API_PORT/docs  ·  interface (French) http://127.0.0.1:$UI_PORT"
wait -n "${pids[@]}"
