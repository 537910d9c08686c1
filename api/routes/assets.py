"""`/widget.js` (the partners' web component) and the versioned files of the embed pages."""

from __future__ import annotations

import re

from fastapi import APIRouter, Response

from api.errors import NotFound
from api.html import STATIC_TYPES, static_file

router = APIRouter(tags=["embed"], include_in_schema=False)

# Partners reference /widget.js without a version: an hour bounds how long a fix takes to reach them.
WIDGET_CACHE = "public, max-age=3600"
VERSIONED_CACHE = "public, max-age=31536000, immutable"
UNVERSIONED_CACHE = "public, max-age=300"


# A file name of api/static: no separators, NUL bytes or other oddities ever reach the file system.
ASSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _asset(name: str, version_asked: str | None, cache_control: str) -> Response:
    if not ASSET_NAME.fullmatch(name):
        raise NotFound("no such static file")
    try:
        body, version = static_file(name)
    except (FileNotFoundError, ValueError):
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
