"""`/docs`: Swagger UI served from the installed `openapi-ui-bundles` package, never from a CDN.

Users paste API keys into this page, and an intranet may have no internet access: every script, style
and image comes from this API (versioned, immutable), and a strict CSP allows nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from openapi_ui_bundles import swagger_ui

from api.http.load_shedding import SheddingRoute
from api.http.versioned_files import VersionedFiles

router = APIRouter(route_class=SheddingRoute, include_in_schema=False)

# Swagger UI's script, stylesheet and icon, versioned by their hash.
files = VersionedFiles(
    Path(swagger_ui.static_path),
    prefix="/docs/assets",
    media_types={
        "swagger-ui-bundle.js": "text/javascript",
        "swagger-ui.css": "text/css",
        "favicon-32x32.png": "image/png",
    },
)


def docs_policy(html: str) -> str:
    """Our own files only, plus the page's one inline script (by hash). Swagger UI sets style attributes
    and draws icons as data: images; it fetches the OpenAPI document and runs "Try it out" on this origin."""
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    hashes = "".join(f" 'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)
    return (
        f"default-src 'none'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'"
    )


@router.get("/")
def home() -> RedirectResponse:
    """The API's address leads to its documentation."""
    return RedirectResponse("/docs")


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    page = get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} — documentation",
        swagger_js_url=files.url(request, "swagger-ui-bundle.js"),
        swagger_css_url=files.url(request, "swagger-ui.css"),
        swagger_favicon_url=files.url(request, "favicon-32x32.png"),
        # Swagger UI would otherwise send the document's address to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
    )
    html = bytes(page.body).decode()
    return HTMLResponse(html, headers={"Content-Security-Policy": docs_policy(html), "Cache-Control": "no-cache"})
