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
from api.store.api_keys import key_records
from api.store.database import upsert
from api.store.monograph_store import MonographStore, _payload
from api.store.tables import monographs, now, proposals
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


def _proposal(row: Any, published: Monograph, author: tuple[str, bool] | None) -> Proposal | None:
    """The proposal of `row` on the practice as published now; None (logged) when it no longer makes a valid
    practice with it, or its row is not one this code wrote."""
    current = published.content()
    shown = current.model_dump(mode="json")
    try:
        changes = {name: (change["from"], change["to"]) for name, change in dict(row.changes).items()}
        content = MonographContent.model_validate(shown | {name: to for name, (_, to) in changes.items()})
        changed = Proposal.changes(current, content)
        return Proposal(
            monograph_id=row.monograph_id,
            title=published.title,
            status=row.status,
            revision=revision_of(row.proposed_at),
            content=content,
            changed_fields=list(changed),
            published_values={name: shown.get(name) for name in changed},
            # Changed by an editor too since the proposal (neither its value then nor the proposed one).
            conflicting_fields=[name for name in changed if shown.get(name) != changes[name][0]],
            base_version=row.base_version,
            current_version=published.version,
            practice_status=published.status,
            author=author[0] if author else None,
            author_revoked=bool(author and author[1]),
            proposed_at=row.proposed_at,
            reason=row.reason,
            decided_at=row.decided_at,
        )
    except (ValidationError, TypeError, ValueError, KeyError, AttributeError) as exc:
        log.warning("proposal for %s cannot be read: %s", row.monograph_id, exc)
        return None


class ProposalStore(MonographStore):
    """Proposals beside the monographs they would change."""

    def proposal(self, monograph_id: str) -> Proposal | None:
        """The practice's proposal, pending or declined; None when it has none."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(proposals).where(proposals.c.monograph_id == monograph_id)).first()
        if row is None:
            return None
        return _proposal(row, self.get(monograph_id), key_records(self.engine, [row.proposed_by]).get(row.proposed_by))

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
        names = key_records(self.engine, [row.proposed_by for row in rows])
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
        before = current.content().model_dump(mode="json")
        changed = Proposal.changes(current.content(), content)
        if not changed:
            raise NoChange("the proposed content is the published one: change at least one field")
        at = now()
        row = {
            "monograph_id": monograph_id,
            "status": ProposalStatus.PENDING.value,
            # Each changed field's value when proposed and the proposed one: an editor's edit of it since shows.
            "changes": {name: {"from": before.get(name), "to": to} for name, to in changed.items()},
            "base_version": base_version,
            "proposed_by": actor,
            "proposed_at": at,
            "reason": None,
            "decided_by": None,
            "decided_at": None,
        }
        proposal = _proposal(SimpleNamespace(**row), current, key_records(self.engine, [actor]).get(actor or ""))
        if proposal is None:  # pragma: no cover - validated content, and the row is this code's
            raise NoChange("the proposed content cannot be read back")
        with self.engine.begin() as conn:
            # First, and guarded: still published at the version read (an archive racing it loses or waits), the
            # practice's row locked until the proposal is written.
            still = conn.execute(
                monographs.update()
                .where(
                    monographs.c.id == monograph_id,
                    monographs.c.version == base_version,
                    monographs.c.status == Status.PUBLISHED.value,
                )
                .values(version=monographs.c.version)
            )
            if still.rowcount != 1:
                raise VersionConflict(f"the practice {monograph_id!r} changed meanwhile; read it again")
            upsert(conn, proposals, [row])
            self._event(conn, monograph_id, "propose", actor, current.status.value, current.version, None, at)
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

    def accept_proposal(
        self, monograph_id: str, actor: str | None, revision: int, reviewed_version: int | None = None
    ) -> Monograph:
        """The proposal's fields applied to the published practice: its next version (searchable through the
        outbox). `reviewed_version`: the practice's version the editor compared it with (a practice edited since
        is a conflict). A proposal whose every value the practice already holds (an editor applied it) is closed
        as accepted, the practice unchanged."""
        proposal = self._reviewed(monograph_id, revision)
        current = self.get(monograph_id)
        if current.status != Status.PUBLISHED:
            raise InvalidTransition(f"the practice is {current.status.value}: publish it again before accepting")
        if current.version != proposal.current_version or reviewed_version not in (None, current.version):
            raise VersionConflict(
                "the practice was edited since you compared the proposal with it: review it again",
                {"current_version": current.version},
            )
        at = now()
        settle = lambda conn: self._settle(conn, monograph_id, proposal.proposed_at, None)  # noqa: E731
        if not proposal.changed_fields:
            with self.engine.begin() as conn:
                settle(conn)
                status, version = current.status.value, current.version
                self._event(conn, monograph_id, "proposal_accepted", actor, status, version, None, at)
            return current
        values = {
            "content": _payload(proposal.content),
            "version": current.version + 1,
            "updated_at": at,
            "status": current.status.value,
        }
        self._guarded_write(monograph_id, current.version, values, "proposal_accepted", actor, None, at, also=settle)
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

    def withdraw_proposal(self, monograph_id: str, actor: str | None, revision: int | None = None) -> None:
        """Its author takes back a pending or declined proposal (the one of `revision`, when given: a page left open
        never takes back one proposed since)."""
        current, at = self.get(monograph_id), now()
        where = [proposals.c.monograph_id == monograph_id]
        if revision is not None:
            where.append(proposals.c.proposed_at == EPOCH + timedelta(microseconds=revision))
        with self.engine.begin() as conn:
            removed = conn.execute(proposals.delete().where(*where)).rowcount
            if not removed:
                if revision is not None and self.proposal(monograph_id) is not None:
                    raise VersionConflict("the proposal was proposed again since you read it: read it again")
                raise NotFound(f"no proposed change to {monograph_id!r}")
            status, version = current.status.value, current.version
            self._event(conn, monograph_id, "proposal_withdrawn", actor, status, version, None, at)

    def _unpublished(
        self, conn: Connection, monograph_id: str, actor: str | None, at: datetime, status: Status, version: int
    ) -> None:
        """The practice stops being published (in the caller's transaction, which makes it `status` at `version`):
        its pending proposal is declined, with `UNPUBLISHED` as its reason (its author reads it, and may withdraw it
        or propose again once republished), and its history says so."""
        declined = conn.execute(
            proposals.update()
            .where(proposals.c.monograph_id == monograph_id, proposals.c.status == ProposalStatus.PENDING.value)
            .values(status=ProposalStatus.DECLINED.value, reason=UNPUBLISHED, decided_by=actor, decided_at=at)
        ).rowcount
        if declined:
            self._event(conn, monograph_id, "proposal_declined", actor, status.value, version, UNPUBLISHED, at)
