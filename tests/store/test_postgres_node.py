"""The PostgreSQL server of the test session is a real one, and each test gets a database of its own."""

from __future__ import annotations

import pytest
import sqlalchemy
from sqlalchemy import text

from tests.postgres_node import fresh_database

pytestmark = pytest.mark.postgres


def test_a_fresh_database_is_a_real_durable_postgresql(pg_server_url: str) -> None:
    with fresh_database(pg_server_url) as url:
        assert url.startswith("postgresql+psycopg://")
        engine = sqlalchemy.create_engine(url)
        try:
            with engine.begin() as conn:
                assert "PostgreSQL" in conn.execute(text("SELECT version()")).scalar_one()
                assert conn.execute(text("SHOW fsync")).scalar_one() == "on"
                conn.execute(text("CREATE TABLE note (id integer PRIMARY KEY, body text NOT NULL)"))
                conn.execute(
                    text("INSERT INTO note (id, body) VALUES (:id, :body)"),
                    [{"id": 1, "body": "Économie circulaire"}, {"id": 2, "body": "Mobilité douce"}],
                )
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT id, body, lower(body) FROM note ORDER BY id")).all()
        finally:
            engine.dispose()
    assert [tuple(row) for row in rows] == [
        (1, "Économie circulaire", "économie circulaire"),
        (2, "Mobilité douce", "mobilité douce"),
    ]


def test_two_fresh_databases_are_distinct_and_dropped_after_use(pg_server_url: str) -> None:
    with fresh_database(pg_server_url) as first, fresh_database(pg_server_url) as second:
        assert first != second
        names: list[str] = []
        for url in (first, second):
            engine = sqlalchemy.create_engine(url)
            try:
                with engine.begin() as conn:
                    names.append(conn.execute(text("SELECT current_database()")).scalar_one())
                    conn.execute(text("CREATE TABLE only_here (x integer)"))
            finally:
                engine.dispose()
        assert names[0] != names[1]
        assert all(name.startswith("t_") for name in names)
    server = sqlalchemy.create_engine(pg_server_url)
    try:
        with server.connect() as conn:
            left = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"), {"names": names}
            ).all()
    finally:
        server.dispose()
    assert left == []
