"""`/feeds/search.atom` and `/feeds/search.rss`: the newest published practices matching a search."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from api.deps import EngineDep, SettingsDep, StoreDep
from api.embed_page import describe_search, first_problems, query_lists
from api.feeds import feed_entry, newest_matching, xml_text
from api.html import InvalidQuery, error_page, query_dict, templates, validate_query
from indexer.engine import EngineError
from schemas.search import SearchParams

log = logging.getLogger(__name__)

router = APIRouter(prefix="/feeds", tags=["feeds"], include_in_schema=False)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MEDIA_TYPES = {"atom": "application/atom+xml; charset=utf-8", "rss": "application/rss+xml; charset=utf-8"}


def _feed(kind: str, request: Request, engine: EngineDep, store: StoreDep, settings: SettingsDep) -> Response:
    try:
        params = validate_query(SearchParams, query_dict(SearchParams, request.query_params))
    except InvalidQuery as exc:
        return error_page(request, 400, "Paramètres du flux invalides", first_problems(exc.problems))
    deadline = time.monotonic() + settings.search_deadline
    try:
        monographs = newest_matching(params, store, engine, params.size, deadline)
    except EngineError:
        log.exception("feed search failed")
        return error_page(
            request, 503, "Flux momentanément indisponible", ["Réessayez dans quelques instants."], {"Retry-After": "5"}
        )
    entries = [feed_entry(m, settings) for m in monographs]
    # Deterministic (never "now"), so an unchanged feed keeps its ETag.
    updated = max((e.updated for e in entries), default=EPOCH)
    # The feed's own address: the configured public origin (never the request's Host, which a client
    # sets and a shared cache would then serve to everyone) and the search as validated, not as sent.
    query = urlencode([(k, v) for k, values in query_lists(params, exclude={"page", "sort"}).items() for v in values])
    self_url = f"{settings.public_api_url.rstrip('/')}/feeds/search.{kind}" + (f"?{query}" if query else "")
    body = templates.get_template(f"feed.{kind}.xml").render(
        title=xml_text(f"IMPACT-Pratiques : {describe_search(params)}"),
        self_url=self_url,
        site_url=settings.public_base_url,
        updated_iso=updated.isoformat(),
        updated_rfc822=format_datetime(updated),
        entries=entries,
    )
    return Response(body, media_type=MEDIA_TYPES[kind])


@router.get("/search.atom")
def atom(request: Request, engine: EngineDep, store: StoreDep, settings: SettingsDep) -> Response:
    """Atom 1.0: newest first (sort and page are ignored), `size` entries (20 by default)."""
    return _feed("atom", request, engine, store, settings)


@router.get("/search.rss")
def rss(request: Request, engine: EngineDep, store: StoreDep, settings: SettingsDep) -> Response:
    """RSS 2.0: newest first (sort and page are ignored), `size` entries (20 by default)."""
    return _feed("rss", request, engine, store, settings)
