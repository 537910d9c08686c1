"""Bring a database to the current schema with Alembic: at every start-up and by `impact migrate`."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from api.store.database import migration_lock
from api.store.tables import metadata

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The schema of version 1, made by `create_all` before migrations existed.
BASELINE = "0001"


def alembic_config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> str:
    """Upgrade the database to the newest revision; returns what was done, in a few words."""
    with migration_lock(engine) as conn:
        tables = set(sa.inspect(conn).get_table_names())
        config = alembic_config(conn)
        if not tables - {"alembic_version"}:
            # An empty database: create the current schema at once and record it.
            metadata.create_all(conn)
            command.stamp(config, "head")
            done = "created"
        elif "alembic_version" not in tables:
            log.warning("database made before migrations: recording it as %s, then upgrading", BASELINE)
            command.stamp(config, BASELINE)
            command.upgrade(config, "head")
            done = "upgraded from version 1"
        elif current_revision(conn) != head_revision():
            before = current_revision(conn)
            command.upgrade(config, "head")
            done = f"upgraded from {before}"
        else:
            done = "up to date"
        conn.commit()
        return done
