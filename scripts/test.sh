#!/usr/bin/env bash
# The whole test suite: lint, types, then every test (Elasticsearch and browser suites included).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

"$BIN/ruff" check .
"$BIN/ruff" format --check .
"$BIN/mypy"

"$BIN/pytest" "$@"
