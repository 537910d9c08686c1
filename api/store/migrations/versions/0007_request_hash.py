"""`monographs.request_hash`: the fingerprint of the submission that created a practice, so that the same
`external_id` or `Idempotency-Key` sent again with other content is refused instead of answered with the first
practice as if it were a retry (the new content was lost silently). A nullable column: rows created before it
have none and are replayed as before; processes of the previous version never read it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("monographs", sa.Column("request_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("monographs", "request_hash")
