"""The compiled module (indexer/native, Rust): the highlighter's scan and rendering (`indexer/highlight.py`), the
facet lists' JSON (`indexer/facets.py`), and Elasticsearch's answers read in place with their page of hits written
as JSON (`indexer/es_answers.py`, `indexer/hits.py`). `make install` builds it where cargo is; without it all run
in Python, with the same output."""

from __future__ import annotations

import importlib
from types import ModuleType


def _compiled() -> ModuleType | None:
    try:
        return importlib.import_module("impact_highlight")
    except ImportError:  # the same output, from the Python references
        return None


native = _compiled()


def is_panic(error: BaseException) -> bool:
    """Whether `error` is a panic of compiled code (pyo3's `PanicException`, a `BaseException`; tantivy's too)."""
    return type(error).__name__ == "PanicException"
