"""The `monograph_proposals` table: a contributor's proposed change to their published practice, awaiting an
editor. A new table: no existing row is touched, and processes of the previous version never read it.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.store.tables import Json, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monograph_proposals",
        sa.Column("monograph_id", sa.String(120), sa.ForeignKey("monographs.id"), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("changes", Json, nullable=False),
        sa.Column("base_version", sa.Integer, nullable=False),
        sa.Column("proposed_by", sa.String(64), nullable=True),
        sa.Column("proposed_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_monograph_proposals_status_proposed_at", "monograph_proposals", ["status", "proposed_at"])
    op.create_index("ix_monograph_proposals_proposed_by", "monograph_proposals", ["proposed_by"])


def downgrade() -> None:
    op.drop_table("monograph_proposals")
