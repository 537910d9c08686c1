"""Embed presets: stored records as API models, saved safely when several clients save at once, and what a
visitor of a preset's embed may change."""

from __future__ import annotations

import random
import time
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.datastructures import QueryParams

from api.embed.query_strings import InvalidQuery, query_dict, validate_query
from api.errors import DomainError, VersionConflict, describe_validation_error
from api.store import PresetRecord, Store
from schemas.api import Preset
from schemas.search import SearchParams


class PresetOutdated(DomainError):
    """A stored preset no longer validates (a referential changed since it was saved)."""

    status_code = 409
    code = "preset_outdated"


SAVE_ATTEMPTS = 5


def save_preset(
    store: Store, slug: str, content: dict[str, Any], actor: str | None, expected_version: int | None
) -> tuple[PresetRecord, bool]:
    """`store.put_preset`, safe when several clients save one slug at once: whoever loses the race to
    create it (a unique-key violation, or SQLite refusing a write on a stale snapshot) saves again over
    the winner's version; a blind save (no If-Match) that finds the preset changed meanwhile does too.
    A save with If-Match keeps its 409; one that still loses after a few attempts gets 409, never a 500."""
    for attempt in range(SAVE_ATTEMPTS):
        try:
            return store.put_preset(slug, content, actor, expected_version)
        except IntegrityError:
            pass  # another client created the slug between our read and our insert
        except OperationalError as exc:
            if "locked" not in str(exc.orig).lower() and "busy" not in str(exc.orig).lower():
                raise
        except VersionConflict:
            if expected_version is not None:
                raise
        time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))  # let the winner commit, spread the retries
    raise VersionConflict(f"preset {slug!r} is being saved by others at the same time; read it again and retry")


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
