"""`/widget.js` (the partners' web component) and the versioned files of the embed pages."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.errors import NotFound
from api.html import STATIC_TYPES, static_file

router = APIRouter(tags=["embed"], include_in_schema=False)

# Partners reference /widget.js without a version: an hour bounds how long a fix takes to reach them.
WIDGET_CACHE = "public, max-age=3600"
VERSIONED_CACHE = "public, max-age=31536000, immutable"
UNVERSIONED_CACHE = "public, max-age=300"


def _asset(name: str, version_asked: str | None, cache_control: str) -> Response:
    try:
        body, version = static_file(name)
    except FileNotFoundError:
        raise NotFound(f"no static file {name!r}") from None
    headers = {
        "Cache-Control": VERSIONED_CACHE if version_asked == version else cache_control,
        "ETag": f'"{version}"',
        # Partner pages may isolate themselves (COEP); the widget must still load there.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    return Response(body, media_type=STATIC_TYPES["." + name.rsplit(".", 1)[-1]], headers=headers)


@router.get("/widget.js")
def widget() -> Response:
    """`<script src=".../widget.js" defer>` then `<impact-pratiques q="…">` on any page."""
    return _asset("widget.js", None, WIDGET_CACHE)


@router.get("/static/{name}")
def static(name: str, v: str | None = None) -> Response:
    """Stylesheets and scripts of the embed pages; `?v=` (their hash) makes them immutable."""
    return _asset(name, v, UNVERSIONED_CACHE)
