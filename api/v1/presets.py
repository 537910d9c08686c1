"""Embed presets: editors save named filters, facets and colours; partners embed them by slug."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from api.deps import EditorDep, IfMatchDep, StoreDep
from api.embed.preset_records import save_preset, to_preset
from api.http.load_shedding import SheddingRoute
from schemas.api import SLUG_PATTERN, Preset, PresetContent, PresetPage, error_responses

router = APIRouter(route_class=SheddingRoute, prefix="/presets", tags=["presets"], responses=error_responses(400, 429))

Slug = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=60, examples=["reseau-tiers-lieux"])]


def _etag(response: Response, preset: Preset) -> None:
    response.headers["ETag"] = f'"{preset.version}"'


@router.get("", response_model=PresetPage, summary="Préréglages d'intégration", responses=error_responses(422))
def list_presets(
    store: StoreDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 50,
) -> PresetPage:
    """Every saved preset, by slug, a page at a time. Reading is public: a preset only holds what its embed shows."""
    records, total = store.preset_page(page, size)
    return PresetPage(total=total, page=page, size=size, items=[to_preset(r) for r in records])


@router.get("/{slug}", response_model=Preset, summary="Un préréglage", responses=error_responses(404, 422))
def get_preset(slug: Slug, store: StoreDep, response: Response) -> Preset:
    """One preset; its embed is at `/embed/p/{slug}` and `<impact-pratiques preset="{slug}">`."""
    preset = to_preset(store.get_preset(slug))
    _etag(response, preset)
    return preset


@router.put(
    "/{slug}",
    response_model=Preset,
    summary="Créer ou remplacer un préréglage",
    status_code=status.HTTP_200_OK,
    responses={201: {"model": Preset, "description": "Created."}, **error_responses(401, 403, 409, 413, 415, 422)},
)
def put_preset(
    slug: Slug,
    body: PresetContent,
    key: EditorDep,
    store: StoreDep,
    request: Request,
    response: Response,
    if_match: IfMatchDep,
) -> Preset:
    """Save a preset (editors only). Partners' embeds follow the change within `IMPACT_HTTP_CACHE_MAX_AGE`."""
    record, created = save_preset(store, slug, body.model_dump(mode="json"), key.id, if_match.version())
    preset = to_preset(record)
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = str(request.app.url_path_for("get_preset", slug=slug))
    _etag(response, preset)
    return preset


@router.delete(
    "/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Supprimer un préréglage",
    responses=error_responses(401, 403, 404, 422),
)
def delete_preset(slug: Slug, key: EditorDep, store: StoreDep) -> Response:
    """Delete a preset (editors only); its embed then shows a French « introuvable » page."""
    store.delete_preset(slug)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
