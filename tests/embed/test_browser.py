"""A partner page on another origin (127.0.0.2) embeds the iframe and the web component served by a
real API process (127.0.0.1), in headless Chromium: results render, a facet click works, nothing
hostile runs, no console error. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.browser import ARTIFACTS, launched_browser, require_browser, serious_violations
from tests.embed.conftest import XSS_PLACE, XSS_TITLE, xss_body
from tests.live import LiveApi, free_port, live_api

pytestmark = pytest.mark.browser

PARTNER_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Réseau partenaire</title><link rel="icon" href="data:,">
<style>li {{ color: rgb(255, 0, 0); font-size: 30px }} h3 {{ font-size: 40px }}</style>
<script src="{api}/widget.js" defer></script>
</head><body>
<h1>Site d'un réseau partenaire</h1>
<ul><li id="partner-li">Un élément de liste du partenaire</li></ul>
<iframe id="frame-results" src="{api}/embed?q=tiers-lieux&amp;size=5&amp;accent=%23A21942&amp;logo=R%C3%A9seau%20test"
  title="Pratiques" style="width:100%;height:150px;border:0" data-impact-pratiques></iframe>
<iframe id="frame-xss" src="{api}/embed?q=zinzolin&amp;facets=hide" title="Pratiques piégées"
  style="width:100%;height:150px;border:0" data-impact-pratiques></iframe>
<iframe id="frame-preset" src="{api}/embed/p/reseau-rural" title="Préréglage"
  style="width:100%;height:150px;border:0" data-impact-pratiques></iframe>
<impact-pratiques id="widget-results" q="tiers-lieux" territory-type="rural" odd="8" size="5"
  accent="#A21942" heading="Tiers-lieux ruraux"></impact-pratiques>
<impact-pratiques id="widget-xss" q="zinzolin"></impact-pratiques>
<impact-pratiques id="widget-preset" preset="reseau-rural"></impact-pratiques>
<script>
window.addEventListener("message", function (e) {{
  if (e.origin !== "{api}" || !e.data || e.data.type !== "impact-pratiques:height") return;
  document.querySelectorAll("iframe[data-impact-pratiques]").forEach(function (f) {{
    if (f.contentWindow === e.source) f.style.height = e.data.height + "px";
  }});
}});
</script>
</body></html>
"""

SLOW_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="{api}/widget.js" defer></script></head><body>
<impact-pratiques id="slow" q="tiers-lieux"></impact-pratiques>
<impact-pratiques id="down" q="tiers-lieux" api="http://127.0.0.1:{dead_port}"></impact-pratiques>
</body></html>
"""

# A partner whose attributes the API refuses (an ODD that does not exist, a territory type misspelt).
WRONG_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="{api}/widget.js" defer></script></head><body>
<impact-pratiques id="wrong" odd="99" territory-type="banlieue"></impact-pratiques>
<impact-pratiques id="years" year-from="2024" year-to="2018"></impact-pratiques>
</body></html>
"""

# A partner under a strict Content-Security-Policy (no inline script or style) with the search box.
SEARCH_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Partenaire</title>
<link rel="icon" href="data:,"><script src="{api}/widget.js" defer></script></head><body>
<h1>Recherche chez un partenaire</h1>
<impact-pratiques id="widget-search" search-box size="3" target="self"></impact-pratiques>
</body></html>
"""
STRICT_CSP = "default-src 'none'; script-src {api}; connect-src {api}; img-src data:"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """The seeded API, plus a hostile monograph (submitted, then published by an editor) and a preset.

    These tests check what the embeds show, not load shedding (tests/api/test_load_shedding.py; the
    component asking again after a 503: `test_component_asks_again_when_the_api_is_busy`): a request may wait
    10 s for a worker thread instead of 2. On a busy 2-core CI machine, with Chromium loading six embeds at
    once, a partner page's preset request waited past 2 s, twice (sessions 18 and 20), and was shed."""
    require_browser()
    with live_api(tmp_path_factory.mktemp("browser") / "data", {"IMPACT_QUEUE_TIMEOUT": "10"}) as live:
        editor = {"X-API-Key": live.editor_key}
        created = httpx.post(f"{live.url}/api/v1/monographs", json=xss_body(), headers=editor)
        assert created.status_code == 201, created.text
        publish = httpx.post(f"{live.url}/api/v1/monographs/{created.json()['id']}/publish", headers=editor)
        assert publish.status_code == 200, publish.text
        preset = {"title": "Réseau rural", "filters": {"territory_type": ["rural"], "size": 3}, "facets": ["odd"]}
        assert httpx.put(f"{live.url}/api/v1/presets/reseau-rural", json=preset, headers=editor).status_code == 201
        yield live


@pytest.fixture(scope="module")
def partner(api: LiveApi) -> Iterator[str]:
    """A partner site on a second loopback origin, serving the pages above."""
    pages = {
        "/": PARTNER_PAGE.format(api=api.url).encode(),
        "/lent": SLOW_PAGE.format(api=api.url, dead_port=free_port()).encode(),
        "/recherche": SEARCH_PAGE.format(api=api.url).encode(),
        "/mal-configure": WRONG_PAGE.format(api=api.url).encode(),
    }
    policies = {"/recherche": STRICT_CSP.format(api=api.url)}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if self.path in policies:
                self.send_header("Content-Security-Policy", policies[self.path])
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.2", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.2:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(api: LiveApi) -> Iterator[Any]:
    with launched_browser() as launched:
        yield launched


def watched_page(browser: Any, url: str, width: int) -> tuple[Any, list[str]]:
    """A new tab on `url`, loaded, and the list where its console errors and page errors go."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.goto(url, wait_until="load")
    return page, errors


def test_partner_page_embeds_iframe_and_component(browser: Any, partner: str, api: LiveApi) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page, errors = watched_page(browser, partner + "/", width=1100)

    # The iframe lists results, and grows to fit them (postMessage → the host's listener).
    frame = page.frame_locator("#frame-results")
    frame.locator("li.result").first.wait_for()
    assert frame.locator("li.result").count() == 5
    assert frame.locator("p.logo").text_content() == "Réseau test"
    page.wait_for_function("document.getElementById('frame-results').getBoundingClientRect().height > 400")

    # The component renders into its Shadow DOM, cross-origin, with its own styles only.
    widget = page.locator("#widget-results")
    widget.locator("li.r").first.wait_for()
    assert 1 <= widget.locator("li.r").count() <= 5
    assert widget.locator("p.t").inner_text() == "Tiers-lieux ruraux"
    styles = page.evaluate(
        """() => {
        const li = document.querySelector('#widget-results').shadowRoot.querySelector('li.r');
        const mine = document.getElementById('partner-li');
        return {inside: getComputedStyle(li).color, insideBorder: getComputedStyle(li).borderLeftColor,
                outsideBorder: getComputedStyle(mine).borderLeftWidth, outside: getComputedStyle(mine).color};
    }"""
    )
    assert styles["inside"] != "rgb(255, 0, 0)" and styles["insideBorder"] == "rgb(162, 25, 66)"  # accent
    assert styles["outside"] == "rgb(255, 0, 0)" and styles["outsideBorder"] == "0px"

    # A preset embeds by slug in both forms.
    page.frame_locator("#frame-preset").locator("li.result").first.wait_for()
    assert page.frame_locator("#frame-preset").locator("h1").inner_text() == "Réseau rural"
    page.locator("#widget-preset li.r").first.wait_for()
    assert page.locator("#widget-preset li.r").count() == 3

    # The hostile monograph is shown, as text, in the iframe and in the component.
    xss_frame = page.frame_locator("#frame-xss")
    xss_frame.locator("li.result").first.wait_for()
    assert XSS_TITLE in xss_frame.locator("h2.result-title").inner_text()
    page.locator("#widget-xss li.r").first.wait_for()
    assert XSS_TITLE in page.locator("#widget-xss h3").inner_text()
    # The place its contributor named, before the official name, as text (`b` is counted among the injected).
    assert f"{XSS_PLACE} (Pontivy), Bretagne" in page.locator("#widget-xss p.m").inner_text()
    assert f"{XSS_PLACE} (Pontivy), Bretagne" in xss_frame.locator("li.result").first.inner_text()
    injected = "svg, img, iframe, object, b, script:not([src])"
    assert xss_frame.locator(injected).count() == 0
    assert page.evaluate(f"document.getElementById('widget-xss').shadowRoot.querySelectorAll('{injected}').length") == 0
    page.screenshot(path=str(ARTIFACTS / "embed-partner-page.png"), full_page=True)

    # A facet click inside the iframe filters the list there.
    before = frame.locator("p.count").inner_text()
    frame.locator("#facet-territory_type ~ ul a.facet-value").first.click()
    frame.locator("a.facet-value.selected").first.wait_for()
    assert "territory_type=" in page.frame(url=lambda u: "/embed?" in u and "tiers-lieux" in u).url
    assert frame.locator("p.count").inner_text() != before or frame.locator("li.result").count() >= 1
    frame.locator("li.result").first.wait_for()
    page.locator("#frame-results").screenshot(path=str(ARTIFACTS / "embed-iframe-after-facet.png"))

    # Nothing hostile ran anywhere, and nothing complained.
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    for child in page.frames:
        assert child.evaluate("window.__pwned") is None, child.url
    assert errors == []
    page.close()


def test_component_search_box_suggests_while_typing(browser: Any, partner: str, api: LiveApi) -> None:
    """The widget's search box (attribute search-box): suggestions from /api/v1/suggest as an ARIA combobox,
    French labels, arrow + Enter chooses, Enter alone searches the words typed; under a strict CSP."""
    from playwright.sync_api import expect

    page, errors = watched_page(browser, partner + "/recherche", width=1000)
    widget = page.locator("#widget-search")
    widget.locator("li.r").first.wait_for()
    box = widget.get_by_role("combobox", name="Rechercher une pratique")
    expect(box).to_have_attribute("aria-expanded", "false")

    box.click()
    box.press_sequentially("covoit", delay=40)
    listbox = widget.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    expect(options.first).to_have_text(re.compile(r"^Thème\s*:\s*covoiturage$"))
    assert options.filter(has_text=re.compile(r"^Pratique")).count() >= 2
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(widget.get_by_role("status").filter(has_text="suggestions")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "embed-widget-suggestions.png"))

    # A late answer for an earlier keystroke redraws the list (and clears the active option): let the
    # suggestions of the last keystroke arrive before choosing with the arrows (seen once under CI load).
    page.wait_for_load_state("networkidle")
    expect(options.first).to_have_text(re.compile(r"^Thème\s*:\s*covoiturage$"))
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id") or "")
    box.press("Enter")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("covoiturage")
    expect(widget.locator("li.r h3").first).to_contain_text(re.compile("covoiturage", re.IGNORECASE))

    # Enter without a suggestion chosen searches the words as typed.
    box.fill("")
    box.press_sequentially("zorglubesque", delay=20)
    box.press("Enter")
    expect(widget.get_by_text("Aucune pratique ne correspond à cette recherche.")).to_be_visible()

    # A practice opens its page (target="self": here; the UI's address answered by the test).
    page.route("**/fiche?id=*", lambda route: route.fulfill(status=200, content_type="text/html", body="<p>fiche</p>"))
    box.fill("")
    box.press_sequentially("covoit", delay=40)
    practice = listbox.get_by_role("option", name=re.compile(r"^Pratique")).first
    expect(practice).to_be_visible()
    with page.expect_navigation(url=re.compile(r"/fiche\?id=")):
        practice.click()
    assert errors == []
    page.close()

    # axe-core, with the list open (its own script needs the page's CSP lifted).
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(partner + "/recherche", wait_until="load")
    box = page.locator("#widget-search").get_by_role("combobox", name="Rechercher une pratique")
    box.press_sequentially("covoit", delay=40)
    expect(page.locator("#widget-search").get_by_role("option").first).to_be_visible()
    assert not serious_violations(page)
    context.close()


def test_component_says_what_the_search_did_with_the_words(browser: Any, partner: str, api: LiveApi) -> None:
    """A typo searched by its closest words, an ODD typed as words read as the filter: the widget says so, and
    one click searches the corrected words, or the words as typed."""
    from playwright.sync_api import expect

    page, errors = watched_page(browser, partner + "/recherche", width=1000)
    widget = page.locator("#widget-search")
    widget.locator("li.r").first.wait_for()
    box = widget.get_by_role("combobox", name="Rechercher une pratique")

    box.fill("covoiturrage")
    box.press("Enter")
    expect(widget.get_by_text("Résultats approchants de « covoiturrage ».")).to_be_visible()
    widget.get_by_role("button", name="Vouliez-vous dire « covoiturage » ?").click()
    expect(box).to_have_value("covoiturage")
    expect(widget.locator("li.r").first).to_be_visible()
    expect(widget.get_by_text("Résultats approchants")).to_have_count(0)

    box.fill("ODD 13")
    box.press("Enter")
    expect(widget.get_by_text("« ODD 13 » lu comme un filtre : ODD 13.")).to_be_visible()
    expect(widget.locator("p.s").first).to_have_text(re.compile(r"^\d+ pratiques?"))
    widget.get_by_role("button", name="Chercher ces mots dans le texte").click()
    expect(box).to_have_value('"ODD 13"')
    expect(widget.get_by_text("lu comme un filtre")).to_have_count(0)
    assert errors == []
    page.close()


def test_component_loading_and_error_states_in_french(browser: Any, partner: str, api: LiveApi) -> None:
    page = browser.new_page()
    page.set_default_timeout(15_000)
    held: list[Any] = []

    def hold(route: Any) -> None:  # the answer waits until released below
        held.append(route)

    page.route(f"{api.url}/api/v1/search?*", hold)
    page.goto(partner + "/lent")
    slow = page.locator("#slow")
    slow.get_by_text("Chargement des pratiques…").wait_for()
    assert slow.locator("[role=status]").count() == 1 and slow.locator("li.r").count() == 0
    down = page.locator("#down")
    down.get_by_text("Impossible de charger les pratiques pour le moment.").wait_for()
    assert down.locator("[role=alert] button").inner_text() == "Réessayer"
    assert len(held) == 1
    held[0].continue_()
    slow.locator("li.r").first.wait_for()
    page.close()


def test_component_names_the_attributes_the_api_refuses(browser: Any, partner: str) -> None:
    """A 422 is the partner's page to fix: said so, naming the attributes, with no « Réessayer » (asking again
    cannot help), where an outage offers it."""
    from playwright.sync_api import expect

    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(partner + "/mal-configure")
    alert = page.locator("#wrong [role=alert]")
    expect(alert).to_have_text(
        "Module mal configuré, attribut refusé : territory-type, odd. Le site qui l'intègre doit le corriger."
    )
    assert alert.locator("button").count() == 0
    # A rule between two attributes names the one to correct (it named none: « attribut refusé : . »).
    expect(page.locator("#years [role=alert]")).to_have_text(
        "Module mal configuré, attribut refusé : year-to. Le site qui l'intègre doit le corriger."
    )
    page.close()


def test_component_asks_again_when_the_api_is_busy(browser: Any, partner: str, api: LiveApi) -> None:
    """A shed request (503 + Retry-After: nothing was done) is asked again after the wait it names; a long
    wait (a rate limit's minute) is not waited out: the visitor gets the error and its button."""
    page = browser.new_page()
    page.set_default_timeout(15_000)
    asked: list[float] = []
    retry_after = ["1"]

    def busy_first(route: Any) -> None:
        asked.append(time.monotonic())
        if len(asked) == 1:
            cors = {"Access-Control-Allow-Origin": partner, "Access-Control-Expose-Headers": "Retry-After"}
            route.fulfill(
                status=503,
                headers={**cors, "Retry-After": retry_after[0], "Content-Type": "application/json"},
                body='{"detail": [{"code": "overloaded"}]}',
            )
        else:
            route.continue_()

    page.route(f"{api.url}/api/v1/search?*", busy_first)
    page.goto(partner + "/lent")
    page.locator("#slow li.r").first.wait_for()
    assert len(asked) == 2 and asked[1] - asked[0] >= 0.9
    page.close()

    page = browser.new_page()
    page.set_default_timeout(15_000)
    asked.clear()
    retry_after[0] = "60"
    page.route(f"{api.url}/api/v1/search?*", busy_first)
    page.goto(partner + "/lent")
    page.locator("#slow").get_by_text("Impossible de charger les pratiques pour le moment.").wait_for()
    assert len(asked) == 1
    page.close()


def test_builder_previews_and_builds_both_snippets(browser: Any, api: LiveApi) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{api.url}/embed/builder")
    page.fill("#q", "tiers-lieux")
    page.check("input[name=territory_type][value=rural]")
    page.select_option("#department", "26")  # a long list: a <select>, which the snippets once ignored
    page.fill("#logo", 'Réseau "X" <b>')
    page.select_option("#target", "self")
    code = page.locator("#code-iframe")
    # The builder's CSP forbids eval, so no wait_for_function here: Playwright's polling assertion instead.
    expect(code).to_have_value(re.compile("territory_type=rural.*target=self"))
    snippet = code.input_value()
    assert f'src="{api.url}/embed?q=tiers-lieux&amp;territory_type=rural&amp;department=26&amp;' in snippet
    assert "logo=R%C3%A9seau+%22X%22+%3Cb%3E" in snippet and "target=self" in snippet
    assert f'e.origin !== "{api.url}"' in snippet
    widget_code = page.locator("#code-widget").input_value()
    assert f'<script src="{api.url}/widget.js" defer></script>' in widget_code
    assert (
        '<impact-pratiques q="tiers-lieux" territory-type="rural" department="26" target="self"></impact-pratiques>'
        in widget_code
    )
    page.frame_locator("#preview-frame").locator("li.result").first.wait_for()
    page.locator("#preview-widget li.r").first.wait_for()
    # The search box is the component's alone: a bare attribute, never in the iframe's address.
    page.check("input[name=search-box]")
    expect(page.locator("#code-widget")).to_have_value(re.compile(r'target="self" search-box></impact-pratiques>'))
    assert "search-box" not in code.input_value() and "search_box" not in code.input_value()
    expect(page.locator("#preview-widget").get_by_role("combobox", name="Rechercher une pratique")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "embed-builder.png"), full_page=True)
    assert errors == []
    page.close()


def test_the_builder_gives_no_code_for_fields_a_site_would_be_refused(browser: Any, api: LiveApi) -> None:
    """Years the wrong way round or 500 results a page: the snippets' boxes name the fields to correct, instead of
    code that fails on the partner's site; corrected, the code comes back."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.set_default_timeout(15_000)
    page.goto(f"{api.url}/embed/builder")
    page.fill("#year_from", "2024")
    page.fill("#year_to", "2018")
    page.fill("#size", "500")
    for box in ("#code-iframe", "#code-widget"):
        expect(page.locator(box)).to_have_value(re.compile("^Corrigez d'abord : .*Pratiques par page.*Jusqu"))
    assert page.locator("#year_to").get_attribute("aria-invalid") == "true"
    page.fill("#year_to", "2025")
    page.fill("#size", "20")
    expect(page.locator("#code-iframe")).to_have_value(re.compile("year_from=2024&amp;year_to=2025"))
    assert page.locator("#year_to").get_attribute("aria-invalid") is None
    page.close()


def test_the_builder_starts_from_the_search_in_its_address(browser: Any, api: LiveApi) -> None:
    """« Intégrer sur votre site » from a search on the site: the form and both snippets start from that search."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.set_default_timeout(15_000)
    page.goto(f"{api.url}/embed/builder?q=tiers-lieux&territory_type=rural&department=26&odd=8&unknown=1&sort=recent")

    expect(page.locator("#code-iframe")).to_have_value(re.compile("department=26"))
    assert page.locator("#q").input_value() == "tiers-lieux"
    assert page.locator("input[name=territory_type][value=rural]").is_checked()
    assert page.locator("input[name=odd][value='8']").is_checked()
    assert page.locator("#department").evaluate("s => [...s.selectedOptions].map(o => o.value)") == ["26"]
    snippet = page.locator("#code-iframe").input_value()
    assert "q=tiers-lieux&amp;territory_type=rural&amp;odd=8&amp;department=26&amp;sort=recent" in snippet
    assert "unknown" not in snippet
    page.close()


def test_embed_map_draws_overseas_and_a_click_filters(browser: Any, api: LiveApi) -> None:
    """`/embed?map=1`: the map and its Outre-mer tiles are drawn under the page's strict CSP, and a click on
    a département filters the list (its count, its outline)."""
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.goto(f"{api.url}/embed?map=1&size=5")
    everything = int(page.locator("p.count").inner_text().split()[0])
    svg = page.locator("svg.department-map")
    assert svg.is_visible() and svg.bounding_box()["width"] > 400
    assert page.locator("svg.department-map a[data-department]:not([aria-hidden])").count() == 101
    for code, name in [("971", "Guadeloupe"), ("972", "Martinique"), ("973", "Guyane"), ("974", "La Réunion")]:
        tile = page.locator(f'svg.department-map a[data-department="{code}"]')
        assert tile.locator("rect").is_visible() and tile.locator("text").first.text_content() == name
    mayotte = page.locator('svg.department-map a[data-department="976"] rect')
    assert mayotte.is_visible()
    reunion = page.locator('svg.department-map a[data-department="974"]')
    reunion_count = int(re.findall(r"\d+", reunion.locator("title").text_content() or "")[0])
    assert 0 < reunion_count < everything
    page.screenshot(path=str(ARTIFACTS / "embed-map.png"), full_page=True)

    reunion.locator("rect").click()
    page.wait_for_url(re.compile(r"department=974"))
    assert "map=1" in page.url  # the map stays, with the rest of the search
    assert page.locator("p.count").inner_text().startswith(f"{reunion_count} pratique")
    assert page.locator('svg.department-map a[data-department="974"][aria-current="true"]').count() == 1
    assert page.locator("li.result").count() == min(reunion_count, 5)
    # The same départements as a list, for keyboards and screen readers.
    assert page.locator(".map-list li a").count() == 101
    page.screenshot(path=str(ARTIFACTS / "embed-map-filtre.png"), full_page=True)
    assert errors == []
    # axe-core, injected by a context that may bypass the page's CSP (the page itself allows no inline script).
    audit = browser.new_context(bypass_csp=True, viewport={"width": 1000, "height": 1400})
    checked = audit.new_page()
    checked.goto(page.url)
    checked.locator(".map-list summary").click()
    assert serious_violations(checked) == []
    audit.close()
    page.close()
