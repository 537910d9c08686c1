"""The system of record: monographs, their pending index operations, and API keys.

SQLite by default (WAL, synchronous=FULL); any SQLAlchemy URL (PostgreSQL) works the same.
Every write that changes what search should show also records an outbox entry in the same
transaction, so a committed write always reaches the index eventually.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from api.errors import InvalidTransition, NotFound, VersionConflict
from indexer.french import fold
from schemas.monograph import TRANSITIONS, Monograph, MonographContent, Status

metadata = sa.MetaData()

monographs = sa.Table(
    "monographs",
    metadata,
    sa.Column("id", sa.String(120), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("submitted_by", sa.String(64), nullable=True, index=True),
    sa.Column("external_id", sa.String(200), nullable=True),
    sa.Column("idempotency_key", sa.String(200), nullable=True),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("rejection_reason", sa.Text, nullable=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False, index=True),
    sa.Column("published_at", sa.String(40), nullable=True),
    sa.UniqueConstraint("submitted_by", "external_id", name="uq_submitter_external_id"),
    sa.UniqueConstraint("submitted_by", "idempotency_key", name="uq_submitter_idempotency_key"),
)

outbox = sa.Table(
    "index_outbox",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("monograph_id", sa.String(120), nullable=False, index=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("revoked_at", sa.String(40), nullable=True),
)

events = sa.Table(
    "monograph_events",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("monograph_id", sa.String(120), nullable=False, index=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(64), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("at", sa.String(40), nullable=False),
)


# Partner embed presets (see api/routes/presets.py): the content is validated JSON, the store only keeps it.
embed_presets = sa.Table(
    "embed_presets",
    metadata,
    sa.Column("slug", sa.String(60), primary_key=True),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
)


class Role(StrEnum):
    CONTRIBUTOR = "contributor"
    EDITOR = "editor"


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    role: Role
    created_at: str
    revoked_at: str | None = None


@dataclass(frozen=True)
class PresetRecord:
    slug: str
    content: dict[str, Any]
    version: int
    updated_by: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    monograph_id: str
    attempts: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _slug(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:limit].rstrip("-") or "pratique"


def hash_key(plaintext: str) -> str:
    # Keys are 256-bit random tokens, so a plain SHA-256 is enough: no dictionary to guess from.
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    """Durable monographs with versions, status workflow, outbox and API keys."""

    def __init__(self, url: str):
        self.url = url
        self.engine: Engine = sa.create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- reading --------------------------------------------------------------

    @staticmethod
    def _to_monograph(row: Any) -> Monograph:
        data = json.loads(row.content)
        return Monograph(
            **data,
            id=row.id,
            status=row.status,
            version=row.version,
            external_id=row.external_id,
            rejection_reason=row.rejection_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
            published_at=row.published_at,
        )

    def get(self, monograph_id: str) -> Monograph:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(monographs).where(monographs.c.id == monograph_id)).first()
        if row is None:
            raise NotFound(f"no monograph with id {monograph_id!r}")
        return self._to_monograph(row)

    def exists(self, monograph_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(monographs.c.id).where(monographs.c.id == monograph_id)).first() is not None

    def submitter_of(self, monograph_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(monographs.c.submitted_by).where(monographs.c.id == monograph_id)).scalar()

    def get_many(self, ids: list[str]) -> dict[str, Monograph]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(monographs).where(monographs.c.id.in_(ids))).all()
        return {row.id: self._to_monograph(row) for row in rows}

    def list_monographs(
        self, status: Status | None = None, submitted_by: str | None = None, page: int = 1, size: int = 20
    ) -> tuple[list[Monograph], int]:
        """Newest first, optionally by status and submitter, with the total count."""
        where = []
        if status is not None:
            where.append(monographs.c.status == status.value)
        if submitted_by is not None:
            where.append(monographs.c.submitted_by == submitted_by)
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(monographs).where(*where)).scalar_one()
            rows = conn.execute(
                sa.select(monographs)
                .where(*where)
                .order_by(monographs.c.updated_at.desc(), monographs.c.id)
                .limit(size)
                .offset((page - 1) * size)
            ).all()
        return [self._to_monograph(r) for r in rows], total

    def iter_all(self, status: Status | None = Status.PUBLISHED, batch: int = 500) -> Iterator[Monograph]:
        """Stream monographs in id order, a batch at a time (never the whole table in memory)."""
        last = ""
        while True:
            query = sa.select(monographs).where(monographs.c.id > last).order_by(monographs.c.id).limit(batch)
            if status is not None:
                query = query.where(monographs.c.status == status.value)
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return
            for row in rows:
                yield self._to_monograph(row)
            last = rows[-1].id

    def count(self, status: Status | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(monographs)
        if status is not None:
            query = query.where(monographs.c.status == status.value)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def counts_by_status(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(monographs.c.status, sa.func.count()).group_by(monographs.c.status)).all()
        return {status.value: 0 for status in Status} | {row[0]: row[1] for row in rows}

    # -- writing --------------------------------------------------------------

    def _enqueue(self, conn: Connection, monograph_id: str, now: str) -> None:
        conn.execute(outbox.insert().values(monograph_id=monograph_id, created_at=now, attempts=0))

    def _event(
        self,
        conn: Connection,
        monograph_id: str,
        action: str,
        actor: str | None,
        status: str,
        version: int,
        reason: str | None,
        now: str,
    ) -> None:
        conn.execute(
            events.insert().values(
                monograph_id=monograph_id,
                action=action,
                actor=actor,
                status=status,
                version=version,
                reason=reason,
                at=now,
            )
        )

    def find_existing(
        self, submitted_by: str | None, external_id: str | None, idempotency_key: str | None
    ) -> Monograph | None:
        """The monograph this submitter already created with this external id or idempotency key."""
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
            row = conn.execute(sa.select(monographs).where(owner, sa.or_(*clauses))).first()
        return self._to_monograph(row) if row else None

    def create(
        self,
        content: MonographContent,
        status: Status,
        submitted_by: str | None,
        external_id: str | None = None,
        idempotency_key: str | None = None,
        monograph_id: str | None = None,
    ) -> tuple[Monograph, bool]:
        """Insert a monograph; returns (monograph, created). An existing one with the same
        submitter and external id or idempotency key is returned instead, unchanged.
        `monograph_id` keeps an exported id on re-import; otherwise one is made from the title."""
        external_id, idempotency_key = external_id or None, idempotency_key or None
        existing = self.find_existing(submitted_by, external_id, idempotency_key)
        if existing:
            return existing, False
        now = _now()
        if monograph_id is None:
            seed = external_id and f"{submitted_by or ''}:{external_id}"
            token = hashlib.sha256(seed.encode()).hexdigest()[:8] if seed else secrets.token_hex(4)
            monograph_id = f"{_slug(content.title)}-{token}"
        payload = content.model_dump(mode="json", exclude={"external_id", "status", "version"})
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
                        content=json.dumps(payload, ensure_ascii=False),
                        created_at=now,
                        updated_at=now,
                        published_at=now if status == Status.PUBLISHED else None,
                    )
                )
                self._event(conn, monograph_id, "create", submitted_by, status.value, 1, None, now)
                self._enqueue(conn, monograph_id, now)
        except sa.exc.IntegrityError:
            # A concurrent twin of this submission won the race: answer with it.
            existing = self.find_existing(submitted_by, external_id, idempotency_key)
            if existing:
                return existing, False
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
            if not rows:
                return 0
            with self.engine.begin() as conn:
                result = conn.execute(monographs.insert().prefix_with("OR IGNORE", dialect="sqlite"), rows)
            count = len(rows) if result.rowcount is None or result.rowcount < 0 else result.rowcount
            rows.clear()
            return count

        for monograph in items:
            payload = monograph.content().model_dump(mode="json")
            rows.append(
                {
                    "id": monograph.id,
                    "status": monograph.status.value,
                    "version": monograph.version,
                    "submitted_by": "restore",
                    "external_id": monograph.external_id,
                    "idempotency_key": None,
                    "content": json.dumps(payload, ensure_ascii=False),
                    "rejection_reason": monograph.rejection_reason,
                    "created_at": monograph.created_at.isoformat(),
                    "updated_at": monograph.updated_at.isoformat(),
                    "published_at": monograph.published_at.isoformat() if monograph.published_at else None,
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
        """Replace the content if `expected_version` is current; the version goes up by one."""
        current = self.get(monograph_id)
        if current.version != expected_version:
            raise VersionConflict(
                f"version {expected_version} is stale: the monograph is at version {current.version}; "
                "read it again and reapply your change",
                {"current_version": current.version},
            )
        new_status = status or current.status
        self._check_transition(current.status, new_status)
        now = _now()
        payload = content.model_dump(mode="json", exclude={"external_id", "status", "version"})
        values: dict[str, Any] = {
            "content": json.dumps(payload, ensure_ascii=False),
            "version": current.version + 1,
            "updated_at": now,
            "status": new_status.value,
        }
        if new_status == Status.PUBLISHED and current.status != Status.PUBLISHED:
            values["published_at"] = now
        self._guarded_write(monograph_id, expected_version, values, "update", actor, None, now)
        return self.get(monograph_id)

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
        now: str,
    ) -> None:
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
            self._event(conn, monograph_id, action, actor, values["status"], values["version"], reason, now)
            self._enqueue(conn, monograph_id, now)

    def set_status(
        self,
        monograph_id: str,
        status: Status,
        actor: str | None,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Monograph:
        """Move a monograph through the workflow (publish, reject, archive, restore)."""
        current = self.get(monograph_id)
        if expected_version is not None and current.version != expected_version:
            raise VersionConflict(
                f"version {expected_version} is stale: the monograph is at version {current.version}",
                {"current_version": current.version},
            )
        self._check_transition(current.status, status)
        now = _now()
        values: dict[str, Any] = {"status": status.value, "version": current.version + 1, "updated_at": now}
        if status == Status.PUBLISHED:
            values["published_at"] = now
            values["rejection_reason"] = None
        if status == Status.REJECTED:
            values["rejection_reason"] = reason
        self._guarded_write(monograph_id, current.version, values, status.value, actor, reason, now)
        return self.get(monograph_id)

    def history(self, monograph_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(events).where(events.c.monograph_id == monograph_id).order_by(events.c.seq)
            ).all()
        return [dict(row._mapping) for row in rows]

    # -- outbox ---------------------------------------------------------------

    def pending(self, limit: int = 500) -> list[OutboxEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(outbox).order_by(outbox.c.seq).limit(limit)).all()
        return [OutboxEntry(r.seq, r.monograph_id, r.attempts) for r in rows]

    def acknowledge(self, seqs: list[int]) -> None:
        """Forget outbox entries the engine has applied."""
        if not seqs:
            return
        with self.engine.begin() as conn:
            conn.execute(outbox.delete().where(outbox.c.seq.in_(seqs)))

    def record_failure(self, seqs: list[int], error: str) -> None:
        if not seqs:
            return
        with self.engine.begin() as conn:
            conn.execute(
                outbox.update()
                .where(outbox.c.seq.in_(seqs))
                .values(attempts=outbox.c.attempts + 1, last_error=error[:2000])
            )

    def backlog(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one())

    def clear_outbox_up_to(self, seq: int) -> None:
        """After a full rebuild, entries older than the rebuild's snapshot are already applied."""
        with self.engine.begin() as conn:
            conn.execute(outbox.delete().where(outbox.c.seq <= seq))

    def last_outbox_seq(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(outbox.c.seq), 0))).scalar_one())

    # -- API keys -------------------------------------------------------------

    def create_key(self, name: str, role: Role) -> tuple[str, ApiKey]:
        """A new key: the plaintext is returned once and only its hash is stored."""
        key_id = secrets.token_hex(6)
        plaintext = f"imp_{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(id=key_id, name=name, role=role, created_at=_now())
        with self.engine.begin() as conn:
            conn.execute(
                api_keys.insert().values(
                    id=record.id, name=name, role=role.value, key_hash=hash_key(plaintext), created_at=record.created_at
                )
            )
        return plaintext, record

    def verify_key(self, plaintext: str) -> ApiKey | None:
        """The live key matching this plaintext, or None (unknown or revoked)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.key_hash == hash_key(plaintext))).first()
        if row is None or row.revoked_at is not None:
            return None
        return ApiKey(row.id, row.name, Role(row.role), row.created_at, row.revoked_at)

    def revoke_key(self, key_id: str) -> ApiKey:
        with self.engine.begin() as conn:
            result = conn.execute(
                api_keys.update()
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
        if result.rowcount != 1:
            raise NotFound(f"no live API key with id {key_id!r}")
        return next(k for k in self.list_keys() if k.id == key_id)

    def list_keys(self) -> list[ApiKey]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at)).all()
        return [ApiKey(r.id, r.name, Role(r.role), r.created_at, r.revoked_at) for r in rows]

    # -- embed presets ----------------------------------------------------------

    @staticmethod
    def _to_preset(row: Any) -> PresetRecord:
        return PresetRecord(
            row.slug, json.loads(row.content), row.version, row.updated_by, row.created_at, row.updated_at
        )

    def get_preset(self, slug: str) -> PresetRecord:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(embed_presets).where(embed_presets.c.slug == slug)).first()
        if row is None:
            raise NotFound(f"no embed preset {slug!r}; list them with GET /api/v1/presets")
        return self._to_preset(row)

    def list_presets(self) -> list[PresetRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(embed_presets).order_by(embed_presets.c.slug)).all()
        return [self._to_preset(row) for row in rows]

    def put_preset(
        self, slug: str, content: dict[str, Any], actor: str | None, expected_version: int | None = None
    ) -> tuple[PresetRecord, bool]:
        """Create or replace a preset; returns (preset, created). A stale `expected_version` changes nothing."""
        now, body = _now(), json.dumps(content, ensure_ascii=False)
        with self.engine.begin() as conn:
            current = conn.execute(
                sa.select(embed_presets.c.version).where(embed_presets.c.slug == slug)
            ).scalar_one_or_none()
            if expected_version is not None and current != expected_version:
                raise VersionConflict(
                    f"preset {slug!r} is at version {current}, not {expected_version}; read it again and reapply",
                    {"current_version": current},
                )
            if current is None:
                conn.execute(
                    embed_presets.insert().values(
                        slug=slug, content=body, version=1, updated_by=actor, created_at=now, updated_at=now
                    )
                )
            else:
                result = conn.execute(
                    embed_presets.update()
                    .where(embed_presets.c.slug == slug, embed_presets.c.version == current)
                    .values(content=body, version=current + 1, updated_by=actor, updated_at=now)
                )
                if result.rowcount != 1:
                    raise VersionConflict(f"preset {slug!r} changed meanwhile; read it again and retry")
        return self.get_preset(slug), current is None

    def delete_preset(self, slug: str) -> None:
        with self.engine.begin() as conn:
            result = conn.execute(embed_presets.delete().where(embed_presets.c.slug == slug))
        if result.rowcount != 1:
            raise NotFound(f"no embed preset {slug!r}")

    def iter_published_newest(self, batch: int = 200) -> Iterator[Monograph]:
        """Published monographs, most recently published first, a batch at a time (for feeds)."""
        published = sa.func.coalesce(monographs.c.published_at, monographs.c.updated_at)
        last: tuple[str, str] | None = None
        while True:
            query = (
                sa.select(monographs)
                .where(monographs.c.status == Status.PUBLISHED.value)
                .order_by(published.desc(), monographs.c.id.desc())
                .limit(batch)
            )
            if last is not None:
                before, last_id = last
                query = query.where(sa.or_(published < before, sa.and_(published == before, monographs.c.id < last_id)))
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return
            yield from (self._to_monograph(row) for row in rows)
            last = (rows[-1].published_at or rows[-1].updated_at, rows[-1].id)
