"""The embedded engine's vectors in memory: one row per indexed practice, searched by brute force.

Exact cosine over every row (a matrix-vector product): about 1 ms at 10k practices and 27 ms at 100k on
two cores (`benchmarks/results/embedders-20261130.md`), no index to build or tune. Writers change rows
under a lock; readers take a snapshot of the arrays and compute without it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

from indexer.embedder import Matrix, Vector


class VectorMatrix:
    """Unit vectors by id; `nearest` gives the closest ids by cosine similarity."""

    def __init__(self, dimensions: int | None = None):
        self._dimensions = dimensions
        self._rows: Matrix = np.zeros((0, dimensions or 0), dtype=np.float32)
        self._live = np.zeros(0, dtype=bool)
        self._ids: list[str | None] = []
        self._row_of: dict[str, int] = {}
        self._free: list[int] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._row_of)

    def ids(self) -> set[str]:
        """The ids that have a vector."""
        with self._lock:
            return set(self._row_of)

    def get(self, monograph_id: str) -> Vector | None:
        """The vector of this id, if it has one."""
        with self._lock:
            row = self._row_of.get(monograph_id)
            return None if row is None else self._rows[row].copy()

    def replace(self, vectors: Iterable[tuple[str, Vector]]) -> None:
        """Every row at once (a rebuild)."""
        pairs = list(vectors)
        with self._lock:
            if pairs:
                self._dimensions = len(pairs[0][1])
            rows = np.zeros((len(pairs), self._dimensions or 0), dtype=np.float32)
            for row, (_, vector) in enumerate(pairs):
                rows[row] = vector
            self._rows, self._ids = rows, [i for i, _ in pairs]
            self._live = np.ones(len(pairs), dtype=bool)
            self._row_of = {i: row for row, i in enumerate(self._ids) if i is not None}
            self._free = []

    def apply(self, changes: dict[str, Vector | None]) -> None:
        """Set (a vector) or remove (None) the rows of these ids."""
        with self._lock:
            for monograph_id, vector in changes.items():
                row = self._row_of.get(monograph_id)
                if vector is None:
                    if row is not None:
                        del self._row_of[monograph_id]
                        self._ids[row] = None
                        self._live[row] = False
                        self._free.append(row)
                    continue
                if row is None:
                    row = self._free_row(len(vector))
                    self._row_of[monograph_id] = row
                    self._ids[row] = monograph_id
                self._rows[row] = vector
                self._live[row] = True

    def _free_row(self, dimensions: int) -> int:
        """A row to fill (under the lock): a freed one, or a new one (capacity doubled when full)."""
        if self._free:
            return self._free.pop()
        used = len(self._ids)
        if not used:
            self._dimensions = dimensions
        if used == len(self._rows) or self._rows.shape[1] != self._dimensions:
            grown = np.zeros((max(16, used * 2), dimensions), dtype=np.float32)
            if used:
                grown[:used] = self._rows[:used]
            live = np.zeros(len(grown), dtype=bool)
            live[:used] = self._live[:used]
            # Readers holding the old arrays keep a consistent snapshot.
            self._rows, self._live = grown, live
        self._ids.append(None)
        return used

    def similarities(self, vector: Vector, ids: Iterable[str]) -> dict[str, float]:
        """The cosine similarity to `vector` of each of these ids that has a row."""
        with self._lock:
            rows, found = self._rows, [(i, self._row_of[i]) for i in ids if i in self._row_of]
        if not found:
            return {}
        scores = rows[[row for _, row in found]] @ np.asarray(vector, dtype=np.float32)
        return {monograph_id: float(score) for (monograph_id, _), score in zip(found, scores, strict=True)}

    def nearest(self, vector: Vector, limit: int) -> list[tuple[str, float]]:
        """The `limit` closest ids, closest first, with their cosine similarity."""
        with self._lock:
            rows, live, ids, count = self._rows, self._live, list(self._ids), len(self._row_of)
        used = len(ids)
        limit = min(limit, count)
        if limit <= 0:
            return []
        scores = np.where(live[:used], rows[:used] @ np.asarray(vector, dtype=np.float32), -np.inf)
        top = np.argpartition(-scores, limit - 1)[:limit] if limit < used else np.arange(used)
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(str(ids[row]), float(scores[row])) for row in top if ids[row] is not None][:limit]
