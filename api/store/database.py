"""Connecting to the store's database, and the only place that knows SQL dialects apart:
SQLite pragmas, PostgreSQL deadlines, insert-or-ignore, upserts, and the migration lock."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

# Every statement has a deadline: a stuck database never hangs a request forever.
SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_CONNECT_TIMEOUT_S = 10
# A file database keeps a fixed set of connections, all opened at start and never closed while it runs:
# SQLite keeps the file handle of a connection closed while another connection of the process holds a
# lock and reuses it only at the next open, so connections opened and closed under bursts (a pool's
# overflow) left open files growing. A request finding them all busy waits, then gets `503 store_busy`.
SQLITE_POOL_SIZE = 10
POOL_TIMEOUT_S = 10
POSTGRES_STATEMENT_TIMEOUT = "30s"
POSTGRES_LOCK_TIMEOUT = "10s"
MIGRATION_LOCK_KEY = 0x1A9AC7  # pg_advisory_lock key: one migrating process at a time


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def connect(url: str) -> Engine:
    """An engine for `url`: SQLite in WAL mode with full sync, or PostgreSQL (psycopg 3) with deadlines."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        options = f"-c statement_timeout={POSTGRES_STATEMENT_TIMEOUT} -c lock_timeout={POSTGRES_LOCK_TIMEOUT}"
        return sa.create_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            pool_timeout=POOL_TIMEOUT_S,
            connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S, "options": options},
        )
    in_memory = parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")
    pool = {} if in_memory else {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 0, "pool_timeout": POOL_TIMEOUT_S}
    engine = sa.create_engine(parsed, **pool)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        _fill_pool(engine)
    return engine


def _fill_pool(engine: Engine) -> None:
    """Open the pool's connections now (a file database: `SQLITE_POOL_SIZE`, no overflow), so the process holds
    the same files from its first request to its last (measured in `docs/reliability.md`)."""
    if isinstance(engine.pool, sa.pool.QueuePool):
        opened = [engine.connect() for _ in range(engine.pool.size())]
        for connection in opened:
            connection.close()


def _insert(conn: Connection, table: sa.Table) -> Any:
    """An INSERT of the connection's dialect, which can say what to do with a row whose key exists."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database {dialect}")  # pragma: no cover - SQLite and PostgreSQL only


def insert_ignoring_duplicates(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows, leaving any whose key already exists untouched; returns how many were inserted."""
    if not rows:
        return 0
    statement = _insert(conn, table).on_conflict_do_nothing()
    # RETURNING lists only the rows inserted (executemany row counts are not reliable across drivers).
    result = conn.execute(statement.returning(*table.primary_key.columns), list(rows))
    return len(result.all())


def upsert(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]], newer_only: bool = False) -> None:
    """Insert rows, or replace the stored row of the same key (with `newer_only`, unless it holds a newer
    `version`): one statement, so writers racing on one key never fail on it."""
    if not rows:
        return
    statement = _insert(conn, table)
    keys = [c.name for c in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys},
        where=table.c.version <= statement.excluded.version if newer_only else None,
    )
    conn.execute(statement, list(rows))


@contextlib.contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection held while migrating, so processes starting together migrate one at a time."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SET statement_timeout = 0"))  # a migration may take long
            conn.execute(sa.select(sa.func.pg_advisory_lock(MIGRATION_LOCK_KEY)))
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(sa.select(sa.func.pg_advisory_unlock(MIGRATION_LOCK_KEY)))
                conn.commit()
            return
        database = engine.url.database
        if conn.dialect.name != "sqlite" or not database or database == ":memory:":
            yield conn
            return
        with Path(f"{database}.migrate-lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield conn
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
