"""Headless Chromium for the real-browser tests: Debian's package, driven by Playwright.

Without /usr/bin/chromium (`bash scripts/install-browser.sh`) a browser test skips, loudly;
with IMPACT_REQUIRE_BROWSER=1, as in CI, it fails instead.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.live import ROOT

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
# Background networking off: this machine's closed network would otherwise refuse many
# connections at every start.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str | None:
    """The system Chromium; Playwright's own browser download is never used."""
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


def require_browser() -> str:
    """The Chromium path, or a loud skip (a failure under IMPACT_REQUIRE_BROWSER=1)."""
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "the playwright package is not installed (pip install -e '.[dev]')"
    path = chromium()
    if problem is None and path is None:
        problem = f"{CHROMIUM} is missing: run `bash scripts/install-browser.sh`"
    if problem or path is None:
        if os.environ.get("IMPACT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser test required (IMPACT_REQUIRE_BROWSER=1) but {problem}")
        warnings.warn(f"BROWSER TEST SKIPPED: {problem}", stacklevel=2)
        pytest.skip(f"BROWSER TEST SKIPPED: {problem}")
    return path


@contextmanager
def launched_browser() -> Iterator[Any]:
    """A headless Chromium for a module or a session, closed afterwards."""
    path = require_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
