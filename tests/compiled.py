"""Tests of what the compiled module does (`indexer/native`): skipped, loudly, where it is not built (no cargo when
`make install` ran), unless IMPACT_REQUIRE_NATIVE=1 (as in CI), where they run and fail."""

from __future__ import annotations

import os

import pytest

from indexer.compiled import native

requires_native = pytest.mark.skipif(
    native is None and os.environ.get("IMPACT_REQUIRE_NATIVE") != "1",
    reason="the compiled module is not built (`make install` builds it where cargo is)",
)
