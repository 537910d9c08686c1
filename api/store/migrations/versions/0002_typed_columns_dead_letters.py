"""Typed columns (aware datetimes, JSON), outbox claims and dead letters, maintenance locks.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from api.store.tables import BigSeq, Json, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# table -> (primary key, text columns that hold ISO 8601 datetimes, nullable ones)
DATES: dict[str, tuple[str, dict[str, bool]]] = {
    "monographs": ("id", {"created_at": False, "updated_at": False, "published_at": True}),
    "index_outbox": ("seq", {"created_at": False}),
    "api_keys": ("id", {"created_at": False, "revoked_at": True}),
    "monograph_events": ("seq", {"at": False}),
    "embed_presets": ("slug", {"created_at": False, "updated_at": False}),
}
JSON_COLUMNS = {"monographs": "content", "embed_presets": "content"}
SEQUENCES = {"index_outbox": "seq", "monograph_events": "seq"}


def _sqlite_retype_dates(table: str, key: str, columns: dict[str, bool]) -> None:
    """SQLite: ISO text ('2026-11-22T05:38:57.1+00:00') into new columns holding the naive UTC text
    SQLAlchemy reads, then swapped in (Alembic's batch copy would CAST text dates to numbers)."""
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.add_column(sa.Column(f"{column}_utc", UTCDateTime(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT {key}, {', '.join(columns)} FROM {table}")).all()
    for row in rows:
        values: dict[str, str | None] = {}
        for column, text in zip(columns, row[1:], strict=True):
            values[column] = None
            if text is not None:
                moment = datetime.fromisoformat(text)
                moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
                values[column] = moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        assignments = ", ".join(f"{c}_utc = :{c}" for c in columns)
        bind.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE {key} = :key"), values | {"key": row[0]})
    with op.batch_alter_table(table) as batch:
        for column, nullable in columns.items():
            batch.drop_column(column)
            batch.alter_column(f"{column}_utc", new_column_name=column, nullable=nullable)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_monographs_updated_at", table_name="monographs")
    for table, (key, columns) in DATES.items():
        if not postgres:
            _sqlite_retype_dates(table, key, columns)
        with op.batch_alter_table(table) as batch:
            if postgres:
                for column, nullable in columns.items():
                    batch.alter_column(
                        column,
                        type_=UTCDateTime(),
                        existing_nullable=nullable,
                        postgresql_using=f"{column}::timestamptz",
                    )
            if table in JSON_COLUMNS:
                column = JSON_COLUMNS[table]
                batch.alter_column(column, type_=Json, existing_nullable=False, postgresql_using=f"{column}::jsonb")
            if table in SEQUENCES and postgres:
                batch.alter_column(SEQUENCES[table], type_=BigSeq, existing_nullable=False)
    op.create_index("ix_monographs_updated_at", "monographs", ["updated_at"])
    with op.batch_alter_table("index_outbox") as batch:
        batch.add_column(sa.Column("available_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(80), nullable=True))
    op.create_index("ix_monographs_status_published_at", "monographs", ["status", "published_at"])
    op.create_table(
        "index_dead_letters",
        sa.Column("seq", BigSeq, primary_key=True),
        sa.Column("monograph_id", sa.String(120), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("dead_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "maintenance_locks",
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("owner", sa.String(80), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("version 2 does not go back to version 1: restore a backup instead")
