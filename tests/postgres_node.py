"""Finding a real PostgreSQL server for the tests: a given URL, or our own server (scripts/pg-node.sh).

Where none is possible the PostgreSQL suite is skipped, loudly; with IMPACT_REQUIRE_POSTGRES=1 (set by CI)
that skip becomes a failure. Each test that writes takes its own database from `fresh_database`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "pg-node.sh"
TEST_PORT = os.environ.get("IMPACT_TEST_PG_PORT", "5433")


def _require() -> bool:
    return os.environ.get("IMPACT_REQUIRE_POSTGRES") == "1"


def _unavailable(reason: str) -> NoReturn:
    message = f"NO POSTGRESQL SERVER: {reason}; the PostgreSQL suite did not run"
    if _require():
        pytest.fail(message + " (IMPACT_REQUIRE_POSTGRES=1)", pytrace=False)
    print("\n" + "!" * 100 + f"\n{message}\n" + "!" * 100)
    pytest.skip(message)


def _sqlalchemy_url(url: str) -> URL:
    """The URL with the psycopg 3 driver, whatever spelling was given (postgres://, postgresql://...)."""
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.set(drivername="postgresql+psycopg")


def _conninfo(url: URL) -> str:
    """What psycopg.connect takes: the same URL without the SQLAlchemy driver suffix."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _node_env() -> dict[str, str]:
    return os.environ | {"IMPACT_PG_PORT": TEST_PORT}


def _start_own_node() -> tuple[str, bool]:
    """Starts scripts/pg-node.sh's server; returns its URL and whether this session must stop it.

    A server already running on that port (started by hand, or left by a killed session) is used as it is
    and left running; the one started here is stopped at the end of the session.
    """
    status = subprocess.run(["bash", str(SCRIPT), "status"], env=_node_env(), capture_output=True, text=True)
    started = subprocess.run(["bash", str(SCRIPT), "start"], env=_node_env(), capture_output=True, text=True)
    if started.returncode != 0:
        raise RuntimeError(f"scripts/pg-node.sh start failed:\n{started.stderr[-3000:]}")
    return started.stdout.strip().splitlines()[-1], status.returncode != 0


def _stop_own_node() -> None:
    subprocess.run(["bash", str(SCRIPT), "stop"], env=_node_env(), capture_output=True)


@contextmanager
def postgres_url() -> Iterator[str]:
    """The SQLAlchemy URL (postgresql+psycopg://...) of a live server for the session.

    IMPACT_TEST_DATABASE_URL if set (any database of that server: tests create their own), else our own
    server on 127.0.0.1:$IMPACT_TEST_PG_PORT (default 5433) started by scripts/pg-node.sh.
    """
    given = os.environ.get("IMPACT_TEST_DATABASE_URL")
    if given:
        given_url = _sqlalchemy_url(given)
        try:
            psycopg.connect(_conninfo(given_url), connect_timeout=10).close()
        except psycopg.Error as exc:
            # An explicit URL that does not answer is a configuration error, never a skip.
            pytest.fail(f"IMPACT_TEST_DATABASE_URL does not answer: {exc}", pytrace=False)
        yield given_url.render_as_string(hide_password=False)
        return
    if os.environ.get("IMPACT_TEST_PG_START", "1") != "1":
        _unavailable("no IMPACT_TEST_DATABASE_URL and IMPACT_TEST_PG_START is not 1")
    if not (SCRIPT.exists() and shutil.which("bash")):
        _unavailable(f"no IMPACT_TEST_DATABASE_URL, and no bash to run {SCRIPT.relative_to(ROOT)}")
    try:
        url, ours = _start_own_node()
    except RuntimeError as exc:
        _unavailable(f"no IMPACT_TEST_DATABASE_URL, and {exc}")
    try:
        yield url
    finally:
        if ours:
            _stop_own_node()


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database `t_<hex>` on that server; yields its SQLAlchemy URL, drops it at the end.

    The drop uses WITH (FORCE): connections a failed test left open do not keep the database alive.
    """
    server = _sqlalchemy_url(server_url)
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(_conninfo(server), autocommit=True, connect_timeout=10) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_conninfo(server), autocommit=True, connect_timeout=10) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
