"""A real API process (seeded, with an editor and a contributor key) for the UI tests, and AppTest helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.live import ROOT, LiveApi
from tests.live import live_api as start_live_api

APP = ROOT / "ui" / "app.py"


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """A seeded API of the UI tests' own (their submissions never disturb other suites)."""
    with start_live_api(tmp_path_factory.mktemp("ui-api") / "data") as api:
        yield api


@pytest.fixture
def api_url(live_api: LiveApi, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the UI at the live API, with empty caches."""
    monkeypatch.setenv("IMPACT_API_BASE_URL", live_api.url)
    st.cache_data.clear()
    return live_api.url


OpenPage = Callable[..., AppTest]


@pytest.fixture
def open_page(api_url: str) -> OpenPage:
    """Run the app on a page (a path under ui/, as st.navigation names it) with a query string."""

    def run(path: str | None = None, /, **query: str | list[str]) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=30)
        if path is None:
            app.query_params = dict(query)
            return checked(app.run())
        app.run()  # registers the pages of st.navigation, so switch_page can find them
        app.switch_page(path)
        app.query_params = dict(query)
        return checked(app.run())

    return run


def checked(app: AppTest) -> AppTest:
    """The app after a run, failing the test on any uncaught exception in a page."""
    assert not app.exception, [e.value for e in app.exception]
    return app


def total_shown(app: AppTest) -> int:
    """The result count the page shows ("**12 pratiques trouvées**")."""
    for block in app.markdown:
        found = re.match(r"\*\*([\d\u202f]+) pratiques?\b", block.value)
        if found:
            return int(found.group(1).replace("\u202f", ""))
    raise AssertionError("no result count on the page")


def facet_counts(app: AppTest, facet: str) -> dict[str, int]:
    """value → count of one facet, read from its checkbox labels ("Rural (38)")."""
    prefix = f"facet__{facet}__"
    counts = {}
    for box in app.checkbox:
        if box.key and box.key.startswith(prefix):
            found = re.search(r"\((\d+)\)$", box.label)
            assert found, box.label
            counts[box.key.removeprefix(prefix)] = int(found.group(1))
    return counts


def hit_titles(app: AppTest) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", m.value.split("</h3>")[0])
        for m in app.markdown
        if m.value.startswith('<h3 class="impact-hit-title">')
    ]
