"""The small pieces alone: highlight sanitising, contrast, ETag matching, CSP merging."""

from __future__ import annotations

import asyncio
import contextlib
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


def answered(
    route: Any, path: str = "/x", headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[list[dict[str, Any]], Metrics]:
    """What `Answers` sends for `route` (cacheable and not frameable), and the metrics it counted."""
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    metrics = Metrics()
    answers = Answers(
        route,
        frameable=lambda path: False,
        frame_ancestors="'self'",
        cacheable=lambda path: True,
        max_age=60,
        counts=RequestCounts(metrics),
    )
    scope = {"type": "http", "method": "GET", "path": path, "headers": headers or []}
    with contextlib.suppress(RuntimeError):
        asyncio.run(answers(scope, None, send))
    return messages, metrics


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
        return answered(route, headers=[(b"if-none-match", if_none_match)] if if_none_match is not None else [])[0]

    start = answer(None)[0]
    tags = [value for name, value in start["headers"] if name == b"etag"]
    assert tags == [sent if sent is not None else etag_of(body).encode()]
    assert [v for n, v in start["headers"] if n == b"cache-control"] == [b"private"]
    assert answer(b"W/, x")[0]["status"] == 200
    assert answer(tags[0])[0]["status"] == 304


def counted(metrics: Metrics, status: int) -> float | None:
    labels = {"route": "unmatched", "method": "GET", "status": str(status)}
    return metrics.registry.get_sample_value("impact_http_requests_total", labels)


def test_answers_tag_a_streamed_answer_whole_and_pass_other_statuses_through() -> None:
    async def streamed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ab", "more_body": True})
        await send({"type": "http.response.body", "body": b"cd"})

    messages, metrics = answered(streamed)
    assert [m["type"] for m in messages] == ["http.response.start", "http.response.body"]
    assert messages[1]["body"] == b"abcd" and (b"etag", etag_of(b"abcd").encode()) in messages[0]["headers"]
    assert (b"x-content-type-options", b"nosniff") in messages[0]["headers"] and counted(metrics, 200) == 1

    async def missing(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"no", "more_body": True})
        await send({"type": "http.response.body", "body": b"pe"})

    messages, metrics = answered(missing)
    assert [m.get("body") for m in messages] == [None, b"no", b"pe"] and counted(metrics, 404) == 1
    assert not any(name == b"etag" for name, _ in messages[0]["headers"])
    assert (b"x-frame-options", b"DENY") in messages[0]["headers"]


def test_answers_count_a_200_the_route_failed_to_finish_as_the_server_error_sent() -> None:
    async def failing(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"half", "more_body": True})
        raise RuntimeError("the route failed")

    messages, metrics = answered(failing)
    assert messages == [] and counted(metrics, 500) == 1 and counted(metrics, 200) is None


def test_a_304_keeps_what_the_answer_said_of_its_origins() -> None:
    """CORS headers (added inside `Answers`) stay on the 304 of a revalidation; its body's headers do not."""
    cors = [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", b"ETag, Retry-After")]

    async def public(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"2"), *cors]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    first, _ = answered(public)
    tag = dict(first[0]["headers"])[b"etag"]
    again, metrics = answered(public, headers=[(b"if-none-match", tag)])
    assert again[0]["status"] == 304 and again[1]["body"] == b"" and counted(metrics, 304) == 1
    headers = dict(again[0]["headers"])
    assert all(headers[name] == value for name, value in cors) and headers[b"etag"] == tag
    assert b"content-type" not in headers and b"content-length" not in headers
