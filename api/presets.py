"""Embed presets: stored records as API models, and what a visitor of a preset's embed may change."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.datastructures import QueryParams

from api.errors import DomainError
from api.exports import describe_validation_error
from api.html import InvalidQuery, query_dict, validate_query
from api.store import PresetRecord
from schemas.api import Preset
from schemas.search import SearchParams


class PresetOutdated(DomainError):
    """A stored preset no longer validates (a referential changed since it was saved)."""

    status_code = 409
    code = "preset_outdated"


def to_preset(record: PresetRecord) -> Preset:
    """The stored preset as the API shows it; one that no longer validates is a clear 409, not a 500."""
    try:
        return Preset.model_validate(
            record.content
            | {
                "slug": record.slug,
                "version": record.version,
                "created_at": record.created_at,
                "updated_at": record.updated_at,
                "embed_path": f"/embed/p/{record.slug}",
            }
        )
    except ValidationError as exc:
        raise PresetOutdated(
            f"preset {record.slug!r} no longer validates ({describe_validation_error(exc)}); "
            "an editor must save it again",
        ) from exc


def visitor_search(preset: Preset, query: QueryParams) -> SearchParams:
    """The preset's fixed search plus the visitor's choices: its offered facets and the page, nothing else."""
    data = query_dict(SearchParams, query)
    refused = [name for name in data if name not in {*preset.facets, "page"}]
    if refused:
        raise InvalidQuery(
            [f"« {name} » : ce paramètre n'est pas modifiable dans cette intégration" for name in refused]
        )
    return validate_query(SearchParams, preset.filters.model_dump(mode="json", exclude={"page"}) | data)
