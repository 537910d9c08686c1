"""Fiche pratique, Tableau de bord and Exporter, driven with AppTest against the live API."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from tests.ui.conftest import OpenPage, checked, total_shown
from ui import client


def practice_id(api_url: str, query: str) -> str:
    hits = httpx.get(f"{api_url}/api/v1/search", params={"q": query, "size": 1}).json()["hits"]
    return str(hits[0]["id"])


def test_a_practice_page_shows_the_whole_monograph(open_page: OpenPage, api_url: str) -> None:
    monograph_id = practice_id(api_url, "tiers-lieu nourricier Diois")
    monograph = httpx.get(f"{api_url}/api/v1/monographs/{monograph_id}").json()

    app = open_page("views/fiche.py", id=monograph_id)

    html = " ".join(m.value for m in app.markdown)
    assert monograph["title"].replace("'", "&#39;") in html
    headings = [h.value for h in app.header]
    assert headings[:5] == ["Contexte", "Démarche", "Résultats et impacts", "Facteurs clés de succès", "Perspectives"]
    assert "Pratiques similaires" in headings
    for actor in monograph["actors"]:
        assert actor["name"].replace("'", "&#39;") in html
    assert all(f">ODD {n} · " in html for n in monograph["odd"])
    for source in monograph["sources"]:
        assert f'href="{source}"' in html
    assert 'href="mailto:' in html
    similar = [link for link in app.get("page_link") if link.proto.query_string.startswith("id=")]
    assert similar and all(monograph_id not in link.proto.query_string for link in similar)
    # Keywords and programmes run a search; sources are named by their site; dates in French; a link to share.
    searches = {link.proto.query_string for link in app.get("page_link") if link.proto.query_string.startswith("q=")}
    assert searches == {urlencode({"q": word}) for word in monograph["tags"] + monograph["programmes"]}
    for source in monograph["sources"]:
        assert f">{urlsplit(source).netloc}</a>" in html
    # A seeded practice (version 1, imported today) was never updated: its publication date alone.
    assert monograph["version"] == 1
    dated = re.compile(r"Publiée le \d{1,2}(er)? [a-zéû]+ \d{4}")
    assert any(dated.fullmatch(c.value) for c in app.caption), [c.value for c in app.caption]
    assert f'<p class="impact-share"><a href="{monograph["url"]}"' in html


def test_an_unknown_practice_is_explained(open_page: OpenPage) -> None:
    app = open_page("views/fiche.py", id="cette-pratique-n-existe-pas")

    assert any("introuvable" in w.value for w in app.warning)
    assert not app.error
    # One way back, not « Retour aux résultats » and « Retour à la recherche » one under the other.
    assert [link.proto.label for link in app.get("page_link")] == ["Retour aux résultats"]


def test_the_practice_page_without_id_points_to_the_search(open_page: OpenPage) -> None:
    app = open_page("views/fiche.py")

    assert any("Choisissez une pratique" in i.value for i in app.info)


def test_the_dashboard_charts_the_current_search(open_page: OpenPage) -> None:
    app = open_page("views/dashboard.py", territory_type="montagne")

    charts = app.get("vega_lite_chart")
    titles = [json.loads(chart.proto.spec)["title"] for chart in charts]
    assert titles == [
        "Pratiques par ODD",
        "Pratiques par type de territoire",
        "Pratiques par région",
        "Pratiques par année de lancement",
    ]
    assert total_shown(app) > 0
    assert "type de territoire : Montagne" in " ".join(m.value for m in app.markdown)
    assert app.checkbox(key="facet__territory_type__montagne").value is True

    checked(app.checkbox(key="facet__territory_type__montagne").uncheck().run())
    assert app.query_params == {}


def test_the_export_page_offers_the_current_result_set(open_page: OpenPage, api_url: str) -> None:
    app = open_page("views/export.py", q="mobilité", region="Occitanie")

    total = total_shown(app)
    assert total > 0
    assert [b.label for b in app.get("download_button")] == [
        "Télécharger en CSV pour Excel",
        "Télécharger en CSV",
        "Télécharger en JSON Lines",
    ]
    # The buttons' files come from the client with the page's own parameters.
    params = [("q", "mobilité"), ("region", "Occitanie")]
    rows = list(csv.DictReader(io.StringIO(client.export(params, "csv").decode("utf-8"))))
    lines = client.export(params, "jsonl").decode("utf-8").splitlines()
    assert len(rows) == len(lines) == total
    assert all(json.loads(line)["territory"]["region"] == "Occitanie" for line in lines)


@pytest.mark.parametrize("path", ["views/dashboard.py", "views/export.py"])
def test_an_empty_result_set_says_so(open_page: OpenPage, path: str) -> None:
    app = open_page(path, q="tiers-lieux", region="Corse", odd="14")

    assert total_shown(app) == 0
    assert app.info


def test_the_practice_page_links_back_to_the_search_left(open_page: OpenPage) -> None:
    """Its links back hold the search the visitor came from (the search page then writes no address of its own,
    which broke the browser's Back), even when the practice cannot be shown."""
    app = open_page(q="tiers-lieux", territory_type="rural")
    app.switch_page("views/fiche.py")
    app.query_params = {"id": "cette-pratique-n-existe-pas"}
    checked(app.run())
    links = {link.proto.label: link.proto.query_string for link in app.get("page_link")}
    assert links == {"Retour aux résultats": "q=tiers-lieux&territory_type=rural"}  # one way back


def test_a_refused_search_links_back_to_the_search_left(open_page: OpenPage) -> None:
    """A page whose search the API refuses (a territory code that is no commune, in a hand-edited link) says so,
    with the way back."""
    app = open_page(q="tiers-lieux", like_territory="99999")
    assert any("n'a pas pu aboutir" in e.value for e in app.error)
    links = {link.proto.label: link.proto.query_string for link in app.get("page_link")}
    assert links["Retour à la recherche"].startswith("q=tiers-lieux")
