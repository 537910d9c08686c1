# The two commands of the README: `make run` (seeded system, API + UI) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint seed bench clean

# Every dependency (dev tools included) from the hash-checked lock, then the project itself alone.
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# The compiled highlighter, facet writer and hit writer (indexer/native, Rust by maturin), rebuilt when its sources change.
# Without cargo the application does all three in Python (the same output, 0.15 to 0.45 ms more a search).
# A module built before is removed then: it may not match the Python beside it.
NATIVE_STAMP := $(VENV)/.native-stamp
NATIVE_SOURCES := $(wildcard indexer/native/src/*.rs indexer/native/Cargo.* indexer/native/*.pyi) indexer/native/pyproject.toml

# cargo from PATH, else where rustup puts it (a shell that did not source ~/.cargo/env).
CARGO_DIR := $(or $(patsubst %/,%,$(dir $(shell command -v cargo 2>/dev/null))),$(wildcard $(HOME)/.cargo/bin))

$(NATIVE_STAMP): $(STAMP) $(NATIVE_SOURCES)
	@if [ -x "$(CARGO_DIR)/cargo" ]; then \
		echo "Building the compiled module (indexer/native: highlighter, facet writer, hit writer)…"; \
		if PATH="$(CURDIR)/$(BIN):$(CARGO_DIR):$$PATH" $(BIN)/pip install --quiet --no-deps --no-build-isolation ./indexer/native; \
		then touch $(NATIVE_STAMP); \
		else $(BIN)/pip uninstall --quiet --yes impact-highlight; \
			echo "The compiled module did not build (above): highlighting, facet lists and hits run in Python (same output, slower)"; fi; \
	else \
		$(BIN)/pip uninstall --quiet --yes impact-highlight 2>/dev/null || true; \
		echo "cargo not found: highlighting, facet lists and hits run in Python (same output, slower; https://rustup.rs to build it)"; \
	fi

install: $(STAMP) $(NATIVE_STAMP)

run: install
	bash scripts/run.sh

test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# `make bench` (10k and 100k, both engines); e.g. `make bench BENCH_ARGS="--sizes 10000 --engines embedded"`.
bench: install
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# `make bench-writes`: acknowledged write → searchable, and throughput, SQLite + embedded vs PostgreSQL +
# Elasticsearch with 1, 2, 4 API processes; e.g. `make bench-writes BENCH_ARGS="--configs sqlite-embedded"`.
.PHONY: bench-writes
bench-writes: install
	$(BIN)/python -m benchmarks.writes $(BENCH_ARGS)

# `make soak`: 10-minute mixed-load soak of one API process (benchmarks/soak.py), then the abuse cases on a
# 100k store (benchmarks/abuse.py); e.g. `make soak SOAK_ARGS="--minutes 0.5" ABUSE_ARGS="--size 20000"`.
.PHONY: soak
soak: install
	$(BIN)/python -m benchmarks.soak $(SOAK_ARGS)
	$(BIN)/python -m benchmarks.abuse $(ABUSE_ARGS)

# `make bench-relevance`: MRR@10, recall, nDCG on PIAF (../shared/data) and our judged set, both engines beside
# a BM25 baseline; e.g. `make bench-relevance BENCH_ARGS="--engines embedded --questions 300"`.
.PHONY: bench-relevance
bench-relevance: install
	$(BIN)/python -m benchmarks.relevance $(BENCH_ARGS)

seed: install
	$(BIN)/impact seed

clean:
	rm -rf $(VENV) data test-artifacts indexer/native/target
