"""`/docs` in headless Chromium with no way out: Swagger UI renders every operation from the files the
API serves, under its strict CSP, and the page asks nothing of any other origin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser import ARTIFACTS, launched_browser
from tests.live import LiveApi, live_api

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    with live_api(tmp_path_factory.mktemp("docs") / "data", seed=False) as live:
        yield live


def test_docs_render_offline_under_their_csp(api: LiveApi) -> None:
    origin = urlsplit(api.url).netloc
    elsewhere: list[str] = []
    problems: list[str] = []

    def only_the_api(route: Any) -> None:
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:  # an intranet without internet access
            elsewhere.append(route.request.url)
            route.abort()

    with launched_browser() as browser:
        page = browser.new_page()
        page.route("**/*", only_the_api)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{api.url}/")  # redirects to /docs
        page.wait_for_selector(".opblock", timeout=20_000)
        operations = page.locator(".opblock").count()
        title = page.locator(".info .title").inner_text()
        page.screenshot(path=str(ARTIFACTS / "docs-offline.png"), full_page=False)
    assert page.url.endswith("/docs")
    assert operations >= 12 and "IMPACT-Pratiques API" in title
    assert elsewhere == [], elsewhere
    assert problems == [], problems
