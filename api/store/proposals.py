"""Proposed changes to published practices: a contributor proposes, an editor accepts or declines.

Search keeps the published content while a proposal waits: only accepting it writes the monograph (its next
version, with its event and outbox entry, the proposal's row removed in the same transaction). Proposing,
withdrawing and declining leave the monograph and the index as they are; each is an event of its history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.errors import DomainError, InvalidTransition, NotFound, VersionConflict
from api.store.database import upsert
from api.store.monograph_store import MonographStore, _payload
from api.store.tables import now, proposals
from schemas.monograph import Monograph, MonographContent, Proposal, ProposalStatus, Status


class NoChange(DomainError):
    status_code = 422
    code = "no_change"


def _proposal(row: Any, published: Monograph) -> Proposal:
    content = MonographContent.model_validate(row.content)
    return Proposal(
        monograph_id=row.monograph_id,
        title=published.title,
        status=row.status,
        content=content,
        base_version=row.base_version,
        current_version=published.version,
        proposed_at=row.proposed_at,
        reason=row.reason,
        decided_at=row.decided_at,
        changed_fields=Proposal.changes(published.content(), content),
    )


class ProposalStore(MonographStore):
    """Proposals beside the monographs they would change."""

    def proposal(self, monograph_id: str) -> Proposal | None:
        """The practice's proposal, pending or declined; None when it has none."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(proposals).where(proposals.c.monograph_id == monograph_id)).first()
        return _proposal(row, self.get(monograph_id)) if row is not None else None

    def list_proposals(
        self, status: ProposalStatus | None, proposed_by: str | None, page: int, size: int
    ) -> tuple[list[Proposal], int]:
        """Newest first, optionally of one status and one contributor, with the total count (a page: at most
        `size` rows and the monographs they change read)."""
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
        return [_proposal(row, published[row.monograph_id]) for row in rows if row.monograph_id in published], total

    def propose(self, monograph_id: str, content: MonographContent, base_version: int, actor: str | None) -> Proposal:
        """Record (or replace) the proposed content of a published practice, read at `base_version`."""
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
        if not Proposal.changes(current.content(), content):
            raise NoChange("the proposed content is the published one: change at least one field")
        at = now()
        row = {
            "monograph_id": monograph_id,
            "status": ProposalStatus.PENDING.value,
            "content": _payload(content),
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
        found = self.proposal(monograph_id)
        assert found is not None
        return found

    def _pending(self, monograph_id: str) -> Proposal:
        found = self.proposal(monograph_id)
        if found is None or found.status != ProposalStatus.PENDING:
            raise NotFound(f"no proposed change awaits review for {monograph_id!r}")
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

    def accept_proposal(self, monograph_id: str, actor: str | None) -> Monograph:
        """The proposal becomes the published practice's next version (searchable through the outbox)."""
        proposal = self._pending(monograph_id)
        current = self.get(monograph_id)
        if current.status != Status.PUBLISHED:
            raise InvalidTransition(f"the practice is {current.status.value}: publish it again before accepting")
        if current.version != proposal.base_version:
            raise VersionConflict(
                f"the practice was edited after this proposal (version {proposal.base_version} → {current.version}): "
                "decline it, or ask its author to propose it again on the current version",
                {"current_version": current.version, "base_version": proposal.base_version},
            )
        at = now()
        values = {"content": _payload(proposal.content), "version": current.version + 1, "updated_at": at}
        values["status"] = current.status.value
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

    def decline_proposal(self, monograph_id: str, actor: str | None, reason: str) -> Proposal:
        """The proposal is declined with a reason its author reads; the practice is unchanged."""
        proposal = self._pending(monograph_id)
        current = self.get(monograph_id)
        at = now()
        values = {"status": ProposalStatus.DECLINED.value, "reason": reason, "decided_by": actor, "decided_at": at}
        with self.engine.begin() as conn:
            self._settle(conn, monograph_id, proposal.proposed_at, values)
            self._event(
                conn, monograph_id, "proposal_declined", actor, current.status.value, current.version, reason, at
            )
        found = self.proposal(monograph_id)
        assert found is not None
        return found

    def withdraw_proposal(self, monograph_id: str, actor: str | None) -> None:
        """Its author takes back a pending or declined proposal."""
        current, at = self.get(monograph_id), now()
        with self.engine.begin() as conn:
            removed = conn.execute(proposals.delete().where(proposals.c.monograph_id == monograph_id)).rowcount
            if not removed:
                raise NotFound(f"no proposed change to {monograph_id!r}")
            status, version = current.status.value, current.version
            self._event(conn, monograph_id, "proposal_withdrawn", actor, status, version, None, at)
