"""An index on `monographs.external_id`: moderation finds other submitters' practices with the same one.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_monographs_external_id", "monographs", ["external_id"])


def downgrade() -> None:
    op.drop_index("ix_monographs_external_id", table_name="monographs")
