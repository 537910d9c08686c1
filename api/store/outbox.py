"""The index outbox: claims shared by several processes, rejections, dead letters, maintenance leases.

A claim takes pending entries for a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so processes never
wait on each other's entries; SQLite: one writer at a time anyway). An engine that cannot be
reached releases its claim without counting an attempt; only a rejection of the document counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api.store.tables import dead_letters, locks, monographs, now, outbox

ERROR_LIMIT = 2_000


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    monograph_id: str
    attempts: int
    created_at: datetime | None = None


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    monograph_id: str
    version: int | None
    attempts: int
    error: str
    created_at: datetime
    dead_at: datetime


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    dead: int
    oldest_pending_at: datetime | None

    def oldest_pending_seconds(self, at: datetime | None = None) -> float:
        if self.oldest_pending_at is None:
            return 0.0
        return max(0.0, ((at or now()) - self.oldest_pending_at).total_seconds())


def backoff(attempts: int, base: float = 2.0, cap: float = 300.0) -> timedelta:
    """How long a rejected entry waits before its next try: 2, 4, 8… seconds, at most 5 minutes."""
    return timedelta(seconds=min(cap, base**attempts))


def enqueue_in(conn: Connection, ids: Iterable[str]) -> int:
    """Queue index work for these monographs within the caller's transaction; returns how many."""
    at = now()
    rows = [{"monograph_id": i, "created_at": at, "attempts": 0} for i in dict.fromkeys(ids)]
    if rows:
        conn.execute(outbox.insert(), rows)
    return len(rows)


class OutboxStore:
    """Pending index work: enqueue, claim, complete, release, reject, dead letters, leases."""

    engine: Engine

    def enqueue(self, ids: Iterable[str]) -> int:
        """Queue index work for these monographs (a consistency repair, a re-index)."""
        with self.engine.begin() as conn:
            return enqueue_in(conn, ids)

    def enqueue_all(self) -> int:
        """Queue every monograph for re-indexing, in one statement (a rolling rebuild through the outbox)."""
        with self.engine.begin() as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(monographs)).scalar_one()
            conn.execute(
                outbox.insert().from_select(
                    ["monograph_id", "created_at", "attempts"],
                    sa.select(monographs.c.id, sa.literal(now(), outbox.c.created_at.type), sa.literal(0)),
                )
            )
        return int(count)

    def claim(self, limit: int, owner: str, lease_seconds: float) -> list[OutboxEntry]:
        """Take up to `limit` claimable entries, oldest first, for `lease_seconds`; others skip them."""
        at = now()
        claimable = (
            sa.select(outbox.c.seq)
            .where(sa.or_(outbox.c.available_at.is_(None), outbox.c.available_at <= at))
            .order_by(outbox.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            outbox.update()
            .where(outbox.c.seq.in_(claimable.scalar_subquery()))
            .values(available_at=at + timedelta(seconds=lease_seconds), claimed_by=owner)
            .returning(outbox.c.seq, outbox.c.monograph_id, outbox.c.attempts, outbox.c.created_at)
        )
        with self.engine.begin() as conn:
            rows = conn.execute(statement).all()
        return sorted((OutboxEntry(r.seq, r.monograph_id, r.attempts, r.created_at) for r in rows), key=lambda e: e.seq)

    def complete(self, seqs: list[int]) -> None:
        """Forget entries the engine has applied."""
        if seqs:
            with self.engine.begin() as conn:
                conn.execute(outbox.delete().where(outbox.c.seq.in_(seqs)))

    # The version-1 name of `complete`.
    acknowledge = complete

    def release(self, seqs: list[int], error: str | None = None) -> None:
        """Give claimed entries back at once, without counting an attempt (the engine was unreachable)."""
        if seqs:
            with self.engine.begin() as conn:
                conn.execute(
                    outbox.update()
                    .where(outbox.c.seq.in_(seqs))
                    .values(available_at=None, claimed_by=None, last_error=error[:ERROR_LIMIT] if error else None)
                )

    def reject(self, errors: dict[int, str], max_attempts: int) -> list[int]:
        """Count one attempt for each rejected entry (seq → why); those at `max_attempts` move to the
        dead letters, the others wait a backoff. Returns the seqs that died."""
        if not errors:
            return []
        at = now()
        died: list[int] = []
        with self.engine.begin() as conn:
            rows = conn.execute(sa.select(outbox).where(outbox.c.seq.in_(list(errors)))).all()
            ids = [r.monograph_id for r in rows]
            versions: dict[str, int] = dict(
                conn.execute(sa.select(monographs.c.id, monographs.c.version).where(monographs.c.id.in_(ids))).all()
            )
            for row in rows:
                attempts, error = row.attempts + 1, errors[row.seq][:ERROR_LIMIT]
                if attempts >= max_attempts:
                    conn.execute(
                        dead_letters.insert().values(
                            seq=row.seq,
                            monograph_id=row.monograph_id,
                            version=versions.get(row.monograph_id),
                            attempts=attempts,
                            error=error,
                            created_at=row.created_at,
                            dead_at=at,
                        )
                    )
                    conn.execute(outbox.delete().where(outbox.c.seq == row.seq))
                    died.append(row.seq)
                else:
                    conn.execute(
                        outbox.update()
                        .where(outbox.c.seq == row.seq)
                        .values(
                            attempts=attempts, last_error=error, available_at=at + backoff(attempts), claimed_by=None
                        )
                    )
        return died

    def pending(self, limit: int = 500) -> list[OutboxEntry]:
        """The oldest pending entries, claimed or not (for display)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(outbox).order_by(outbox.c.seq).limit(limit)).all()
        return [OutboxEntry(r.seq, r.monograph_id, r.attempts, r.created_at) for r in rows]

    def has_pending(self, monograph_id: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(outbox.c.seq).where(outbox.c.monograph_id == monograph_id).limit(1))
            return found.first() is not None

    def pending_ids(self) -> set[str]:
        """Monographs with index work waiting (as large as the backlog, never the store)."""
        with self.engine.connect() as conn:
            return set(conn.execute(sa.select(outbox.c.monograph_id).distinct()).scalars())

    def backlog(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one())

    def outbox_stats(self) -> OutboxStats:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sa.func.count(), sa.func.min(outbox.c.created_at))).one()
            dead = conn.execute(sa.select(sa.func.count()).select_from(dead_letters)).scalar_one()
        pending: int = row[0]
        oldest: datetime | None = row[1]
        return OutboxStats(pending, int(dead), oldest)

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(dead_letters).order_by(dead_letters.c.seq).limit(limit)).all()
        return [DeadLetter(**r._mapping) for r in rows]

    def retry_dead(self, seqs: list[int] | None = None) -> int:
        """Queue dead letters again (all of them, or these seqs) as fresh entries; returns how many."""
        with self.engine.begin() as conn:
            query = sa.select(dead_letters.c.seq, dead_letters.c.monograph_id)
            if seqs is not None:
                query = query.where(dead_letters.c.seq.in_(seqs))
            rows = conn.execute(query).all()
            if not rows:
                return 0
            at = now()
            conn.execute(
                outbox.insert(), [{"monograph_id": r.monograph_id, "created_at": at, "attempts": 0} for r in rows]
            )
            conn.execute(dead_letters.delete().where(dead_letters.c.seq.in_([r.seq for r in rows])))
        return len(rows)

    # -- maintenance leases ------------------------------------------------------

    def acquire_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Take (or renew) the lease `name` for `seconds`, unless another live owner holds it."""
        at = now()
        expires = at + timedelta(seconds=seconds)
        with self.engine.begin() as conn:
            taken = conn.execute(
                locks.update()
                .where(locks.c.name == name, sa.or_(locks.c.owner == owner, locks.c.expires_at < at))
                .values(owner=owner, expires_at=expires)
            ).rowcount
        if taken == 1:
            return True
        try:
            with self.engine.begin() as conn:
                conn.execute(locks.insert().values(name=name, owner=owner, expires_at=expires))
            return True
        except sa.exc.IntegrityError:
            return False

    def release_lease(self, name: str, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(locks.delete().where(locks.c.name == name, locks.c.owner == owner))
