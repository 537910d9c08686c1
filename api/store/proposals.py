"""Proposed changes to published practices: a contributor proposes, an editor accepts or declines.

A proposal keeps only the fields its author changed. Search keeps the published content while it waits: only
accepting it writes the monograph (those fields applied to its current content, an editor's edits since kept: its
next version, with its event and outbox entry, the proposal's row removed in the same transaction). Proposing,
withdrawing and declining leave the monograph and the index as they are; each is an event of its history. A
practice that stops being published (archived, sent back to moderation) has its pending proposal declined in the
same transaction (`_unpublished`).

An editor decides on the proposal they reviewed: its `revision` (the time it was proposed, in microseconds) must
still be the proposal's, so one proposed again meanwhile is a conflict, never accepted unseen.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from api.errors import DomainError, InvalidTransition, NotFound, VersionConflict
from api.store.api_keys import key_names
from api.store.database import upsert
from api.store.monograph_store import MonographStore, _payload
from api.store.tables import now, proposals
from schemas.monograph import Monograph, MonographContent, Proposal, ProposalStatus, Status

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The reason a pending proposal is given when its practice stops being published.
UNPUBLISHED = "La fiche n'est plus publiée : la modification proposée n'a pas été relue."


class NoChange(DomainError):
    status_code = 422
    code = "no_change"


def revision_of(proposed_at: datetime) -> int:
    return (proposed_at - EPOCH) // timedelta(microseconds=1)


def _proposal(row: Any, published: Monograph, author: str | None) -> Proposal | None:
    """The proposal of `row` on the practice as published now; None (logged) when its fields no longer make a
    valid practice with it."""
    current = published.content()
    try:
        content = MonographContent.model_validate(current.model_dump(mode="json") | dict(row.changes))
    except (ValidationError, TypeError, ValueError) as exc:
        log.warning("proposal for %s no longer validates: %s", row.monograph_id, exc)
        return None
    changed = Proposal.changes(current, content)
    shown = current.model_dump(mode="json")
    return Proposal(
        monograph_id=row.monograph_id,
        title=published.title,
        status=row.status,
        revision=revision_of(row.proposed_at),
        content=content,
        changed_fields=list(changed),
        published_values={name: shown.get(name) for name in changed},
        base_version=row.base_version,
        current_version=published.version,
        practice_status=published.status,
        author=author,
        proposed_at=row.proposed_at,
        reason=row.reason,
        decided_at=row.decided_at,
    )


class ProposalStore(MonographStore):
    """Proposals beside the monographs they would change."""

    def proposal(self, monograph_id: str) -> Proposal | None:
        """The practice's proposal, pending or declined; None when it has none."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(proposals).where(proposals.c.monograph_id == monograph_id)).first()
        if row is None:
            return None
        return _proposal(row, self.get(monograph_id), key_names(self.engine, [row.proposed_by]).get(row.proposed_by))

    def list_proposals(
        self, status: ProposalStatus | None, proposed_by: str | None, page: int, size: int
    ) -> tuple[list[Proposal], int]:
        """Newest first, optionally of one status and one contributor, with the total count (a page: at most
        `size` rows, the practices they change and their authors' names read)."""
        where = []
        if status is not None:
            where.append(proposals.c.status == status.value)
        if proposed_by is not None:
            where.append(proposals.c.proposed_by == proposed_by)
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(proposals).where(*where)).scalar_one()
            rows = conn.execute(
                sa.select(proposals)
                .where(*where)
                .order_by(proposals.c.proposed_at.desc(), proposals.c.monograph_id)
                .limit(size)
                .offset((page - 1) * size)
            ).all()
        published = self.get_many([row.monograph_id for row in rows])
        names = key_names(self.engine, [row.proposed_by for row in rows])
        found = [
            _proposal(row, published[row.monograph_id], names.get(row.proposed_by))
            for row in rows
            if row.monograph_id in published
        ]
        return [p for p in found if p is not None], total

    def propose(self, monograph_id: str, content: MonographContent, base_version: int, actor: str | None) -> Proposal:
        """Record (or replace) the change of a published practice read at `base_version`: the fields that differ."""
        current = self.get(monograph_id)
        if current.status != Status.PUBLISHED:
            raise InvalidTransition(
                f"only a published practice takes proposed changes; this one is {current.status.value}: edit it instead"
            )
        if current.version != base_version:
            raise VersionConflict(
                f"version {base_version} is stale: the practice is at version {current.version}; "
                "read it again and reapply your change",
                {"current_version": current.version},
            )
        changes = Proposal.changes(current.content(), content)
        if not changes:
            raise NoChange("the proposed content is the published one: change at least one field")
        at = now()
        row = {
            "monograph_id": monograph_id,
            "status": ProposalStatus.PENDING.value,
            "changes": changes,
            "base_version": base_version,
            "proposed_by": actor,
            "proposed_at": at,
            "reason": None,
            "decided_by": None,
            "decided_at": None,
        }
        with self.engine.begin() as conn:
            upsert(conn, proposals, [row])
            self._event(conn, monograph_id, "propose", actor, current.status.value, current.version, None, at)
        proposal = _proposal(SimpleNamespace(**row), current, key_names(self.engine, [actor]).get(actor or ""))
        assert proposal is not None  # validated just now
        return proposal

    def _reviewed(self, monograph_id: str, revision: int) -> Proposal:
        """The pending proposal the editor reviewed (`revision`)."""
        found = self.proposal(monograph_id)
        if found is None or found.status != ProposalStatus.PENDING:
            raise NotFound(f"no proposed change awaits review for {monograph_id!r}")
        if found.revision != revision:
            raise VersionConflict(
                "the proposal was proposed again since you read it: review it again",
                {"current_revision": found.revision},
            )
        return found

    @staticmethod
    def _settle(conn: Connection, monograph_id: str, proposed_at: datetime, values: dict[str, Any] | None) -> None:
        """Removes (`values` None) or updates the pending proposal made at `proposed_at`: one replaced, withdrawn
        or decided meanwhile is a conflict (the transaction is rolled back)."""
        where = (
            proposals.c.monograph_id == monograph_id,
            proposals.c.status == ProposalStatus.PENDING.value,
            proposals.c.proposed_at == proposed_at,
        )
        if values is None:
            result = conn.execute(proposals.delete().where(*where))
        else:
            result = conn.execute(proposals.update().where(*where).values(**values))
        if result.rowcount != 1:
            raise VersionConflict(f"the proposed change to {monograph_id!r} changed meanwhile; read it again")

    def accept_proposal(self, monograph_id: str, actor: str | None, revision: int) -> Monograph:
        """The proposal's fields applied to the published practice: its next version (searchable through the
        outbox)."""
        proposal = self._reviewed(monograph_id, revision)
        current = self.get(monograph_id)
        if current.status != Status.PUBLISHED:
            raise InvalidTransition(f"the practice is {current.status.value}: publish it again before accepting")
        if current.version != proposal.current_version or not proposal.changed_fields:
            # Edited between the two reads, or already holding every proposed value.
            raise VersionConflict(
                "the practice changed since the proposal was read, or already holds it: review it again",
                {"current_version": current.version},
            )
        at = now()
        values = {
            "content": _payload(proposal.content),
            "version": current.version + 1,
            "updated_at": at,
            "status": current.status.value,
        }
        self._guarded_write(
            monograph_id,
            current.version,
            values,
            "proposal_accepted",
            actor,
            None,
            at,
            also=lambda conn: self._settle(conn, monograph_id, proposal.proposed_at, None),
        )
        return self.get(monograph_id)

    def decline_proposal(self, monograph_id: str, actor: str | None, reason: str, revision: int) -> Proposal:
        """The proposal is declined with a reason its author reads; the practice is unchanged."""
        proposal = self._reviewed(monograph_id, revision)
        current = self.get(monograph_id)
        at = now()
        values = {"status": ProposalStatus.DECLINED.value, "reason": reason, "decided_by": actor, "decided_at": at}
        with self.engine.begin() as conn:
            self._settle(conn, monograph_id, proposal.proposed_at, values)
            self._event(
                conn, monograph_id, "proposal_declined", actor, current.status.value, current.version, reason, at
            )
        return proposal.model_copy(update={"status": ProposalStatus.DECLINED, "reason": reason, "decided_at": at})

    def withdraw_proposal(self, monograph_id: str, actor: str | None) -> None:
        """Its author takes back a pending or declined proposal."""
        current, at = self.get(monograph_id), now()
        with self.engine.begin() as conn:
            removed = conn.execute(proposals.delete().where(proposals.c.monograph_id == monograph_id)).rowcount
            if not removed:
                raise NotFound(f"no proposed change to {monograph_id!r}")
            status, version = current.status.value, current.version
            self._event(conn, monograph_id, "proposal_withdrawn", actor, status, version, None, at)

    def _unpublished(self, conn: Connection, monograph_id: str, actor: str | None, at: datetime) -> None:
        """The practice stops being published (in the caller's transaction): its pending proposal is declined, with
        `UNPUBLISHED` as its reason (its author reads it, and may withdraw it or propose again once republished)."""
        conn.execute(
            proposals.update()
            .where(proposals.c.monograph_id == monograph_id, proposals.c.status == ProposalStatus.PENDING.value)
            .values(status=ProposalStatus.DECLINED.value, reason=UNPUBLISHED, decided_by=actor, decided_at=at)
        )
