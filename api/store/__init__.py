"""The system of record: monographs, the changes proposed to them, their pending index work, their vectors,
API keys and embed presets.

SQLite by default (WAL, synchronous=FULL), PostgreSQL when several API processes share it.
Every write that changes what search should show also records an outbox entry in the same
transaction, so a committed write always reaches the index eventually. The schema is brought
up to date by Alembic migrations when the store opens.
"""

from __future__ import annotations

from api.store.api_keys import ApiKey, KeyStore, Role, hash_key
from api.store.database import connect
from api.store.embed_presets import PresetRecord, PresetStore
from api.store.embeddings import ComputedVector, EmbeddingStore, EmbeddingWork
from api.store.migrate import migrate
from api.store.monograph_store import MonographStore
from api.store.outbox import DeadLetter, OutboxEntry, OutboxStats, OutboxStore
from api.store.proposals import ProposalStore

__all__ = [
    "ApiKey",
    "ComputedVector",
    "DeadLetter",
    "EmbeddingWork",
    "OutboxEntry",
    "OutboxStats",
    "PresetRecord",
    "Role",
    "Store",
    "hash_key",
]


class Store(ProposalStore, MonographStore, OutboxStore, EmbeddingStore, KeyStore, PresetStore):
    """One database, its parts split by what they hold."""

    def __init__(self, url: str, migrate_schema: bool = True):
        self.url = url
        self.engine = connect(url)
        if migrate_schema:
            migrate(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()
