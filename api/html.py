"""Server-rendered French pages and feeds: one Jinja2 environment (autoescape always on), a strict
CSP, versioned static assets, and query strings validated into French error pages."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import typing
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# Autoescape on for every template (HTML and XML alike): monograph text is never trusted.
templates = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
)

STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@lru_cache
def static_file(name: str) -> tuple[bytes, str]:
    """The bytes of a file of api/static and a short hash of them (its version)."""
    path = (STATIC / name).resolve()
    if path.parent != STATIC or path.suffix not in STATIC_TYPES or not path.is_file():
        raise FileNotFoundError(name)
    body = path.read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:12]


def asset_url(request: Request, name: str) -> str:
    """Root-relative URL of a static file, versioned so it can be cached for a year."""
    return f"{request.scope.get('root_path', '')}/static/{name}?v={static_file(name)[1]}"


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
    """A short French page explaining what went wrong and what to do."""
    return html_page(
        "error.html",
        status=status,
        headers=headers,
        title=title,
        problems=problems,
        stylesheet=asset_url(request, "embed.css"),
        script=asset_url(request, "embed.js"),
        builder=f"{request.scope.get('root_path', '')}/embed/builder",
    )


# -- highlights ---------------------------------------------------------------------------------

_MARK = re.compile(r"(</?mark>)")


def marked(fragment: str) -> Markup:
    """An engine highlight (escaped text with `<mark>`) made safe: every other piece re-escaped."""
    pieces = _MARK.split(fragment)
    if pieces.count("<mark>") != pieces.count("</mark>"):
        return escape(html.unescape(_MARK.sub("", fragment)))
    return Markup("").join(Markup(p) if p in ("<mark>", "</mark>") else escape(html.unescape(p)) for p in pieces)


# -- query strings --------------------------------------------------------------------------------

Model = TypeVar("Model", bound=BaseModel)


class InvalidQuery(Exception):
    """The query string did not validate; `problems` are French sentences, one per field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _is_list(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    return field is not None and typing.get_origin(field.annotation) is list


def query_dict(model: type[BaseModel], query: QueryParams) -> dict[str, Any]:
    """Query parameters as the model's input: lists for list fields, empty values dropped."""
    data: dict[str, Any] = {}
    problems = []
    for name in dict.fromkeys(query.keys()):
        values = [v for v in query.getlist(name) if v != ""]
        if not values:
            continue
        if _is_list(model, name):
            data[name] = values
        elif len(values) > 1:
            problems.append(f"« {name} » : donné plusieurs fois, une seule valeur est permise")
        else:
            data[name] = values[0]
    if problems:
        raise InvalidQuery(problems)
    return data


def validate_query(model: type[Model], data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidQuery([french_problem(error) for error in exc.errors()]) from exc


_FRENCH_RULES = {
    "extra_forbidden": "paramètre inconnu",
    "int_parsing": "doit être un nombre entier",
    "less_than_equal": "doit être au plus {le}",
    "greater_than_equal": "doit être au moins {ge}",
    "string_too_long": "trop long (au plus {max_length} caractères)",
    "string_too_short": "trop court (au moins {min_length} caractères)",
    "enum": "valeur inconnue ; valeurs permises : {expected}",
    "literal_error": "valeur inconnue ; valeurs permises : {expected}",
}
# Model-level rules carry no field in their location: the field comes from here.
_FRENCH_MESSAGES = (
    ("unknown region", "region", "région inconnue ; utilisez le nom officiel (par exemple « Bretagne »)"),
    ("year_from must not be after year_to", "year_from", "ne doit pas être après year_to"),
    ("page × size", "page × size", "ne doit pas dépasser 10 000 ; affinez plutôt la recherche"),
    ("must be a colour", None, "doit être une couleur écrite #RRGGBB, par exemple #19486A"),
)


def french_problem(error: Any) -> str:
    """One pydantic error as a French sentence naming the parameter."""
    name = ".".join(str(p) for p in error.get("loc", ()) if not isinstance(p, int))
    rule = _FRENCH_RULES.get(error.get("type", ""))
    if rule:
        message = rule.format(**{k: str(v) for k, v in (error.get("ctx") or {}).items()})
    else:
        english = str(error.get("msg", "")).removeprefix("Value error, ")
        field, message = next(
            ((f, fr) for en, f, fr in _FRENCH_MESSAGES if en in english), (None, f"valeur refusée ({english})")
        )
        name = name or field or ""
    value = error.get("input")
    shown = ""
    if isinstance(value, str | int) and error.get("type") != "missing":
        shown = f" (reçu : « {str(value)[:80]} »)"
    name = name or "paramètres"
    return f"« {name} » : {message}{shown}"
