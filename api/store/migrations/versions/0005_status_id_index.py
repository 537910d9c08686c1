"""An index on `monographs (status, id)` in place of the one on `status` alone.

Rows of one status are read in id order a page at a time (the index's reconcile at every start-up,
exports, the embedding backlog; a rebuild reads every status, along the primary key). With only `status`
indexed, SQLite answered each page by sorting every row of that status: reading all versions at 100,000
practices took 2.4 s and grew with the square of the table (about 4 minutes at 1,000,000); with this index
a page is a range of it (0.14 s for all 100,000). `(status, id)` also answers everything the `status`
index did.

On PostgreSQL, `CREATE INDEX` blocks writes to `monographs` while it builds (seconds per million rows):
processes still running the previous version during a rolling upgrade see their writes wait meanwhile, or
fail after the store's lock timeout (10 s) and get retried by their clients.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_monographs_status_id", "monographs", ["status", "id"])
    op.drop_index("ix_monographs_status", table_name="monographs")


def downgrade() -> None:
    op.create_index("ix_monographs_status", "monographs", ["status"])
    op.drop_index("ix_monographs_status_id", table_name="monographs")
