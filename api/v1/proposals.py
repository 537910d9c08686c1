"""Proposed changes to published practices: their contributor proposes, an editor accepts or declines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response, status

from api.deps import EditorDep, IfMatch, IfMatchDep, KeyDep, StoreDep
from api.errors import Forbidden, NotFound
from api.http.load_shedding import SheddingRoute
from api.http.strict_query import no_unknown_query
from api.store import ApiKey, Role, Store
from api.v1.monographs import MonographId, PreconditionRequired, WritesDep, version_read, with_official_territory
from schemas.api import Acceptance, MonographPublic, ProposalPage, Rejection, error_responses
from schemas.monograph import MonographUpdate, Proposal, ProposalStatus, Status

router = APIRouter(
    route_class=SheddingRoute,
    dependencies=[Depends(no_unknown_query)],
    tags=["proposals"],
    responses=error_responses(400, 401, 403, 404, 409, 413, 415, 422, 428, 429, 503),
)


def _own(store: Store, monograph_id: str, key: ApiKey) -> None:
    """Only the practice's submitter proposes changes to it (or withdraws them). To another key, a published
    practice, which anyone reads, is a 403 saying so; an unpublished one does not exist (a 404, as an unknown id)."""
    if store.submitter_of(monograph_id) == key.id:
        return
    if store.get(monograph_id).status != Status.PUBLISHED:
        raise NotFound(f"no monograph with id {monograph_id!r}")
    if key.role == Role.EDITOR:
        raise Forbidden(
            "only the key that submitted this practice proposes or withdraws changes to it; an editor accepts or "
            f"declines them (POST /api/v1/monographs/{monograph_id}/proposal/accept or …/decline), or edits the "
            "practice"
        )
    raise Forbidden(
        "only the key that submitted this practice proposes changes to it; to report a problem with it, write to "
        "the editors"
    )


def _reviewed(if_match: IfMatch) -> int:
    """The revision of the proposal an editor reviewed (If-Match): a decision is on what they read."""
    revision = if_match.version()
    if revision is None:
        raise PreconditionRequired(
            "send the revision of the proposal you reviewed as an If-Match header (its `revision`, or the ETag of "
            "GET /monographs/{id}/proposal)"
        )
    return revision


@router.put(
    "/monographs/{monograph_id}/proposal",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Proposal,
    summary="Proposer une modification",
)
def propose(
    monograph_id: MonographId, body: MonographUpdate, key: KeyDep, store: StoreDep, if_match: IfMatchDep
) -> Proposal:
    """Propose a change to your published practice: the whole content, as for an edit, with the version you
    read (`version` or If-Match); the fields that differ from it are the proposal. Search keeps showing the
    published practice until an editor accepts the change; proposing again replaces the proposal. A stale version
    answers 409, content identical to the published one 422."""
    _own(store, monograph_id, key)
    return store.propose(monograph_id, with_official_territory(body), version_read(body, if_match), key.id)


@router.get("/monographs/{monograph_id}/proposal", response_model=Proposal, summary="Modification proposée")
def get_proposal(monograph_id: MonographId, key: KeyDep, store: StoreDep, response: Response) -> Proposal:
    """The change proposed to a practice, pending or declined (with the reason): for editors and the practice's
    submitter. Its ETag is its `revision`."""
    if key.role != Role.EDITOR:
        _own(store, monograph_id, key)
    found = store.proposal(monograph_id)
    if found is None:
        raise NotFound(f"no change is proposed to {monograph_id!r}")
    response.headers["ETag"] = f'"{found.revision}"'
    return found


@router.delete(
    "/monographs/{monograph_id}/proposal", status_code=status.HTTP_204_NO_CONTENT, summary="Retirer sa proposition"
)
def withdraw(monograph_id: MonographId, key: KeyDep, store: StoreDep, if_match: IfMatchDep) -> Response:
    """Take back your proposed change (pending or declined); the published practice is unchanged. With its
    `revision` as If-Match, only that proposal (one proposed again since answers 409)."""
    _own(store, monograph_id, key)
    store.withdraw_proposal(monograph_id, key.id, if_match.version())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/monographs/{monograph_id}/proposal/accept", response_model=MonographPublic, summary="Accepter la modification"
)
def accept(
    monograph_id: MonographId,
    key: EditorDep,
    writes: WritesDep,
    response: Response,
    if_match: IfMatchDep,
    body: Annotated[Acceptance | None, Body()] = None,
) -> MonographPublic:
    """Editors: the fields the proposal changes are applied to the published practice (other edits made since are
    kept; `conflicting_fields` names those an editor changed too, which the proposal replaces): its next version,
    searchable at once. Send the `revision` you reviewed as If-Match (428 without it) and, to be sure the practice
    is still what you compared it with, its `version`: a proposal proposed again, or a practice edited, since
    answers 409. A proposal the practice already holds is closed as accepted, the practice unchanged."""
    reviewed_version = body.version if body is not None else None
    accepted = writes.store.accept_proposal(monograph_id, key.id, _reviewed(if_match), reviewed_version)
    return writes.answer(accepted, response)


@router.post("/monographs/{monograph_id}/proposal/decline", response_model=Proposal, summary="Refuser la modification")
def decline(
    monograph_id: MonographId, body: Rejection, key: EditorDep, store: StoreDep, if_match: IfMatchDep
) -> Proposal:
    """Editors: decline the proposed change with a reason its author reads; the practice is unchanged. Send the
    `revision` you reviewed as If-Match, as to accept."""
    return store.decline_proposal(monograph_id, key.id, body.reason, _reviewed(if_match))


@router.get("/proposals", response_model=ProposalPage, summary="Modifications proposées")
def list_proposals(
    key: KeyDep,
    store: StoreDep,
    status_filter: Annotated[ProposalStatus | None, Query(alias="status")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ProposalPage:
    """Newest first. Editors see every proposal (the review queue with `status=pending`); contributors their own."""
    proposer = None if key.role == Role.EDITOR else key.id
    items, total = store.list_proposals(status_filter, proposer, page, size)
    return ProposalPage(total=total, page=page, size=size, items=items)
