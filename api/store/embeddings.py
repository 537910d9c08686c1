"""Sentence vectors of monographs for hybrid search: what is left to embed, saving, reading.

Vectors are derived data: computed in the background from published monographs (`api/embedding.py`),
one per monograph and embedding model, tagged with the monograph version and the fingerprint of the text
they were computed for. A new version whose embedded text is unchanged (publishing, a change of status)
only moves the tag forward; nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from api.store.database import upsert
from api.store.monograph_store import to_monograph
from api.store.outbox import enqueue_in
from api.store.tables import embeddings, monographs, now
from indexer.embedder import Vector, embedding_text, from_bytes, text_hash, to_bytes
from indexer.vectors import VectorSource
from schemas.monograph import Status

# Ids per IN list when vectors are read.
VECTOR_READ_CHUNK = 500


@dataclass(frozen=True)
class EmbeddingWork:
    """A published monograph whose vector is missing or was computed for an older version."""

    monograph_id: str
    version: int
    # What to embed (`embedding_text`); None when the stored row no longer validates (skipped).
    text: str | None
    # The text fingerprint of the vector stored for an older version; None when there is none.
    stored_hash: str | None

    @property
    def text_unchanged(self) -> bool:
        """The stored vector is still right: only its version tag is behind."""
        return self.text is not None and self.stored_hash == text_hash(self.text)


@dataclass(frozen=True)
class ComputedVector:
    monograph_id: str
    version: int
    text_hash: str
    vector: Vector


class EmbeddingStore:
    """The `embeddings` table: the backlog of one model, saving a batch, reading vectors by id."""

    engine: Engine

    @staticmethod
    def _backlog(model: str, *columns: Any) -> sa.Select[Any]:
        """Published monographs with no vector of `model`, or one computed for an older version: an
        anti-join on the embeddings' primary key, in the monographs' id order."""
        stored = sa.and_(embeddings.c.monograph_id == monographs.c.id, embeddings.c.model == model)
        behind = sa.or_(embeddings.c.monograph_id.is_(None), embeddings.c.version < monographs.c.version)
        return (
            sa.select(*columns)
            .select_from(monographs.outerjoin(embeddings, stored))
            .where(monographs.c.status == Status.PUBLISHED.value, behind)
        )

    def embedding_backlog(self, model: str, limit: int, after: str = "") -> list[EmbeddingWork]:
        """At most `limit` monographs to (re)embed for `model`, with ids after `after`, in id order."""
        query = (
            self._backlog(model, monographs, embeddings.c.text_hash.label("stored_hash"))
            .where(monographs.c.id > after)
            .order_by(monographs.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        work = []
        for row in rows:
            try:
                text: str | None = embedding_text(to_monograph(row))
            except (ValidationError, TypeError, ValueError):
                text = None
            work.append(EmbeddingWork(row.id, row.version, text, row.stored_hash))
        return work

    def count_embedding_backlog(self, model: str, at_most: int | None = None) -> int:
        """How many monographs wait for a vector of `model`, counting at most `at_most` rows (bounded work
        for public requests: the answer then means "at least this many")."""
        waiting = self._backlog(model, monographs.c.id)
        if at_most is not None:
            waiting = waiting.limit(at_most)
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(waiting.subquery())).scalar_one())

    def save_embeddings(self, model: str, computed: Sequence[ComputedVector], current: Mapping[str, int]) -> None:
        """In one transaction: store the computed vectors (never over one of a newer version) and queue
        their monographs for indexing, so the engine receives them through the outbox; and move the
        version tag of vectors whose text did not change to the monograph's version (`current`)."""
        at = now()
        rows = [
            {
                "monograph_id": c.monograph_id,
                "model": model,
                "version": c.version,
                "text_hash": c.text_hash,
                "vector": to_bytes(c.vector),
                "computed_at": at,
            }
            for c in computed
        ]
        with self.engine.begin() as conn:
            upsert(conn, embeddings, rows, newer_only=True)
            enqueue_in(conn, (c.monograph_id for c in computed))
            if current:
                conn.execute(
                    embeddings.update()
                    .where(
                        embeddings.c.monograph_id == sa.bindparam("b_id"),
                        embeddings.c.model == model,
                        embeddings.c.version < sa.bindparam("b_version"),
                    )
                    .values(version=sa.bindparam("b_version")),
                    [{"b_id": i, "b_version": v} for i, v in current.items()],
                )

    def vectors(self, ids: Sequence[str], model: str) -> dict[str, Vector]:
        """The stored vectors of `model` for these monographs, by id (ids without one are left out)."""
        found: dict[str, Vector] = {}
        unique = list(dict.fromkeys(ids))
        with self.engine.connect() as conn:
            for start in range(0, len(unique), VECTOR_READ_CHUNK):
                chunk = unique[start : start + VECTOR_READ_CHUNK]
                rows = conn.execute(
                    sa.select(embeddings.c.monograph_id, embeddings.c.vector).where(
                        embeddings.c.model == model, embeddings.c.monograph_id.in_(chunk)
                    )
                )
                found.update((r.monograph_id, from_bytes(r.vector)) for r in rows)
        return found

    def embedded_ids(self, model: str) -> set[str]:
        """Published monographs that have a vector of `model` (whatever version it was computed for: the
        engines index the stored one until a newer replaces it)."""
        query = (
            sa.select(embeddings.c.monograph_id)
            .join(monographs, monographs.c.id == embeddings.c.monograph_id)
            .where(embeddings.c.model == model, monographs.c.status == Status.PUBLISHED.value)
        )
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def vectors_state(self) -> tuple[int, datetime | None]:
        """What changes whenever a vector is saved: their count and the latest `computed_at` (an index lookup:
        validators of exports, whose hybrid answers change when a vector arrives)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sa.func.count(), sa.func.max(embeddings.c.computed_at))).one()
        return int(row[0]), row[1]

    def vector_source(self, model: str) -> VectorSource:
        """What engines read vectors through (`Semantic.vectors`): this model's stored vectors."""
        return lambda ids: self.vectors(ids, model)
