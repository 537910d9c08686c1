"""Monographs: submission, reading, editing and moderation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response, status

from api.deps import (
    EditorDep,
    EngineDep,
    IfMatch,
    IfMatchDep,
    KeyDep,
    OptionalKeyDep,
    SettingsDep,
    StoreDep,
    SyncDep,
)
from api.errors import DomainError, Forbidden, InvalidTerritory, InvalidTransition, NotFound, VersionConflict
from api.http.conditional_get import etag_matches
from api.http.load_shedding import SheddingRoute
from api.http.strict_query import no_unknown_query
from api.indexing import IndexSync
from api.settings import Settings, practice_url
from api.store import ApiKey, Role, Store
from api.store.api_keys import key_names
from schemas.api import (
    ApiHit,
    HistoryEvent,
    HistoryPage,
    ModerationDecision,
    MonographPage,
    MonographPublic,
    SheetRejection,
    error_responses,
)
from schemas.monograph import Monograph, MonographContent, MonographCreate, MonographUpdate, Status
from territories.resolution import TerritoryError, resolve

Content = TypeVar("Content", bound=MonographContent)

router = APIRouter(
    route_class=SheddingRoute,
    dependencies=[Depends(no_unknown_query)],
    prefix="/monographs",
    tags=["monographs"],
    responses=error_responses(400, 401, 403, 404, 409, 413, 415, 422, 428, 429, 503),
)

MonographId = Annotated[str, Path(max_length=120, pattern=r"^[a-z0-9-]+$", examples=["tiers-lieu-diois-1a2b3c4d"])]


SUBMISSION_EXAMPLE = {
    "title": "Un tiers-lieu nourricier dans l'ancienne gare du Diois",
    "summary": "La communauté de communes, une SCIC et les habitants transforment la gare en tiers-lieu "
    "dédié à l'alimentation locale : épicerie en circuits courts, cuisine partagée et café associatif.",
    "context": "Dans ce territoire rural de montagne, la gare fermée et l'absence de commerce de proximité…",
    "approach": "La collectivité a acquis le bâtiment ; la SCIC réunit producteurs, habitants et commune…",
    "results": "32 producteurs fournisseurs, 4 emplois créés, 1 200 passages par mois.",
    "success_factors": "Une gouvernance partagée dès le départ et un portage foncier public.",
    "outlook": "Essaimage vers deux autres gares de la vallée de la Drôme.",
    "territory": {"name": "Die", "code": "26113"},
    "territory_types": ["rural", "montagne"],
    "actor_categories": ["collectivite", "ess", "citoyens"],
    "actors": [
        {"name": "Communauté de communes du Diois", "category": "collectivite", "role": "porteur du projet"},
        {"name": "SCIC La Gare Nourricière", "category": "ess", "role": "exploitant"},
    ],
    "odd": [2, 11, 17],
    "year": 2021,
    "programmes": ["Petites Villes de Demain", "Projet alimentaire territorial"],
    "tags": ["tiers-lieu", "alimentation", "circuits courts"],
    "contact": {"organisation": "SCIC La Gare Nourricière", "email": "contact@gare-nourriciere.example"},
    "sources": ["https://www.francetierslieux.fr"],
    "external_id": "reseau-42",
}


class PreconditionRequired(DomainError):
    status_code = 428
    code = "precondition_required"


def with_official_territory(content: Content) -> Content:
    """The submitted content with its territory checked against the official referential and completed."""
    try:
        return resolve(content)
    except TerritoryError as exc:
        raise InvalidTerritory(exc.field, exc.message) from exc


def version_read(body: MonographUpdate, if_match: IfMatch) -> int:
    """The version a replacement was made on: `version` in the body, or the If-Match header."""
    version = reviewed_version(body.version, if_match)
    if version is None:
        raise PreconditionRequired("send the version you last read, as `version` in the body or an If-Match header")
    return version


def reviewed_version(version: int | None, if_match: IfMatch) -> int | None:
    """The version an editor's decision was made on: `version` in the body, or the If-Match header (None: the
    current one)."""
    return version if version is not None else if_match.version()


def _public(monograph: Monograph, settings: Settings) -> MonographPublic:
    return MonographPublic(**monograph.model_dump(), url=practice_url(settings, monograph.id))


def _visible(monograph: Monograph, key: ApiKey | None, submitter: str | None) -> bool:
    if monograph.status == Status.PUBLISHED:
        return True
    return key is not None and (key.role == Role.EDITOR or key.id == submitter)


def _tagged(monograph: Monograph, response: Response, settings: Settings) -> MonographPublic:
    """A monograph as answered: its version as ETag (send it back as If-Match), and its public shape."""
    response.headers["ETag"] = f'"{monograph.version}"'
    return _public(monograph, settings)


@dataclass(frozen=True)
class Writes:
    """What a write needs: the store, the index sync that makes the change searchable, the settings."""

    store: Store
    sync: IndexSync
    settings: Settings

    def wait_searchable(self, monograph: Monograph) -> None:
        """Read-after-write: wait (bounded) until the committed change is searchable. The store has
        committed, so the answer is a success whatever the index does; the outbox finishes the work."""
        self.sync.wait_searchable(monograph.id, monograph.version, self.settings.write_visibility_timeout)

    def answer(self, monograph: Monograph, response: Response) -> MonographPublic:
        """The end of every write that answers the monograph."""
        self.wait_searchable(monograph)
        return _tagged(monograph, response, self.settings)


async def get_writes(store: StoreDep, sync: SyncDep, settings: SettingsDep) -> Writes:
    return Writes(store, sync, settings)


WritesDep = Annotated[Writes, Depends(get_writes)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=MonographPublic,
    summary="Soumettre une pratique",
    responses={
        200: {"description": "This very submission was already received (same external_id or Idempotency-Key)."}
    },
)
def submit(
    body: Annotated[
        MonographCreate,
        Body(openapi_examples={"tiers-lieu": {"summary": "Une fiche complète", "value": SUBMISSION_EXAMPLE}}),
    ],
    key: KeyDep,
    writes: WritesDep,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> MonographPublic:
    """Submit a monograph. Contributors' submissions await moderation; editors may publish at once.

    Sending the same submission again with the same `external_id` (or `Idempotency-Key` header) returns the first
    one (200, `Idempotent-Replayed: true`). With other content it is refused rather than answered with the first:
    an `Idempotency-Key` reused is a 422 (`idempotency_key_reused`), an `external_id` already submitted a 409
    (`external_id_taken`, naming the practice to change with `PUT`).

    **Territory.** With `territory.code` (INSEE code of a commune, arrondissement, département or
    région, or SIREN of an EPCI; `insee_code` is still read as a commune code) the API fills the
    official name, département, région, EPCI, population and zone from the 2026 referential
    (`territory.resolved`); a retired commune code is resolved to its successor and
    `territory.resolution_note` says so. `department` and `region` may be codes or names
    (`Drôme`, `drome` → `26`). An unknown code or name, or a combination the referential
    contradicts (Die, 26113, with département 38), is a 422 naming the field and what the code
    implies. An overseas territory (DROM, COM) adds `outre-mer` to `territory_types`. A territory
    without a code (a valley, a "pays") is kept by name, unresolved.

    **When is it searchable?** A 201 means the monograph is durably stored: it is never lost.
    A published monograph reaches search through the index outbox. When the search engine is
    healthy, the API waits for it (at most 1 s, `IMPACT_WRITE_VISIBILITY_TIMEOUT`) and it is
    searchable when the answer arrives (measured at 10 writes/s: 100 % of writes with the
    embedded engine, 98.5 % with Elasticsearch, the rest within 0.2 s; `make bench-writes`).
    When the engine is down the answer does not wait, and the change becomes searchable as soon
    as it is back (`GET /api/v1/health` shows the backlog). The same holds for edits,
    publication, rejection and archiving.
    """
    wanted = body.status or Status.SUBMITTED
    if wanted != Status.SUBMITTED and key.role != Role.EDITOR:
        raise Forbidden("only editors may set a status; contributors' submissions are moderated")
    if wanted not in (Status.SUBMITTED, Status.PUBLISHED):
        raise DomainError("a new monograph is either submitted or published")
    monograph, created = writes.store.create(
        with_official_territory(body), wanted, key.id, body.external_id, idempotency_key
    )
    response.headers["Location"] = str(request.app.url_path_for("get_monograph", monograph_id=monograph.id))
    if created:
        return writes.answer(monograph, response)
    response.status_code = status.HTTP_200_OK
    response.headers["Idempotent-Replayed"] = "true"
    return _tagged(monograph, response, writes.settings)


@router.get("", response_model=MonographPage, summary="File de modération et soumissions")
def list_monographs(
    key: KeyDep,
    store: StoreDep,
    settings: SettingsDep,
    status_filter: Annotated[Status | None, Query(alias="status")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
    territory_resolved: Annotated[
        bool | None,
        Query(
            description="`false`: only monographs whose territory is a name the referential does not know (a "
            'valley, a "pays", a PETR: `territory.resolved` is false), to check in moderation; `true`: only '
            "official territories."
        ),
    ] = None,
) -> MonographPage:
    """Editors see every monograph (the moderation queue with `status=submitted`); contributors their own."""
    submitter = None if key.role == Role.EDITOR else key.id
    items, total = store.list_monographs(status_filter, submitter, page, size, territory_resolved)
    return MonographPage(total=total, page=page, size=size, items=[_public(m, settings) for m in items])


@router.get(
    "/{monograph_id}",
    response_model=MonographPublic,
    summary="Fiche pratique",
    responses={304: {"description": "Unchanged since the version sent as If-None-Match"}},
)
def get_monograph(
    monograph_id: MonographId,
    key: OptionalKeyDep,
    store: StoreDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> Response | MonographPublic:
    """A published monograph for everyone; any status for editors and for its own submitter. Its version is its ETag:
    sent back as If-None-Match, an unchanged practice answers 304 without a body. Revalidated on each use, kept by the
    caller alone (`private`: what a key may read, others may not)."""
    monograph = store.get(monograph_id)
    if not _visible(monograph, key, store.submitter_of(monograph_id)):
        raise NotFound(f"no monograph with id {monograph_id!r}")
    caching = {"Cache-Control": "private, no-cache", "Vary": "X-API-Key, Authorization"}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and etag_matches(if_none_match, f'"{monograph.version}"'):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=caching | {"ETag": f'"{monograph.version}"'})
    response.headers.update(caching)
    return _tagged(monograph, response, settings)


# The reasons a submitter reads in their practice's history: those written for them (a rejection, a declined
# proposal). An editor's note on another step (publishing, archiving) stays the editors'.
REASONS_TOLD = frozenset({"rejected", "proposal_declined"})


@router.get("/{monograph_id}/history", response_model=HistoryPage, summary="Historique d'une pratique")
def history(
    monograph_id: MonographId,
    key: KeyDep,
    store: StoreDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> HistoryPage:
    """What happened to a practice, newest first: submission, edits, moderation decisions, proposed changes and
    their outcome, each with its reason. For editors (who did each step: the key's name) and the practice's
    submitter (their own steps named, the editors' not; the reasons written for them: rejections, declined
    proposals)."""
    submitter = store.submitter_of(monograph_id)
    if key.role != Role.EDITOR and (submitter is None or submitter != key.id):
        raise NotFound(f"no monograph with id {monograph_id!r}")
    if not store.exists(monograph_id):
        raise NotFound(f"no monograph with id {monograph_id!r}")
    rows, total = store.history_page(monograph_id, page, size)
    # Editors read who did each step; a submitter, their own steps (an editor's are not named to them).
    names = key_names(store.engine, (r["actor"] for r in rows)) if key.role == Role.EDITOR else {key.id: key.name}
    items = [
        HistoryEvent(
            action=r["action"],
            status=r["status"],
            version=r["version"],
            reason=r["reason"] if key.role == Role.EDITOR or r["action"] in REASONS_TOLD else None,
            at=r["at"],
            by=names.get(r["actor"]) if r["actor"] else None,
        )
        for r in rows
    ]
    return HistoryPage(total=total, page=page, size=size, items=items)


@router.get("/{monograph_id}/similar", response_model=list[ApiHit], summary="Pratiques similaires")
def similar(
    monograph_id: MonographId, engine: EngineDep, settings: SettingsDep, size: Annotated[int, Query(ge=1, le=5)] = 5
) -> list[ApiHit]:
    """Up to 5 published practices close to this one."""
    return [ApiHit(**h.model_dump(), url=practice_url(settings, h.id)) for h in engine.similar(monograph_id, size)]


@router.put("/{monograph_id}", response_model=MonographPublic, summary="Modifier une pratique")
def update(
    monograph_id: MonographId,
    body: MonographUpdate,
    key: KeyDep,
    writes: WritesDep,
    response: Response,
    if_match: IfMatchDep,
) -> MonographPublic:
    """Replace the content. Editors may edit any monograph; contributors their own while it awaits
    moderation or after it was rejected: editing a rejected monograph sends it back to moderation
    (`submitted`, its rejection reason cleared; the history keeps it). A contributor proposes a change to
    their published practice instead (`PUT /monographs/{id}/proposal`): an editor accepts it or declines it.

    A stale version answers 409 and changes nothing.
    """
    version = version_read(body, if_match)
    current = writes.store.get(monograph_id)
    if key.role != Role.EDITOR:
        if writes.store.submitter_of(monograph_id) != key.id:
            raise NotFound(f"no monograph with id {monograph_id!r}")
        if current.version != version:
            # Before the status: a sheet published since the contributor read it is a change they did not see.
            raise VersionConflict(
                f"version {version} is stale: the monograph is at version {current.version} "
                f"({current.status.value}); read it again",
                {"current_version": current.version, "status": current.status.value},
            )
        if current.status == Status.PUBLISHED:
            raise Forbidden(
                "a published practice changes through an editor: propose your change with "
                f"PUT /api/v1/monographs/{monograph_id}/proposal"
            )
        if current.status not in (Status.SUBMITTED, Status.REJECTED):
            raise Forbidden(
                f"a contributor can edit a submission while it awaits moderation or after a rejection; "
                f"this one is {current.status.value}"
            )
    return writes.answer(writes.store.update(monograph_id, with_official_territory(body), version, key.id), response)


@router.post("/{monograph_id}/publish", response_model=MonographPublic, summary="Publier")
def publish(
    monograph_id: MonographId,
    key: EditorDep,
    writes: WritesDep,
    response: Response,
    if_match: IfMatchDep,
    body: Annotated[ModerationDecision | None, Body()] = None,
) -> MonographPublic:
    """Publish a submission (or restore an archived one): searchable at once.

    Send the version you reviewed (`version`, or If-Match): a sheet changed since answers 409 and is not published.
    A practice already published answers 409 (its publication date stays)."""
    reason, version = (body.reason, body.version) if body else (None, None)
    published = writes.store.set_status(
        monograph_id, Status.PUBLISHED, key.id, reason, reviewed_version(version, if_match)
    )
    return writes.answer(published, response)


@router.post("/{monograph_id}/reject", response_model=MonographPublic, summary="Refuser")
def reject(
    monograph_id: MonographId,
    body: SheetRejection,
    key: EditorDep,
    writes: WritesDep,
    response: Response,
    if_match: IfMatchDep,
) -> MonographPublic:
    """Reject a submission, with a reason the contributor will read. Send the version you reviewed (`version`, or
    If-Match): a sheet changed since answers 409 and is not rejected."""
    rejected = writes.store.set_status(
        monograph_id, Status.REJECTED, key.id, body.reason, reviewed_version(body.version, if_match)
    )
    return writes.answer(rejected, response)


@router.delete("/{monograph_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Retirer une pratique")
def delete(monograph_id: MonographId, key: EditorDep, writes: WritesDep, if_match: IfMatchDep) -> Response:
    """Archive (soft delete): gone from search at once, kept in the store, restorable by publishing. With If-Match,
    only the version named is archived (another is a 409: the practice changed since it was read). Archiving an
    archived practice changes nothing (204 again, a retry included)."""
    try:
        archived = writes.store.set_status(monograph_id, Status.ARCHIVED, key.id, expected_version=if_match.version())
        writes.wait_searchable(archived)
    except (InvalidTransition, VersionConflict):
        if writes.store.get(monograph_id).status != Status.ARCHIVED:
            raise
    return Response(status_code=status.HTTP_204_NO_CONTENT)
