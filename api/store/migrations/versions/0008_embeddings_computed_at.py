"""An index on `embeddings.computed_at`: an export's validator reads the latest vector saved (its hybrid answer
changes when one arrives, while no monograph row does) with one index lookup instead of a scan of the vectors.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_embeddings_computed_at", "embeddings", ["computed_at"])


def downgrade() -> None:
    op.drop_index("ix_embeddings_computed_at", table_name="embeddings")
