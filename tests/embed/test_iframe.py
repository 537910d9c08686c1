"""`/embed`: the iframe page, for every search parameter, theme value and bad parameter."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.deps import get_engine
from indexer.engine import EngineUnavailable
from schemas.facets import FACETS
from tests.embed.conftest import XSS_PLACE, XSS_SUMMARY, XSS_TITLE, assert_inert, count_shown, payload, result_links

SEARCHES: list[list[tuple[str, Any]]] = [
    [],
    [("q", "covoiturage")],
    [("q", "tiers lieux")],
    [("territory_type", "littoral"), ("territory_type", "outre-mer")],
    [("actor_category", "fondation")],
    [("odd", 17)],
    [("odd", 11), ("odd", 6)],
    [("region", "Bretagne")],
    [("year_from", 2019)],
    [("year_to", 2018)],
    [("year_from", 2016), ("year_to", 2020)],
    [("sort", "recent")],
    [("sort", "oldest")],
    [("sort", "relevance"), ("q", "mobilité")],
    [("size", 2)],
    [("size", 2), ("page", 2)],
    [("q", "mobilite"), ("territory_type", "rural"), ("odd", 13)],
]


@pytest.mark.parametrize("params", SEARCHES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p) or "all")
def test_embed_lists_what_the_api_finds(
    client: TestClient, published: list[str], params: list[tuple[str, Any]]
) -> None:
    """Same search, same practices in the same order, as `/api/v1/search` (page size 10 unless given)."""
    api_params = params if any(k == "size" for k, _ in params) else [*params, ("size", 10)]
    api = client.get("/api/v1/search", params=api_params).json()
    page = client.get("/embed", params=params)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert count_shown(page.text) == api["total"]
    assert result_links(page.text) == [html.escape(h["url"]) for h in api["hits"]]


def test_hit_shows_highlight_place_year_and_odd(client: TestClient, published: list[str]) -> None:
    page = client.get("/embed", params={"q": "covoiturage"}).text
    assert "<mark>Covoiturage</mark>" in page
    assert "Vallée de la Maurienne, Auvergne-Rhône-Alpes · depuis 2021" in page
    assert 'class="chip odd-11"' in page and "Villes et communautés durables" in page
    assert 'target="_blank" rel="noopener noreferrer"' in page and "(nouvel onglet)" in page
    assert '<html lang="fr">' in page


def test_practice_links_open_the_public_page(client: TestClient, published: list[str]) -> None:
    links = result_links(client.get("/embed").text)
    assert links and all(link.startswith("https://pratiques.example/fiche?id=") for link in links)


def test_target_self_opens_inside_the_frame(client: TestClient, published: list[str]) -> None:
    page = client.get("/embed", params={"target": "self"}).text
    assert result_links(page) and 'target="_blank" rel="noopener noreferrer"' not in page


def _inline_style(page: str) -> str:
    match = re.search(r"<style>(.*?)</style>", page, re.S)
    assert match
    return match.group(1)


def test_accent_colour_is_applied_and_allowed_by_hash(client: TestClient, published: list[str]) -> None:
    response = client.get("/embed", params={"accent": "#a21942"})
    style = _inline_style(response.text)
    assert "--accent:#A21942;--on-accent:#FFFFFF;--link:#A21942" in style
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = response.headers["content-security-policy"]
    assert f"'sha256-{digest}'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_accent_without_hash_sign_and_light_accent_keeps_text_readable(
    client: TestClient, published: list[str]
) -> None:
    style = _inline_style(client.get("/embed", params={"accent": "FCC30B"}).text)
    assert "--accent:#FCC30B;--on-accent:#1A1A1A;--link:#1A1A1A" in style


def test_default_theme(client: TestClient, published: list[str]) -> None:
    page = client.get("/embed").text
    assert "--accent:#19486A" in _inline_style(page)
    assert 'class="density-comfortable"' in page and '<nav class="facets"' in page
    assert "<h1>Pratiques d&#39;innovation territoriale</h1>" in page and 'class="logo"' not in page


def test_density_facets_logo_and_title(client: TestClient, published: list[str]) -> None:
    page = client.get(
        "/embed",
        params={"density": "compact", "facets": "hide", "logo": "Réseau <Rural>", "title": "Nos « pratiques »"},
    ).text
    assert 'class="density-compact"' in page and '<nav class="facets"' not in page
    assert '<p class="logo">Réseau &lt;Rural&gt;</p>' in page
    assert "<h1>Nos « pratiques »</h1>" in page


def test_facet_click_filters_and_second_click_clears(client: TestClient, published: list[str]) -> None:
    first = client.get("/embed", params={"accent": "#A21942"})
    total = count_shown(first.text)
    href = html.unescape(re.search(r'<a class="facet-value" href="(\?[^"]*region=Bretagne[^"]*)"', first.text)[1])
    assert "accent=%23A21942" in href  # the theme survives every click
    filtered = client.get("/embed" + href)
    assert count_shown(filtered.text) == 2 < total
    assert 'class="facet-value selected"' in filtered.text and 'aria-current="true"' in filtered.text
    assert "(filtre actif : cliquer pour le retirer)" in filtered.text
    selected = re.search(r'<a class="facet-value selected" href="(\?[^"]*)"', filtered.text)
    assert selected
    cleared = client.get("/embed" + html.unescape(selected[1]))
    assert count_shown(cleared.text) == total


def test_facet_counts_are_disjunctive(client: TestClient, published: list[str]) -> None:
    page = client.get("/embed", params={"region": "Bretagne"}).text
    # Another region is still offered, counted as if Bretagne were not selected.
    assert re.search(r'<span class="label">La Réunion</span> <span class="n">1</span>', page)


def test_long_facets_fold_under_more(client: TestClient, published: list[str]) -> None:
    page = client.get("/embed").text
    odd_section = page[page.index('id="facet-odd"') : page.index('id="facet-region"')]
    assert "<summary>Afficher plus (" in odd_section


def test_paging_links(client: TestClient, published: list[str]) -> None:
    first = client.get("/embed", params={"size": 3})
    assert "Page 1 sur 3" in first.text and 'rel="prev"' not in first.text
    next_href = html.unescape(re.search(r'<a href="(\?[^"]*)" rel="next">', first.text)[1])
    assert "page=2" in next_href and "size=3" in next_href
    second = client.get("/embed" + next_href)
    assert "Page 2 sur 3" in second.text and 'rel="prev"' in second.text
    assert not set(result_links(first.text)) & set(result_links(second.text))


def test_empty_result_says_so_in_french(client: TestClient, published: list[str]) -> None:
    page = client.get("/embed", params={"q": "covoiturage", "region": "Corse"}).text
    assert count_shown(page) == 0 and "Aucune pratique ne correspond à cette recherche" in page
    assert 'role="status">0 pratique' in page and 'role="status">0 pratiques' not in page  # French: singular


def test_a_page_past_the_last_one_leads_back_instead_of_blaming_filters(
    client: TestClient, published: list[str]
) -> None:
    page = client.get("/embed", params={"size": 3, "page": 999}).text
    assert count_shown(page) == 7 and not result_links(page)
    assert "retirez un filtre" not in page and "Aucune pratique" not in page
    first = re.search(r'au-delà de la dernière : <a href="([^"]*)">revenir à la première page</a>', page)
    assert first is not None and "page=" not in html.unescape(first[1]) and "size=3" in html.unescape(first[1])
    assert len(result_links(client.get("/embed" + html.unescape(first[1])).text)) == 3
    previous = html.unescape(re.search(r'<a href="(\?[^"]*)" rel="prev">', page)[1])
    assert "page=3" in previous  # the last page, not page 998
    # Nothing found with no filter: no advice to remove one; with one selected, the advice stays.
    nothing = client.get("/embed", params={"q": "xylophoniste"}).text
    assert count_shown(nothing) == 0 and "retirez un filtre" not in nothing


def test_typo_corrected_and_a_way_out_of_empty_filters(client: TestClient, published: list[str]) -> None:
    corrected = client.get("/embed", params={"q": "covoiturrage", "density": "compact", "page": 1}).text
    assert "Résultats approchants de « covoiturrage ». Vouliez-vous dire" in corrected
    instead = re.search(r'<a href="([^"]*)">« covoiturage »</a> \?', corrected)
    assert instead is not None
    assert html.unescape(instead.group(1)) == "?q=covoiturage&density=compact"  # same display, first page
    assert "Vouliez-vous dire" not in client.get(f"/embed{html.unescape(instead.group(1))}").text
    empty = client.get("/embed", params=[("q", "covoiturage"), ("region", "Corse"), ("density", "compact")]).text
    link = re.search(r'<a href="([^"]*)">voir les 1 pratique sans filtre</a>', empty)
    assert link is not None
    target = html.unescape(link.group(1))
    assert "q=covoiturage" in target and "region" not in target and "density=compact" in target
    assert count_shown(client.get(f"/embed{target}").text) == 1


def test_feeds_are_linked_for_the_same_search(client: TestClient, published: list[str]) -> None:
    page = client.get("/embed", params={"q": "eau", "odd": 6, "accent": "#A21942", "size": 5}).text
    assert 'href="/feeds/search.atom?q=eau&amp;odd=6"' in page
    assert 'href="/feeds/search.rss?q=eau&amp;odd=6"' in page


@pytest.mark.parametrize(
    ("params", "field", "french"),
    [
        ({"odd": 18}, "odd", "doit être au plus 17"),
        ({"odd": "abc"}, "odd", "nombre entier"),
        ({"size": 1000}, "size", "au plus 100"),
        ({"page": 0}, "page", "au moins 1"),
        ({"territory_type": "banlieue"}, "territory_type", "valeurs permises"),
        ({"actor_category": "mairie"}, "actor_category", "valeurs permises"),
        ({"region": "Bourgogne"}, "region", "région inconnue"),
        ({"year_from": 2022, "year_to": 2010}, "year_to", "ne doit pas être avant year_from"),
        ({"year_from": "deux-mille"}, "year_from", "nombre entier"),
        ({"sort": "popularity"}, "sort", "valeurs permises"),
        ({"q": "x" * 501}, "q", "trop long"),
        ({"page": 500, "size": 100}, "page × size", "10 000"),
        ({"accent": "red"}, "accent", "#RRGGBB"),
        ({"accent": "#12345"}, "accent", "#RRGGBB"),
        ({"accent": "#12345G"}, "accent", "#RRGGBB"),
        ({"density": "tight"}, "density", "valeurs permises"),
        ({"facets": "maybe"}, "facets", "valeurs permises"),
        ({"target": "top"}, "target", "valeurs permises : 'blank' ou 'self'"),
        ({"map": "maybe"}, "map", "doit valoir 1 (oui) ou 0 (non)"),
        ([("odd", n) for n in range(1, 19)], "odd", "au plus 17 valeurs (reçu 18) ; donnez chaque valeur une fois"),
        ({"logo": "x" * 81}, "logo", "trop long"),
        ({"territoire": "rural"}, "territoire", "paramètre inconnu"),
        ([("size", 5), ("size", 6)], "size", "une seule valeur"),
    ],
)
def test_bad_parameters_get_a_french_page_naming_them(client: TestClient, params: Any, field: str, french: str) -> None:
    response = client.get("/embed", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    text = html.unescape(response.text)
    assert "Paramètres d'intégration invalides" in text and f"« {field} »" in text and french in text
    assert not re.search(r"\b(Input should|or|at most|got)\b", text), text  # nothing left in English
    assert "frame-ancestors *" in response.headers["content-security-policy"]  # readable inside the frame


def test_bad_parameter_value_is_escaped_on_the_error_page(client: TestClient) -> None:
    response = client.get("/embed", params={"sort": '"><script>window.__pwned=1</script>'})
    assert response.status_code == 400
    assert_inert(response.text)


def test_campaign_and_click_parameters_are_left_aside(client: TestClient, published: list[str]) -> None:
    """A newsletter's or an analytics tool's parameters on an embed or feed link: not « paramètre inconnu »."""
    tracked = {"utm_source": "lettre", "utm_campaign": "dec", "mtm_campaign": "x", "pk_kwd": "y", "fbclid": "z"}
    plain = client.get("/embed", params={"q": "covoiturage"})
    embed = client.get("/embed", params={"q": "covoiturage", **tracked})
    assert embed.status_code == 200 and count_shown(embed.text) == count_shown(plain.text) > 0
    assert client.get("/feeds/search.atom", params={"q": "covoiturage", **tracked}).status_code == 200
    assert client.get("/embed", params={"q": "covoiturage", "utm": "x"}).status_code == 400  # not a tracking name


def test_empty_values_are_ignored(client: TestClient, published: list[str]) -> None:
    assert client.get("/embed", params={"q": "", "year_from": "", "odd": ""}).status_code == 200


def test_engine_down_gives_a_french_page(client: TestClient) -> None:
    class Down:
        backend = "embedded"

        def search(self, query: Any) -> Any:
            raise EngineUnavailable("node unreachable")

    client.app.dependency_overrides[get_engine] = Down  # type: ignore[attr-defined]
    try:
        response = client.get("/embed")
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert "Recherche momentanément indisponible" in response.text
    # The partner's visitors read it: no advice on composing the address, which is right.
    assert "Intégrer sur votre site" not in response.text


def test_only_a_wrong_address_points_to_the_builder(client: TestClient) -> None:
    wrong = client.get("/embed", params={"size": 1000})
    assert wrong.status_code == 400 and "Intégrer sur votre site" in wrong.text
    gone = client.get("/embed/p/nexiste-pas")
    assert gone.status_code == 404 and "Intégrer sur votre site" not in gone.text


def test_hostile_monograph_renders_as_inert_text(client: TestClient, xss_id: str) -> None:
    for params in ({"q": "zinzolin"}, {"q": "zinzolin", "facets": "hide", "density": "compact"}, {}):
        page = client.get("/embed", params=params).text
        assert_inert(page)
    page = client.get("/embed", params={"q": "zinzolin"}).text
    assert count_shown(page) == 1
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert XSS_SUMMARY.split("<img")[0].strip() in text and "onerror" in text  # shown, as text
    assert f"{XSS_PLACE} (Pontivy), Bretagne" in text
    assert "&lt;script&gt;" in page and "&lt;svg onload" in page
    assert XSS_TITLE.startswith("<script>")


def test_corpus_xss_monograph_is_escaped(client: TestClient, published: list[str]) -> None:
    page = client.get("/embed", params={"territory_type": "periurbain"}).text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert_inert(page)


def test_builder_page(client: TestClient, published: list[str], editor: dict[str, str]) -> None:
    client.put("/api/v1/presets/reseau-rural", json={"title": "Rural"}, headers=editor)
    response = client.get("/embed/builder")
    assert response.status_code == 200
    page = response.text
    assert "Intégrer les pratiques IMPACT sur votre site" in page and '<html lang="fr">' in page
    for value in ("outre-mer", "fondation", "Provence-Alpes-Côte d&#39;Azur", 'value="17"', "reseau-rural"):
        assert value in page
    assert 'id="code-iframe"' in page and 'id="code-widget"' in page and 'id="preview-frame"' in page
    # A page in another encoding sends accented attribute values garbled: the partner is told to use UTF-8.
    assert 'Votre page doit être en UTF-8 (<code>&lt;meta charset="utf-8"&gt;</code>)' in " ".join(page.split())
    # Every EPCI may be fixed, offered by name (their SIREN order means nothing to a reader).
    epci = re.findall(r'<option value="(\d{9})">([^<]*)</option>', page)
    assert len(epci) == 1255 and [label for _, label in epci] == sorted(label for _, label in epci)
    assert ("242600534", "CC du Diois (26)") in epci
    assert '<script src="/widget.js" defer>' in page and re.search(r'<script src="/static/builder\.js\?v=\w+"', page)
    policy = response.headers["content-security-policy"]
    assert "frame-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page and " style=" not in page  # nothing inline: the strict CSP would refuse it
    # Every facet the form offers goes into the snippets (the département and EPCI lists were left out), and
    # the web component reads every one.
    assert f'data-facets="{",".join(f.name for f in FACETS)}"' in page
    widget = client.get("/widget.js").text
    lists = re.search(r"var LISTS = (\{[^}]*\})", widget)
    assert lists and set(re.findall(r'"?([\w-]+)"?: "(\w+)"', lists.group(1))) == {
        (f.name.replace("_", "-"), f.name) for f in FACETS
    }


def test_an_unknown_department_is_named_in_french(client: TestClient) -> None:
    page = client.get("/embed", params={"department": "Drôme"})
    assert page.status_code == 400
    assert "« department » : département inconnu ; utilisez son code INSEE" in html.unescape(page.text)


def test_an_unknown_epci_is_named_in_french(client: TestClient) -> None:
    page = client.get("/embed", params={"epci": "CC du Diois"})
    assert page.status_code == 400
    assert "« epci » : intercommunalité inconnue ; utilisez son numéro SIREN" in html.unescape(page.text)


def test_an_epci_filters_the_embed(client: TestClient, editor: dict[str, str]) -> None:
    body = payload(territory={"name": "Die", "code": "26113"}, status="published", title="Covoiturage dans le Diois")
    assert client.post("/api/v1/monographs", json=body, headers=editor).status_code == 201
    page = html.unescape(client.get("/embed", params={"epci": "242600534"}).text)
    assert "Covoiturage dans le Diois" in page
    assert "Covoiturage dans le Diois" not in html.unescape(client.get("/embed", params={"epci": "200042174"}).text)


def test_an_odd_typed_in_the_words_is_a_filter_the_visitor_can_remove(client: TestClient, published: list[str]) -> None:
    page = client.get("/embed", params={"q": "ODD 6", "density": "compact"}).text
    assert count_shown(page) == count_shown(client.get("/embed", params={"odd": 6}).text) > 0
    assert "« ODD 6 » lu comme un filtre : ODD 6 : Eau propre et assainissement." in page
    literal = re.search(r'<a href="([^"]*)">Chercher ces mots dans le texte</a>', page)
    assert literal is not None
    assert html.unescape(literal.group(1)) == "?q=%22ODD+6%22&density=compact"
    assert "lu comme un filtre" not in client.get(f"/embed{html.unescape(literal.group(1))}").text
    # The ODD 6 filter's link removes it: the words no longer name it.
    remove = re.search(
        r'<a class="facet-value selected" href="([^"]*)" aria-current="true"><span class="label">ODD 6 ', page
    )
    assert remove is not None, "the ODD 6 filter is shown selected"
    unfiltered = client.get(f"/embed{html.unescape(remove.group(1))}").text
    assert "lu comme un filtre" not in unfiltered
    assert count_shown(unfiltered) > count_shown(page)
