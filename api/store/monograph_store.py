"""Monographs: versioned rows, the status workflow, events, and the outbox entry of every write."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Connection, Engine

from api.errors import ExternalIdTaken, IdempotencyKeyReused, InvalidTransition, NotFound, VersionConflict
from api.store.database import insert_ignoring_duplicates
from api.store.tables import events, monographs, now, outbox
from indexer.french import fold
from schemas.monograph import TRANSITIONS, Monograph, MonographContent, Status


def _slug(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:limit].rstrip("-") or "pratique"


def keyset_page(columns: list[Any], status: Status | None, after: str, batch: int) -> sa.Select[Any]:
    """The `batch` rows after id `after` in id order, of one status or all: a range of the primary key or of
    `ix_monographs_status_id`, the same work on the first page as on the last, whatever the table's size."""
    query = sa.select(*columns).where(monographs.c.id > after).order_by(monographs.c.id).limit(batch)
    return query if status is None else query.where(monographs.c.status == status.value)


def to_monograph(row: Any) -> Monograph:
    return Monograph(
        **row.content,
        id=row.id,
        status=row.status,
        version=row.version,
        external_id=row.external_id,
        rejection_reason=row.rejection_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
        published_at=row.published_at,
    )


def _payload(content: MonographContent) -> dict[str, Any]:
    return content.model_dump(mode="json", exclude={"external_id", "status", "version"})


def request_hash(content: MonographContent, status: Status) -> str:
    """The fingerprint of a submission (its content as stored, and the status asked): a retry's is the same."""
    canonical = json.dumps([_payload(content), status.value], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class MonographStore:
    """Reading and writing monographs; every write enqueues its index work in the same transaction."""

    engine: Engine

    # -- reading --------------------------------------------------------------

    def get(self, monograph_id: str) -> Monograph:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(monographs).where(monographs.c.id == monograph_id)).first()
        if row is None:
            raise NotFound(f"no monograph with id {monograph_id!r}")
        return to_monograph(row)

    def exists(self, monograph_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(monographs.c.id).where(monographs.c.id == monograph_id)).first() is not None

    def submitter_of(self, monograph_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(monographs.c.submitted_by).where(monographs.c.id == monograph_id)).scalar()

    def get_many(self, ids: list[str]) -> dict[str, Monograph]:
        loaded, _ = self.load_many(ids)
        return loaded

    def load_many(self, ids: list[str]) -> tuple[dict[str, Monograph], dict[str, str]]:
        """The monographs with these ids, and for each stored row that no longer validates, why."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(monographs).where(monographs.c.id.in_(ids))).all()
        loaded: dict[str, Monograph] = {}
        broken: dict[str, str] = {}
        for row in rows:
            try:
                loaded[row.id] = to_monograph(row)
            except (ValidationError, TypeError, ValueError) as exc:
                broken[row.id] = f"stored monograph no longer validates: {exc}"[:2000]
        return loaded, broken

    def version_of(self, monograph_id: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(monographs.c.version).where(monographs.c.id == monograph_id)).scalar()

    def with_external_id(self, external_id: str, statuses: Iterable[Status], limit: int) -> list[Monograph]:
        """At most `limit` monographs in these statuses with this external id (an indexed lookup), newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(monographs)
                .where(monographs.c.external_id == external_id, monographs.c.status.in_([s.value for s in statuses]))
                .order_by(monographs.c.updated_at.desc())
                .limit(limit)
            ).all()
        return [to_monograph(r) for r in rows]

    def list_monographs(
        self,
        status: Status | None = None,
        submitted_by: str | None = None,
        page: int = 1,
        size: int = 20,
        territory_resolved: bool | None = None,
    ) -> tuple[list[Monograph], int]:
        """Newest first, optionally by status, submitter and whether the territory is an official one,
        with the total count."""
        where = []
        if status is not None:
            where.append(monographs.c.status == status.value)
        if submitted_by is not None:
            where.append(monographs.c.submitted_by == submitted_by)
        if territory_resolved is not None:
            # JSON path read portably by SQLAlchemy (JSON_EXTRACT on SQLite, #> on PostgreSQL); absent is false.
            resolved = sa.func.coalesce(
                monographs.c.content[("territory", "resolved")].as_boolean(), sa.false(), type_=sa.Boolean
            )
            where.append(resolved if territory_resolved else sa.not_(resolved))
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(monographs).where(*where)).scalar_one()
            rows = conn.execute(
                sa.select(monographs)
                .where(*where)
                .order_by(monographs.c.updated_at.desc(), monographs.c.id)
                .limit(size)
                .offset((page - 1) * size)
            ).all()
        return [to_monograph(r) for r in rows], total

    def _keyset(self, columns: list[Any], status: Status | None, batch: int) -> Iterator[Any]:
        """Rows in id order, a batch at a time (never the whole table in memory)."""
        last = ""
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(keyset_page(columns, status, last, batch)).all()
            if not rows:
                return
            yield from rows
            last = rows[-1].id

    def iter_all(self, status: Status | None = Status.PUBLISHED, batch: int = 500) -> Iterator[Monograph]:
        """Stream monographs in id order; rows that no longer validate are left out (the outbox reports them)."""
        for row in self._keyset([monographs], status, batch):
            try:
                yield to_monograph(row)
            except (ValidationError, TypeError, ValueError):
                continue

    def published_versions(self, batch: int = 5_000) -> Iterator[tuple[str, int]]:
        """(id, version) of every published monograph, in id order: what the index should hold."""
        for row in self._keyset([monographs.c.id, monographs.c.version], Status.PUBLISHED, batch):
            yield row.id, row.version

    def changed_since(self, moment: datetime, batch: int = 500) -> Iterator[Monograph]:
        """Monographs written at or after `moment`, any status (a rebuild's catch-up)."""
        last = ""
        while True:
            query = (
                sa.select(monographs)
                .where(monographs.c.updated_at >= moment, monographs.c.id > last)
                .order_by(monographs.c.id)
                .limit(batch)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return
            for row in rows:
                try:
                    yield to_monograph(row)
                except (ValidationError, TypeError, ValueError):
                    continue
            last = rows[-1].id

    def count(self, status: Status | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(monographs)
        if status is not None:
            query = query.where(monographs.c.status == status.value)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def state(self) -> tuple[int, datetime | None]:
        """What changes whenever any monograph does: the row count and the latest `updated_at`.

        Every write sets `updated_at` and rows are never deleted; the count catches a restore of rows
        older than the latest one. Two index lookups, whatever the store's size (validators of exports).
        """
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sa.func.count(), sa.func.max(monographs.c.updated_at))).one()
        return int(row[0]), row[1]

    def counts_by_status(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(monographs.c.status, sa.func.count()).group_by(monographs.c.status)).all()
        return {status.value: 0 for status in Status} | {row[0]: row[1] for row in rows}

    # -- writing --------------------------------------------------------------

    @staticmethod
    def _enqueue(conn: Connection, monograph_id: str, at: datetime) -> None:
        conn.execute(outbox.insert().values(monograph_id=monograph_id, created_at=at, attempts=0))

    @staticmethod
    def _event(
        conn: Connection,
        monograph_id: str,
        action: str,
        actor: str | None,
        status: str,
        version: int,
        reason: str | None,
        at: datetime,
    ) -> None:
        conn.execute(
            events.insert().values(
                monograph_id=monograph_id,
                action=action,
                actor=actor,
                status=status,
                version=version,
                reason=reason,
                at=at,
            )
        )

    def find_existing(
        self, submitted_by: str | None, external_id: str | None, idempotency_key: str | None
    ) -> Monograph | None:
        """The monograph this submitter already created with this external id or idempotency key."""
        row = self._existing_row(submitted_by, external_id, idempotency_key)
        return to_monograph(row) if row else None

    def _existing_row(
        self, submitted_by: str | None, external_id: str | None, idempotency_key: str | None
    ) -> sa.Row[Any] | None:
        clauses = []
        if external_id:
            clauses.append(monographs.c.external_id == external_id)
        if idempotency_key:
            clauses.append(monographs.c.idempotency_key == idempotency_key)
        if not clauses:
            return None
        owner = (
            monographs.c.submitted_by.is_(None) if submitted_by is None else monographs.c.submitted_by == submitted_by
        )
        with self.engine.connect() as conn:
            return conn.execute(sa.select(monographs).where(owner, sa.or_(*clauses))).first()

    def _replayed(self, row: sa.Row[Any], fingerprint: str, idempotency_key: str | None) -> Monograph:
        """The practice a submission sent again created, unless the first one had other content: then the new
        content would be lost without a word, and the caller is told why instead."""
        if row.request_hash is None or row.request_hash == fingerprint:
            return to_monograph(row)
        where = {"id": row.id, "version": row.version, "status": row.status}
        if idempotency_key and row.idempotency_key == idempotency_key:
            raise IdempotencyKeyReused(
                f"this Idempotency-Key was used for another submission (monograph {row.id!r}): a retry must send "
                "the same body; send a new key for a new submission",
                where,
            )
        raise ExternalIdTaken(
            f"external_id {row.external_id!r} is monograph {row.id!r}, submitted with other content: change it "
            f"with PUT /api/v1/monographs/{row.id} and its version",
            where,
        )

    def create(
        self,
        content: MonographContent,
        status: Status,
        submitted_by: str | None,
        external_id: str | None = None,
        idempotency_key: str | None = None,
        monograph_id: str | None = None,
        published_at: datetime | None = None,
    ) -> tuple[Monograph, bool]:
        """Insert a monograph; returns (monograph, created). An existing one with the same
        submitter and external id or idempotency key is returned instead, unchanged.
        `monograph_id` keeps an exported id on re-import; otherwise one is made from the title.
        `published_at` keeps an exported publication date (a published monograph only; now otherwise)."""
        external_id, idempotency_key = external_id or None, idempotency_key or None
        fingerprint = request_hash(content, status)
        existing = self._existing_row(submitted_by, external_id, idempotency_key)
        if existing:
            return self._replayed(existing, fingerprint, idempotency_key), False
        at = now()
        if monograph_id is None:
            seed = external_id and f"{submitted_by or ''}:{external_id}"
            token = hashlib.sha256(seed.encode()).hexdigest()[:8] if seed else secrets.token_hex(4)
            monograph_id = f"{_slug(content.title)}-{token}"
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    monographs.insert().values(
                        id=monograph_id,
                        status=status.value,
                        version=1,
                        submitted_by=submitted_by,
                        external_id=external_id,
                        idempotency_key=idempotency_key,
                        request_hash=fingerprint,
                        content=_payload(content),
                        created_at=at,
                        updated_at=at,
                        published_at=min(published_at or at, at) if status == Status.PUBLISHED else None,
                    )
                )
                self._event(conn, monograph_id, "create", submitted_by, status.value, 1, None, at)
                self._enqueue(conn, monograph_id, at)
        except sa.exc.IntegrityError:
            # A concurrent twin of this submission won the race: answer with it.
            existing = self._existing_row(submitted_by, external_id, idempotency_key)
            if existing:
                return self._replayed(existing, fingerprint, idempotency_key), False
            raise
        return self.get(monograph_id), True

    def restore(self, items: Iterable[Monograph], batch: int = 1_000) -> int:
        """Insert monographs exactly as given (ids, versions, dates), in large transactions.

        For restores and benchmarks at scale: no outbox entries are written, so rebuild the
        index afterwards. Ids already present are left untouched. Returns rows inserted.
        """
        inserted = 0
        rows: list[dict[str, Any]] = []

        def flush() -> int:
            with self.engine.begin() as conn:
                count = insert_ignoring_duplicates(conn, monographs, rows)
            rows.clear()
            return count

        for monograph in items:
            rows.append(
                {
                    "id": monograph.id,
                    "status": monograph.status.value,
                    "version": monograph.version,
                    "submitted_by": "restore",
                    "external_id": monograph.external_id,
                    "idempotency_key": None,
                    "content": monograph.content().model_dump(mode="json"),
                    "rejection_reason": monograph.rejection_reason,
                    "created_at": monograph.created_at,
                    "updated_at": monograph.updated_at,
                    "published_at": monograph.published_at,
                }
            )
            if len(rows) >= batch:
                inserted += flush()
        return inserted + flush()

    def update(
        self,
        monograph_id: str,
        content: MonographContent,
        expected_version: int,
        actor: str | None,
        status: Status | None = None,
    ) -> Monograph:
        """Replace the content if `expected_version` is current; the version goes up by one.

        Editing a rejected monograph (without asking for another status) sends it back to moderation:
        it becomes `submitted` again and its rejection reason is cleared (the history keeps it)."""
        current = self.get(monograph_id)
        if current.version != expected_version:
            raise VersionConflict(
                f"version {expected_version} is stale: the monograph is at version {current.version}; "
                "read it again and reapply your change",
                {"current_version": current.version},
            )
        new_status = status or (Status.SUBMITTED if current.status == Status.REJECTED else current.status)
        self._check_transition(current.status, new_status)
        at = now()
        values: dict[str, Any] = {
            "content": _payload(content),
            "version": current.version + 1,
            "updated_at": at,
            "status": new_status.value,
        }
        if current.status == Status.REJECTED and new_status != Status.REJECTED:
            values["rejection_reason"] = None
        if new_status == Status.PUBLISHED and current.status != Status.PUBLISHED:
            values["published_at"] = at
        self._guarded_write(
            monograph_id,
            expected_version,
            values,
            "update",
            actor,
            None,
            at,
            self._leaving(current, new_status, actor, at),
        )
        return self.get(monograph_id)

    def _leaving(
        self, current: Monograph, status: Status, actor: str | None, at: datetime
    ) -> Callable[[Connection], None] | None:
        """What a write moving `current` to `status` also does: leaving publication, `_unpublished`."""
        if current.status != Status.PUBLISHED or status == Status.PUBLISHED:
            return None
        return lambda conn: self._unpublished(conn, current.id, actor, at, status, current.version + 1)

    def _unpublished(
        self, conn: Connection, monograph_id: str, actor: str | None, at: datetime, status: Status, version: int
    ) -> None:
        """A published practice stops being published, in the write's transaction (what depends on it being
        published follows: `ProposalStore`)."""

    @staticmethod
    def _check_transition(old: Status, new: Status) -> None:
        if old != new and new not in TRANSITIONS[old]:
            allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old]))
            raise InvalidTransition(f"a {old.value} monograph cannot become {new.value}; allowed: {allowed}")

    def _guarded_write(
        self,
        monograph_id: str,
        expected_version: int,
        values: dict[str, Any],
        action: str,
        actor: str | None,
        reason: str | None,
        at: datetime,
        also: Callable[[Connection], None] | None = None,
    ) -> None:
        """Writes `values` if the row is still at `expected_version`, with its event and outbox entry, and `also`
        (another table's part of the same change), in one transaction."""
        with self.engine.begin() as conn:
            result = conn.execute(
                monographs.update()
                .where(monographs.c.id == monograph_id, monographs.c.version == expected_version)
                .values(**values)
            )
            if result.rowcount != 1:
                raise VersionConflict(
                    f"monograph {monograph_id!r} changed meanwhile; read it again and retry",
                    {"expected_version": expected_version},
                )
            self._event(conn, monograph_id, action, actor, values["status"], values["version"], reason, at)
            self._enqueue(conn, monograph_id, at)
            if also is not None:
                also(conn)

    def set_status(
        self,
        monograph_id: str,
        status: Status,
        actor: str | None,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Monograph:
        """Move a monograph through the workflow (publish, reject, archive, restore). A monograph already in
        `status` is a conflict (a decision taken twice, by two editors or a retry, would date it again and write a
        second event), but for a rejection with a new reason, which replaces the reason."""
        current = self.get(monograph_id)
        if expected_version is not None and current.version != expected_version:
            raise VersionConflict(
                f"version {expected_version} is stale: the monograph is at version {current.version}",
                {"current_version": current.version, "status": current.status.value},
            )
        if current.status == status and not (status == Status.REJECTED and reason != current.rejection_reason):
            raise InvalidTransition(
                f"the monograph is already {status.value}: nothing changed", {"status": current.status.value}
            )
        self._check_transition(current.status, status)
        at = now()
        values: dict[str, Any] = {"status": status.value, "version": current.version + 1, "updated_at": at}
        if status == Status.PUBLISHED:
            values["published_at"] = at
            values["rejection_reason"] = None
        if status == Status.REJECTED:
            values["rejection_reason"] = reason
        self._guarded_write(
            monograph_id,
            current.version,
            values,
            status.value,
            actor,
            reason,
            at,
            self._leaving(current, status, actor, at),
        )
        return self.get(monograph_id)

    def history_page(self, monograph_id: str, page: int, size: int) -> tuple[list[dict[str, Any]], int]:
        """A page of the monograph's events, newest first, with their count."""
        where = events.c.monograph_id == monograph_id
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(events).where(where)).scalar_one()
            rows = conn.execute(
                sa.select(events).where(where).order_by(events.c.seq.desc()).limit(size).offset((page - 1) * size)
            ).all()
        return [dict(row._mapping) for row in rows], int(total)

    def history(self, monograph_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(events).where(events.c.monograph_id == monograph_id).order_by(events.c.seq)
            ).all()
        return [dict(row._mapping) for row in rows]
