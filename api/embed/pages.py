"""Partner embeds: the iframe page (`/embed`, `/embed/p/{slug}`) and the snippet builder (French HTML)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.department_map import search_map
from api.deps import EngineDep, SettingsDep, StoreDep
from api.embed import GET_AND_HEAD
from api.embed.assets import WIDGET, static_files
from api.embed.html import error_page, html_page
from api.embed.page_view import Links, MapView, build_view, describe_search, theme_css
from api.embed.preset_records import PresetOutdated, to_preset, visitor_search
from api.embed.query_strings import InvalidQuery, first_problems, query_dict, query_lists, validate_query
from api.errors import NotFound
from api.http.load_shedding import SheddingRoute
from api.settings import Settings, practice_url
from indexer.engine import EngineError, EngineUnavailable, SearchEngine
from schemas.api import SLUG_PATTERN, EmbedParams, EmbedTheme
from schemas.facets import FACETS
from schemas.like_territory import TerritoryProfile
from schemas.search import SORT_LABELS, SearchParams
from territories.like_territory import territory_profile
from territories.resolution import TerritoryError

log = logging.getLogger(__name__)
# The facets the iframe lists beside its results (`Facet.listed_in_embeds`).
EMBED_FACETS = tuple(f.name for f in FACETS if f.listed_in_embeds)

router = APIRouter(
    route_class=SheddingRoute, tags=["embed"], include_in_schema=False, default_response_class=HTMLResponse
)

DEFAULT_HEADING = "Pratiques d'innovation territoriale"


def _bad_query(request: Request, exc: InvalidQuery) -> Response:
    return error_page(request, 400, "Paramètres d'intégration invalides", first_problems(exc.problems))


def _search_only(params: SearchParams) -> SearchParams:
    return SearchParams.model_validate(params.model_dump(include=set(SearchParams.model_fields)))


def _render(
    request: Request,
    engine: SearchEngine,
    settings: Settings,
    params: SearchParams,
    theme: EmbedTheme,
    heading: str,
    shown_facets: Sequence[str],
    links: Links,
    offer_unfiltered: bool = True,
    show_map: bool = False,
    like: TerritoryProfile | None = None,
) -> Response:
    try:
        result = engine.search(params.to_query(deadline=time.monotonic() + settings.search_deadline, like=like))
    except EngineUnavailable:
        return error_page(
            request,
            503,
            "Recherche momentanément indisponible",
            ["Le moteur de recherche ne répond pas ; la liste reviendra dans quelques instants."],
            {"Retry-After": "5"},
        )
    except EngineError:
        log.exception("embed search failed")
        return error_page(request, 502, "La recherche a échoué", ["Réessayez dans quelques instants."])
    urls = {hit.id: practice_url(settings, hit.id) for hit in result.hits}
    view = build_view(params, result, theme, heading, shown_facets, links, urls, offer_unfiltered)
    if show_map:  # drawn from the same search's département counts
        view.map = MapView(*search_map(result, links))
    # Feeds take the same search (newest first, their own size); "?" alone would be noise.
    feed = Links(query_lists(_search_only(params), exclude={"page", "size", "sort"})).href().rstrip("?")
    root = request.scope.get("root_path", "")
    return html_page(
        "embed.html",
        inline_styles=[theme_css(theme)],
        view=view,
        description=describe_search(params),
        stylesheet=static_files.url(request, "embed.css"),
        script=static_files.url(request, "embed.js"),
        site=settings.public_base_url,
        atom=f"{root}/feeds/search.atom{feed}",
        rss=f"{root}/feeds/search.rss{feed}",
    )


@router.api_route("/embed", methods=GET_AND_HEAD)
def embed(request: Request, engine: EngineDep, settings: SettingsDep) -> Response:
    """Results of any search `/api/v1/search` accepts, themed for an iframe on a partner's site."""
    try:
        params = validate_query(EmbedParams, query_dict(EmbedParams, request.query_params))
        like = territory_profile(params.like_territory) if params.like_territory else None
    except InvalidQuery as exc:
        return _bad_query(request, exc)
    except TerritoryError:
        problem = "« like_territory » : aucune commune ni intercommunalité n'a ce code (géographie 2026)"
        return _bad_query(request, InvalidQuery([problem]))
    theme = EmbedTheme.model_validate(params.model_dump(include=set(EmbedTheme.model_fields)))
    links = Links(query_lists(params, exclude={"page"}))
    shown = EMBED_FACETS if params.facets == "show" else ()
    heading = params.title or DEFAULT_HEADING
    return _render(request, engine, settings, params, theme, heading, shown, links, show_map=params.map, like=like)


@router.api_route("/embed/p/{slug}", methods=GET_AND_HEAD)
def embed_preset(slug: str, request: Request, engine: EngineDep, store: StoreDep, settings: SettingsDep) -> Response:
    """A saved preset's list: its fixed search and theme, refined by the facets it offers."""
    try:
        if not re.fullmatch(SLUG_PATTERN, slug):
            raise NotFound(slug)
        preset = to_preset(store.get_preset(slug))
    except NotFound:
        return error_page(
            request,
            404,
            "Intégration introuvable",
            ["Cette liste de pratiques n'existe pas ou a été retirée. Prévenez le site qui l'affiche."],
        )
    except PresetOutdated:
        return error_page(
            request,
            409,
            "Intégration à mettre à jour",
            ["Les réglages de cette liste ne sont plus valides. Prévenez le site qui l'affiche."],
        )
    try:
        params = visitor_search(preset, request.query_params)
    except InvalidQuery as exc:
        return _bad_query(request, exc)
    links = Links({facet: params.filters().selected(facet) for facet in preset.facets})
    return _render(request, engine, settings, params, preset.theme, preset.title, preset.facets, links, False)


# The builder lists at most this many presets, the first by slug (not every one a store may hold).
BUILDER_PRESETS = 200


@router.api_route("/embed/builder", methods=GET_AND_HEAD)
def builder(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """« Intégrer sur votre site »: pick filters and colours, preview, copy the iframe or widget code."""
    return html_page(
        "builder.html",
        frames=True,
        stylesheet=static_files.url(request, "builder.css"),
        script=static_files.url(request, "builder.js"),
        widget=f"{request.scope.get('root_path', '')}/{WIDGET}",
        widget_bytes=static_files.size(WIDGET),
        # The configured public address: a publicly cached page never echoes the request's Host header.
        origin=settings.public_api_url.rstrip("/"),
        facets=FACETS,
        sorts=list(SORT_LABELS.items()),
        presets=[record.slug for record in store.preset_page(1, BUILDER_PRESETS)[0]],
        defaults=EmbedParams(),
    )
