"""What editors read while moderating a submission: who sent it, and which practices it may duplicate."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import EditorDep, EngineDep, SettingsDep, StoreDep
from api.duplicates import possible_duplicates
from api.http.load_shedding import SheddingRoute
from api.http.strict_query import no_unknown_query
from api.v1.monographs import MonographId
from schemas.api import KeyInfo, PossibleDuplicate, error_responses

router = APIRouter(
    route_class=SheddingRoute,
    dependencies=[Depends(no_unknown_query)],
    prefix="/monographs",
    tags=["moderation"],
    responses=error_responses(401, 403, 404, 422, 429, 503),
)


@router.get("/{monograph_id}/submitter", response_model=KeyInfo | None, summary="Auteur de la soumission")
def submitter(monograph_id: MonographId, key: EditorDep, store: StoreDep) -> KeyInfo | None:
    """Editors only: the API key that submitted the monograph (its id, name and role), or null for an
    imported or seeded one."""
    submitted_by = store.submitter_of(store.get(monograph_id).id)
    found = store.get_key(submitted_by) if submitted_by else None
    return KeyInfo(id=found.id, name=found.name, role=found.role.value) if found else None


@router.get("/{monograph_id}/duplicates", response_model=list[PossibleDuplicate], summary="Doublons possibles")
def duplicates(
    monograph_id: MonographId, key: EditorDep, store: StoreDep, engine: EngineDep, settings: SettingsDep
) -> list[PossibleDuplicate]:
    """Editors only: up to 5 published or pending practices that may describe the same one: the same
    `external_id` (sent by another key), or a published practice whose title has most of the same words.
    Pending practices are compared by `external_id` only (the search index holds published ones)."""
    return possible_duplicates(store.get(monograph_id), store, engine, settings)
