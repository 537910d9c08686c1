"""A real API process (seeded, with an editor and a contributor key) for the UI tests, and AppTest helpers."""

from __future__ import annotations

import os
import random
import re
import string
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.browser import launched_browser, require_browser
from tests.live import ROOT, LiveApi, free_port, stop, wait_until_up
from tests.live import live_api as start_live_api
from ui.monograph_form import FORM_INSTANCE, form_key

APP = ROOT / "ui" / "app.py"
# In the browser: a result's title, which is its link, and the words found in it.
HIT_LINK = "[class*='st-key-hit-'] [data-testid='stPageLink'] a"
HIT_MATCH = f"{HIT_LINK} strong"
CONTRIBUTE = "views/contribute.py"
MODERATION = "views/moderation.py"
# Planted in the URL's `q`, titles, actor names and tags: a phishing link, a remote image, raw HTML, emphasis.
INJECTIONS = (
    "[Votre session a expiré, cliquez ici](https://evil.example)",
    "![x](https://evil.example/p.png)",
    "<img src=x onerror=alert(1)>",
    "**gras**",
)


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """A seeded API of the UI tests' own (their submissions never disturb other suites)."""
    with start_live_api(tmp_path_factory.mktemp("ui-api") / "data") as api:
        wait_for_vectors(api.url)
        yield api


def wait_for_vectors(api_url: str, timeout: float = 180) -> None:
    """Until the background worker has embedded every seeded practice and the index holds the vectors, so
    the UI is tested in the product's default mode (hybrid) with stable rankings."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        search = httpx.get(f"{api_url}/api/v1/health", timeout=10).json()["search"]
        total = httpx.get(f"{api_url}/api/v1/search", params={"size": 1}, timeout=10).json()["total"]
        if search["embedding_backlog"] == 0 and search["vectors"] == total:
            return
        time.sleep(0.5)
    raise AssertionError(f"the seeded practices were not embedded within {timeout} s")


@contextmanager
def ui_server(api: LiveApi, log: Path) -> Iterator[str]:
    """`streamlit run ui/app.py` against `api`, on a free port; yields its address."""
    port = free_port()
    env = {**os.environ, "IMPACT_API_BASE_URL": api.url}
    command = [sys.executable, "-m", "streamlit", "run", "ui/app.py", "--server.port", str(port)]
    command += ["--server.headless", "true", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/_stcore/health", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="session")
def ui_url(live_api: LiveApi, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The UI against the live API, for the browser tests."""
    require_browser()
    with ui_server(live_api, tmp_path_factory.mktemp("ui") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for a test module."""
    with launched_browser() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A new tab, closed after the test; any JavaScript dialog (alert) it opens fails the test."""
    tab = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    tab.set_default_timeout(20_000)
    alerts: list[str] = []

    def refuse(dialog: Any) -> None:
        alerts.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", refuse)
    yield tab
    tab.close()
    assert not alerts, f"a planted script ran: {alerts}"


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
    """The titles of the results on screen, as read (each one is its practice's link)."""
    return [
        re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", link.proto.label.replace("**", "")).replace("\u2060", "")
        for link in app.get("page_link")
        if link.proto.query_string.startswith("id=")
    ]


def unique_word() -> str:
    # A made-up word no seed practice contains, so a search finds only the new practice.
    return "zorgu" + "".join(random.choices(string.ascii_lowercase, k=6))


def with_key(open_page: OpenPage, api_key: str) -> AppTest:
    """The Contribuer page with `api_key` typed in."""
    app = open_page(CONTRIBUTE)
    return checked(app.text_input(key="contrib_api_key").input(api_key).run())


def moderating(open_page: OpenPage, api_key: str, **query: str) -> AppTest:
    """The Modération page with `api_key` typed in (`id=…` shows one practice)."""
    app = open_page(MODERATION, **query)
    return checked(app.text_input(key="moderation_api_key").input(api_key).run())


def own_practices(live_api: LiveApi, word: str) -> list[dict[str, Any]]:
    """The contributor's practices (any status) whose title holds `word`, as the API lists them."""
    found: list[dict[str, Any]] = []
    for page in range(1, 100):
        items = httpx.get(
            f"{live_api.url}/api/v1/monographs",
            params={"page": page, "size": 50},
            headers={"X-API-Key": live_api.contributor_key},
        ).json()["items"]
        found += [item for item in items if word in item["title"]]
        if len(items) < 50:
            break
    return found


def field(app: AppTest, name: str) -> str:
    """The key of a field (or the submit button) of the form on screen: each form instance has its own."""
    return form_key(name, app.session_state[FORM_INSTANCE])


def fill_valid(app: AppTest, word: str) -> None:
    app.text_input(key=field(app, "title")).input(f"Une recyclerie {word} tenue par les habitants")
    app.text_area(key=field(app, "summary")).input(
        f"À Saint-Affrique, la recyclerie {word} réunit la commune, une association et des bénévoles."
    )
    app.text_area(key=field(app, "context")).input("Les encombrants partaient en décharge.")
    app.text_input(key=field(app, "territory_name")).input("Saint-Affrique")
    app.text_input(key=field(app, "territory_department")).input("12")
    app.selectbox(key=field(app, "territory_region")).select("Occitanie")
    app.multiselect(key=field(app, "territory_types")).select("rural")
    app.multiselect(key=field(app, "actor_categories")).select("collectivite").select("association")
    app.multiselect(key=field(app, "odd")).select("12").select("17")
    app.number_input(key=field(app, "year")).set_value(2022)
    app.text_area(key=field(app, "sources")).input("https://exemple.fr/recyclerie")


def submit(app: AppTest) -> AppTest:
    return checked(app.button(key=field(app, "submit")).click().run())


# In the browser.


def go(page: Any, url: str, heading: str) -> None:
    """Open `url` and wait for its page. The first visit after the server started, when it goes
    straight to a page, also gets Streamlit's "Page not found" notice over the right page: closed."""
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    notice = page.get_by_role("dialog")
    if notice.count():
        page.keyboard.press("Escape")
        expect(notice).to_have_count(0)


def settled(page: Any) -> None:
    """Wait until the page's script has finished its run: a click on a button its run is still drawing can be lost
    (the moderation queue's « Publier » once was, in CI: the publish never reached the API)."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def choose(page: Any, label: str, option: str) -> None:
    box = page.get_by_role("combobox", name=label)
    box.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
