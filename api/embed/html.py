"""Server-rendered French pages: one Jinja2 environment (autoescape always on), a strict CSP, French error
pages, and engine highlights made safe for them."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from api.embed.assets import static_files

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Autoescape on for every template: monograph text is never trusted.
templates = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
)


def csp(inline_styles: list[str], frames: bool = False) -> str:
    """A strict policy: our own scripts and styles only, plus the exact inline styles given (hashed)."""
    hashes = "".join(
        " 'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in inline_styles
    )
    frame_src = "'self'" if frames else "'none'"
    return (
        f"default-src 'none'; script-src 'self'; style-src 'self'{hashes}; img-src 'self' data:; "
        f"connect-src 'self'; frame-src {frame_src}; base-uri 'none'; form-action 'self'"
    )


def html_page(
    template: str,
    status: int = 200,
    inline_styles: list[str] | None = None,
    headers: dict[str, str] | None = None,
    frames: bool = False,
    **context: Any,
) -> HTMLResponse:
    """Render a page; `inline_styles` go into `<style>` blocks that the CSP allows by hash."""
    styles = inline_styles or []
    body = templates.get_template(template).render(inline_styles=[Markup(s) for s in styles], **context)
    page_headers = {
        "Content-Security-Policy": csp(styles, frames),
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    return HTMLResponse(body, status_code=status, headers=page_headers | (headers or {}))


def error_page(
    request: Request, status: int, title: str, problems: list[str], headers: dict[str, str] | None = None
) -> HTMLResponse:
    """A short French page explaining what went wrong and what to do: the link to the builder only for a 400 (the
    address itself is wrong, which whoever composed it can mend), not for a page gone or a search that failed, which
    the partner's visitors read."""
    return html_page(
        "error.html",
        status=status,
        headers=headers,
        title=title,
        problems=problems,
        stylesheet=static_files.url(request, "embed.css"),
        script=static_files.url(request, "embed.js"),
        builder=f"{request.scope.get('root_path', '')}/embed/builder" if status == 400 else None,
    )


_MARK = re.compile(r"(</?mark>)")


def marked(fragment: str) -> Markup:
    """An engine highlight (escaped text with `<mark>`) made safe: every other piece re-escaped."""
    pieces = _MARK.split(fragment)
    if pieces.count("<mark>") != pieces.count("</mark>"):
        return escape(html.unescape(_MARK.sub("", fragment)))
    return Markup("").join(Markup(p) if p in ("<mark>", "</mark>") else escape(html.unescape(p)) for p in pieces)
