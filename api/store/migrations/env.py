"""Alembic environment: the store hands over its own connection (see api/store/migrate.py)."""

from __future__ import annotations

from alembic import context

from api.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
