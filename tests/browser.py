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
from pathlib import Path
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


AXE_VERSION = "4.14.1"  # pinned with its integrity in scripts/install-axe.sh
AXE_SCRIPT = (
    Path(
        os.environ.get("IMPACT_AXE_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        / "impact-pratiques"
        / f"axe-core-{AXE_VERSION}"
    )
    / "axe.min.js"
)
SERIOUS = ("serious", "critical")


def require_axe() -> str:
    """axe-core's script, or a loud skip (a failure under IMPACT_REQUIRE_BROWSER=1)."""
    if AXE_SCRIPT.is_file():
        return AXE_SCRIPT.read_text(encoding="utf-8")
    problem = f"{AXE_SCRIPT} is missing: run `bash scripts/install-axe.sh`"
    if os.environ.get("IMPACT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"accessibility test required (IMPACT_REQUIRE_BROWSER=1) but {problem}")
    warnings.warn(f"ACCESSIBILITY TEST SKIPPED: {problem}", stacklevel=2)
    pytest.skip(f"ACCESSIBILITY TEST SKIPPED: {problem}")


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A/AA rules and best practices),
    one line per failing element."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=require_axe())
    report = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.html.slice(0, 160))}));
        }"""
    )
    return [
        f"{v['impact']} {v['id']} ({v['help']}): {target}"
        for v in report
        if v["impact"] in SERIOUS
        for target in v["targets"]
    ]
