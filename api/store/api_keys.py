"""API keys: created once in plaintext for the caller, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.errors import NotFound
from api.store.tables import api_keys, now


class Role(StrEnum):
    CONTRIBUTOR = "contributor"
    EDITOR = "editor"


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    role: Role
    created_at: str
    revoked_at: str | None = None


def key_records(engine: Engine, ids: Iterable[str | None]) -> dict[str, tuple[str, bool]]:
    """The name of each of these keys and whether it was revoked, in one query."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(api_keys.c.id, api_keys.c.name, api_keys.c.revoked_at).where(api_keys.c.id.in_(wanted))
        ).all()
    return {row.id: (row.name, row.revoked_at is not None) for row in rows}


def key_names(engine: Engine, ids: Iterable[str | None]) -> dict[str, str]:
    """The names of these keys (live or revoked), in one query."""
    return {key_id: name for key_id, (name, _) in key_records(engine, ids).items()}


def hash_key(plaintext: str) -> str:
    # Keys are 256-bit random tokens, so a plain SHA-256 is enough: no dictionary to guess from.
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _to_key(row: Any) -> ApiKey:
    revoked = row.revoked_at.isoformat() if row.revoked_at else None
    return ApiKey(row.id, row.name, Role(row.role), row.created_at.isoformat(), revoked)


class KeyStore:
    engine: Engine

    def create_key(self, name: str, role: Role) -> tuple[str, ApiKey]:
        """A new key: the plaintext is returned once and only its hash is stored."""
        key_id = secrets.token_hex(6)
        plaintext = f"imp_{key_id}_{secrets.token_urlsafe(32)}"
        created = now()
        with self.engine.begin() as conn:
            conn.execute(
                api_keys.insert().values(
                    id=key_id, name=name, role=role.value, key_hash=hash_key(plaintext), created_at=created
                )
            )
        return plaintext, ApiKey(id=key_id, name=name, role=role, created_at=created.isoformat())

    def verify_key(self, plaintext: str) -> ApiKey | None:
        """The live key matching this plaintext, or None (unknown or revoked)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.key_hash == hash_key(plaintext))).first()
        if row is None or row.revoked_at is not None:
            return None
        return _to_key(row)

    def get_key(self, key_id: str) -> ApiKey | None:
        """The key with this id (live or revoked), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
        return None if row is None else _to_key(row)

    def revoke_key(self, key_id: str) -> ApiKey:
        with self.engine.begin() as conn:
            result = conn.execute(
                api_keys.update()
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now())
            )
        if result.rowcount != 1:
            raise NotFound(f"no live API key with id {key_id!r}")
        revoked = self.get_key(key_id)
        assert revoked is not None  # just updated
        return revoked

    def list_keys(self) -> list[ApiKey]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at)).all()
        return [_to_key(r) for r in rows]
