#!/usr/bin/env bash
# The whole test suite: lint, types, then every test (Elasticsearch, PostgreSQL and browser suites
# included). On a fresh machine it installs what the tests need first: Chromium and axe-core here; the test
# session itself installs and starts Elasticsearch (scripts/es-node.sh) and PostgreSQL
# (scripts/pg-node.sh) as unprivileged users on loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

bash scripts/install-browser.sh || echo "test.sh: Chromium could not be installed; the browser tests will say so" >&2
bash scripts/install-axe.sh || echo "test.sh: axe-core could not be installed; the accessibility tests will say so" >&2

"$BIN/ruff" check .
"$BIN/ruff" format --check .
"$BIN/mypy"

"$BIN/pytest" "$@"
