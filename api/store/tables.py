"""The store's tables, with column types that mean what they hold (the only schema definition;
Alembic migrations in `api/store/migrations/` bring existing databases to it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime everywhere: `timestamptz` on PostgreSQL; on SQLite, which has no
    time zones, naive UTC text that comes back aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused by the store: give a UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON documents: JSONB on PostgreSQL, JSON text elsewhere.
Json = sa.JSON().with_variant(JSONB(), "postgresql")
# A 64-bit sequence on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigSeq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData()

monographs = sa.Table(
    "monographs",
    metadata,
    sa.Column("id", sa.String(120), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("submitted_by", sa.String(64), nullable=True, index=True),
    sa.Column("external_id", sa.String(200), nullable=True),
    sa.Column("idempotency_key", sa.String(200), nullable=True),
    # The submission that created the row (`monograph_store.request_hash`); none before migration 0007.
    sa.Column("request_hash", sa.String(64), nullable=True),
    sa.Column("content", Json, nullable=False),
    sa.Column("rejection_reason", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False, index=True),
    sa.Column("published_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("submitted_by", "external_id", name="uq_submitter_external_id"),
    sa.UniqueConstraint("submitted_by", "idempotency_key", name="uq_submitter_idempotency_key"),
    # Rows of one status in id order (the index's reconcile, exports, the embedding backlog): a
    # keyset page is a range of this index. With `status` alone indexed, SQLite answered each page by sorting
    # every row of the status: a full read at 1,000,000 practices took 4 minutes instead of seconds.
    sa.Index("ix_monographs_status_id", "status", "id"),
    # Feeds read published monographs newest first: a keyset on this index, never a sort of the table.
    sa.Index("ix_monographs_status_published_at", "status", "published_at"),
    # Moderation looks up other submitters' practices with the same external id (possible duplicates).
    sa.Index("ix_monographs_external_id", "external_id"),
)

# Committed writes waiting to reach the search index. An entry is claimable when `available_at`
# is empty or past: a claim sets it to the end of the claimer's lease, a rejection to a backoff.
outbox = sa.Table(
    "index_outbox",
    metadata,
    sa.Column("seq", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("monograph_id", sa.String(120), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("available_at", UTCDateTime, nullable=True),
    sa.Column("claimed_by", sa.String(80), nullable=True),
)

# Entries the engine rejected too often: kept with why, until `impact outbox retry` re-queues them.
dead_letters = sa.Table(
    "index_dead_letters",
    metadata,
    sa.Column("seq", BigSeq, primary_key=True),
    sa.Column("monograph_id", sa.String(120), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("dead_at", UTCDateTime, nullable=False),
)

# Leases that make one process at a time do a piece of maintenance (a full index rebuild).
locks = sa.Table(
    "maintenance_locks",
    metadata,
    sa.Column("name", sa.String(60), primary_key=True),
    sa.Column("owner", sa.String(80), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

events = sa.Table(
    "monograph_events",
    metadata,
    sa.Column("seq", BigSeq, primary_key=True, autoincrement=True),
    sa.Column("monograph_id", sa.String(120), nullable=False, index=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(64), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("at", UTCDateTime, nullable=False),
)

# A contributor's proposed change to their published practice, awaiting an editor: search keeps showing the
# published content until an editor accepts it (then the changed fields are applied to the practice's current
# content, its next version, and the row goes; the events keep it). `changes`: only the fields the contributor
# changed, with their proposed values, so an editor's own edits since are kept. One per practice: proposing again
# replaces it. A declined one stays, with the reason, until its author proposes again or withdraws it. No cascade
# on the practice's deletion (practices are archived, never deleted): a proposal is someone's text.
proposals = sa.Table(
    "monograph_proposals",
    metadata,
    sa.Column("monograph_id", sa.String(120), sa.ForeignKey("monographs.id"), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("changes", Json, nullable=False),
    sa.Column("base_version", sa.Integer, nullable=False),
    sa.Column("proposed_by", sa.String(64), nullable=True),
    sa.Column("proposed_at", UTCDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("decided_by", sa.String(64), nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    # The editors' queue (pending ones, newest first, as the submissions') and a contributor's own.
    sa.Index("ix_monograph_proposals_status_proposed_at", "status", "proposed_at"),
    sa.Index("ix_monograph_proposals_proposed_by", "proposed_by"),
)

# Sentence vectors of monographs, one per embedding model: derived data (`api/embedding.py` computes
# them in the background), kept so a rebuild of the index never recomputes them. `version` is the
# monograph's version they were computed for, `text_hash` the fingerprint of the text embedded.
embeddings = sa.Table(
    "embeddings",
    metadata,
    sa.Column("monograph_id", sa.String(120), sa.ForeignKey("monographs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("model", sa.String(80), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("text_hash", sa.String(64), nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False),
    # The latest vector saved, for export validators (migration 0008).
    sa.Index("ix_embeddings_computed_at", "computed_at"),
)

# Partner embed presets: the content is validated JSON, the store only keeps it.
embed_presets = sa.Table(
    "embed_presets",
    metadata,
    sa.Column("slug", sa.String(60), primary_key=True),
    sa.Column("content", Json, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


def now() -> datetime:
    return datetime.now(UTC)


def row_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping)
