"""`/widget.js` (the partners' web component) and `/static/…`, the scripts and stylesheets of the embed pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response

from api.embed import GET_AND_HEAD
from api.http.versioned_files import VersionedFiles

WIDGET = "widget.js"

static_files = VersionedFiles(
    Path(__file__).resolve().parent / "static",
    prefix="/static",
    media_types={".js": "text/javascript", ".css": "text/css"},
    # Partners reference /widget.js without a version: an hour bounds how long a fix takes to reach them.
    cache_control={WIDGET: "public, max-age=3600"},
    # Partner pages may isolate themselves (COEP); the widget must still load there.
    headers={"Cross-Origin-Resource-Policy": "cross-origin"},
)

router = APIRouter(tags=["embed"], include_in_schema=False)


@router.api_route(f"/{WIDGET}", methods=GET_AND_HEAD)
async def widget(request: Request) -> Response:
    """`<script src=".../widget.js" defer>` then `<impact-pratiques q="…">` on any page."""
    return await static_files.get_response(WIDGET, request.scope)
