"""The small pieces alone: highlight sanitising, contrast, ETag matching, CSP merging."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.embed.html import marked
from api.embed.page_view import Links, contrast_ratio, describe_search
from api.http.answers import Answers
from api.http.conditional_get import etag_matches, etag_of
from api.http.metrics import Metrics, RequestCounts
from api.http.security_headers import with_directive
from schemas.search import SearchParams


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("Un <mark>tiers</mark>-lieu", "Un <mark>tiers</mark>-lieu"),
        ("&lt;script&gt;x <mark>eau</mark>", "&lt;script&gt;x <mark>eau</mark>"),
        ("<script>alert(1)</script><mark>eau</mark>", "&lt;script&gt;alert(1)&lt;/script&gt;<mark>eau</mark>"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("<mark>ouvert", "ouvert"),
        ("<mark onclick=x>eau</mark>", "&lt;mark onclick=x&gt;eau"),
        ("l&#x27;eau &amp; l&#39;air", "l&#39;eau &amp; l&#39;air"),
    ],
)
def test_highlights_keep_only_mark(fragment: str, expected: str) -> None:
    assert str(marked(fragment)) == expected


def test_contrast_ratio() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21)
    assert contrast_ratio("#FCC30B", "#FFFFFF") < 4.5 < contrast_ratio("#19486A", "#FFFFFF")


@pytest.mark.parametrize(
    ("header", "etag", "match"),
    [
        ('"a"', '"a"', True),
        ('W/"a"', '"a"', True),
        ('"b", "a"', '"a"', True),
        ("*", '"a"', True),
        ('"b"', '"a"', False),
    ],
)
def test_etag_matching(header: str, etag: str, match: bool) -> None:
    assert etag_matches(header, etag) is match


def test_csp_directive_is_added_once() -> None:
    assert with_directive(None, "frame-ancestors *") == "frame-ancestors *"
    assert with_directive("default-src 'none'", "frame-ancestors *") == "default-src 'none'; frame-ancestors *"
    kept = "default-src 'none'; frame-ancestors 'self'"
    assert with_directive(kept, "frame-ancestors *") == kept


def test_links_toggle_and_reset_the_page() -> None:
    links = Links({"odd": ["8"], "accent": ["#A21942"], "page": ["3"]})
    assert links.toggle("odd", "17") == "?odd=8&odd=17&accent=%23A21942"
    assert links.toggle("odd", "8") == "?accent=%23A21942"
    assert links.page(1) == "?odd=8&accent=%23A21942"


def test_describe_search_in_french() -> None:
    params = SearchParams(q="tiers-lieux", territory_type=["rural"], odd=[8, 17], year_from=2015)
    assert describe_search(params) == (
        "« tiers-lieux », Rural, ODD 8 : Travail décent et croissance économique ou "
        "ODD 17 : Partenariats pour la réalisation des objectifs, depuis 2015"
    )
    assert describe_search(SearchParams()) == "toutes les pratiques"


@pytest.mark.parametrize(
    ("route_etags", "sent"),
    [
        ([], None),  # the body's tag
        ([b'"mine"'], b'"mine"'),
        ([b"", b'"second"'], b'"second"'),  # an empty tag is no tag
        ([b'"first"', b'"second"'], b'"first"'),  # one tag sent, the first
        ([b""], None),
    ],
)
def test_conditional_get_keeps_a_routes_own_tag_once(route_etags: list[bytes], sent: bytes | None) -> None:
    """What a route's answer says of its ETag and Cache-Control is kept; an empty tag never makes `If-None-Match: W/`
    match every body."""
    body = b'{"x": 1}'

    async def route(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/json"), (b"cache-control", b"private")]
        await send(
            {"type": "http.response.start", "status": 200, "headers": headers + [(b"etag", e) for e in route_etags]}
        )
        await send({"type": "http.response.body", "body": body})

    def answer(if_none_match: bytes | None) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)

        headers = [(b"if-none-match", if_none_match)] if if_none_match is not None else []
        scope = {"type": "http", "method": "GET", "path": "/x", "headers": headers}
        answers = Answers(
            route,
            frameable=lambda path: False,
            frame_ancestors="'self'",
            cacheable=lambda path: True,
            max_age=60,
            counts=RequestCounts(Metrics()),
        )
        asyncio.run(answers(scope, None, send))
        return messages

    start = answer(None)[0]
    tags = [value for name, value in start["headers"] if name == b"etag"]
    assert tags == [sent if sent is not None else etag_of(body).encode()]
    assert [v for n, v in start["headers"] if n == b"cache-control"] == [b"private"]
    assert answer(b"W/, x")[0]["status"] == 200
    assert answer(tags[0])[0]["status"] == 304
