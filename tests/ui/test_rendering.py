"""Safe HTML rendering and URL state, without a server."""

from __future__ import annotations

import html
import re

import pytest

from schemas.facets import FACET_NAMES
from tests.ui.conftest import INJECTIONS
from ui.components import badges, highlighted, link, odd_badge, paragraphs, safe_text, safe_url, territory_line
from ui.state import YEAR_MAX, SearchState
from ui.text import french_date, md_literal

REFS = {
    "territory_types": [{"value": "rural", "label": "Rural"}],
    "actor_categories": [{"value": "association", "label": "Association"}],
    "odd": [
        {"value": 7, "label": "Énergie propre et d'un coût abordable", "colour": "#FCC30B", "text_colour": "#1A1A1A"},
        {"value": 17, "label": "Partenariats", "colour": "red;background:url(x)", "text_colour": "#FFFFFF"},
    ],
    "regions": [],
}


def test_only_the_apis_marks_become_tags() -> None:
    api_text = "Un <mark>tiers</mark>-lieu &lt;script&gt;alert(1)&lt;/script&gt; d&#x27;Aure"

    assert highlighted(api_text) == (
        "Un <mark>tiers</mark>-lieu &#60;script&#62;alert&#40;1&#41;&#60;/script&#62; d&#39;Aure"
    )


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<mark onclick="alert(1)">x</mark>',
        "<img src=x onerror=alert(1)>",
        "</mark><b>gras</b><mark>",
        "<MARK>x</MARK>",
    ],
)
def test_nothing_else_is_ever_markup(text: str) -> None:
    rendered = highlighted(text)

    assert "<" not in rendered.replace("<mark>", "").replace("</mark>", "")
    assert rendered.count("<mark>") == rendered.count("</mark>")


def test_an_unclosed_mark_is_closed() -> None:
    assert highlighted("<mark>tiers") == "<mark>tiers</mark>"


def test_markdown_and_formulas_stay_text() -> None:
    rendered = safe_text("[clic](javascript:alert(1)) coûte $5 **vraiment** `code` # titre")

    for syntax in ("[", "](", "$", "*", "`", "#"):
        assert syntax not in rendered.replace("&#", "")
    assert paragraphs("Un.\n\nDeux\ntrois") == "<p>Un.</p><p>Deux<br>trois</p>"


MARKDOWN_SYNTAX = (
    *INJECTIONS,
    "https://evil.example www.evil.example jean@evil.example <https://evil.example>",
    ":streamlit: :tada: :material/home: :red[rouge] $x^2$ ~~barré~~ `code` a -> b -- c",
    "# titre\n- liste\n1. un\n> cite | a | b |\n\n    code &amp; &lt;b&gt; \\*",
)


def shown(markdown: str) -> str:
    """What Markdown shows of text escaped by `md_literal`: escapes resolved, word joiners invisible."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


@pytest.mark.parametrize("text", MARKDOWN_SYNTAX)
def test_text_in_markdown_stays_the_text_typed(text: str) -> None:
    escaped = md_literal(text)

    assert shown(escaped) == " ".join(text.split())
    # Every ASCII punctuation character is escaped, so none can start Markdown, HTML or a directive…
    assert not re.search(r"[!-/:-@\[-`{-~]", re.sub(r"\\.", "", escaped))
    # …and what Streamlit rewrites after parsing (bare links and e-mails, :shortcodes:, arrows) is broken up.
    visible = escaped.replace("\\", "")
    assert not re.search(r"https?://|www\.|@\w|:\w|->|--", visible, re.IGNORECASE)


def test_words_are_kept_and_only_punctuation_escaped() -> None:
    assert md_literal("Saint-Affrique, Auvergne-Rhône-Alpes") == "Saint\\-Affrique\\, Auvergne\\-Rhône\\-Alpes"
    assert md_literal("Recyclerie  des\nhabitants ") == "Recyclerie des habitants"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://exemple.fr/a?b=1", "https://exemple.fr/a?b=1"),
        ("http://exemple.fr", "http://exemple.fr"),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>x</b>", None),
        ("//exemple.fr", None),
        ("ftp://exemple.fr", None),
        (None, None),
    ],
)
def test_only_http_links_are_links(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_a_link_cannot_break_out_of_its_attribute() -> None:
    assert link('https://exemple.fr/"onmouseover="x') == (
        '<a href="https://exemple.fr/&quot;onmouseover=&quot;x" target="_blank" rel="noopener noreferrer nofollow">'
        "https://exemple.fr/&#34;onmouseover=&#34;x</a>"
    )


def test_odd_badges_use_the_official_colours_and_readable_text() -> None:
    assert 'style="background:#FCC30B;color:#1A1A1A"' in odd_badge(7, REFS)
    # A colour that is not a plain hex code never reaches the style attribute.
    assert "url(" not in odd_badge(17, REFS)
    html = badges({"territory_types": ["rural"], "actor_categories": ["association"], "odd": [7]}, REFS)
    assert ">Rural<" in html and ">Association<" in html and ">ODD 7<" in html


def test_a_search_survives_the_round_trip_through_a_link() -> None:
    filters = {name: () for name in FACET_NAMES} | {"odd": ("7", "17"), "region": ("Provence-Alpes-Côte d'Azur",)}
    search = SearchState(
        q="tiers-lieux « ruraux »", filters=filters, year_from=2015, sort="recent", page=3, words_only=True
    )
    params = search.to_params()
    assert params["mode"] == "lexical"  # the words only: the API's `mode`

    def get_all(name: str) -> list[str]:
        value = params.get(name, [])
        return [value] if isinstance(value, str) else list(value)

    assert SearchState.from_params(get_all) == search
    assert ("page", "3") in search.api_params() and ("size", "10") in search.api_params()
    assert all(name != "page" for name, _ in search.api_params(paged=False))


def test_a_year_range_covering_everything_is_no_filter() -> None:
    state = SearchState.from_params(lambda name: {"year_from": ["1990"], "year_to": [str(YEAR_MAX + 5)]}.get(name, []))

    assert (state.year_from, state.year_to) == (None, None)


@pytest.mark.parametrize(
    ("iso", "french"),
    [("2026-11-30T10:00:00+00:00", "30 novembre 2026"), ("2026-08-01", "1er août 2026"), ("", None), (None, None)],
)
def test_dates_in_french(iso: str | None, french: str | None) -> None:
    assert french_date(iso) == french


@pytest.mark.parametrize(
    ("territory", "shown"),
    [
        (
            {"name": "Die", "department": "26", "region": "Auvergne-Rhône-Alpes"},
            "Die · Drôme (26) · Auvergne-Rhône-Alpes",
        ),
        ({"name": "Marie-Galante", "department": "971", "region": "Guadeloupe"}, "Marie-Galante · Guadeloupe (971)"),
        ({"name": "Bretagne", "region": "Bretagne"}, "Bretagne · Bretagne"),
        ({"name": "<b>Nantes</b>"}, "<b>Nantes</b>"),
        (
            {"name": "Saint-Paul", "place": "<i>Mafate</i>", "department": "974", "region": "La Réunion"},
            "<i>Mafate</i> (Saint-Paul) · La Réunion (974)",
        ),
    ],
)
def test_the_territory_line_names_the_departement(territory: dict[str, str], shown: str) -> None:
    line = territory_line({"territory": territory, "year": 2021})
    assert line.startswith('<div class="impact-meta">') and "<b>" not in line  # text, never markup
    assert html.unescape(line) == f'<div class="impact-meta">{shown} — depuis 2021</div>'
