"""Vectors beside the text index, engine-neutral: where engines read a monograph's vector when they
index it, and what hybrid search needs (`Semantic`).

Vectors are computed from the store in the background (`api/embedding.py`), never in the request path
of a write, and kept in the store (`embeddings` table) so a rebuild of the index never recomputes them.
Each engine keeps them with its index: Elasticsearch in a `dense_vector` field, the embedded engine in
its documents and an in-memory matrix (`indexer/vector_matrix.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice

from indexer.embedder import Embedder, QueryVectors, Vector
from schemas.monograph import Monograph, Status

# Ids of published monographs → their stored vectors (ids without one are left out).
VectorSource = Callable[[Sequence[str]], Mapping[str, Vector]]
# Monographs are read in chunks of this many, and their vectors fetched in one call per chunk.
VECTOR_CHUNK = 256


@dataclass
class Semantic:
    """What hybrid search needs beside the text index: the query embedder, and the store's vectors."""

    embedder: Embedder
    vectors: VectorSource
    query_vector: QueryVectors = field(init=False)

    def __post_init__(self) -> None:
        self.query_vector = QueryVectors(self.embedder)


def with_vectors(
    monographs: Iterable[Monograph], source: VectorSource | None
) -> Iterator[tuple[Monograph, Vector | None]]:
    """Each monograph with its stored vector (None: not published, not embedded yet, or no source)."""
    iterator = iter(monographs)
    while chunk := list(islice(iterator, VECTOR_CHUNK)):
        published = [m.id for m in chunk if m.status == Status.PUBLISHED]
        vectors = source(published) if source is not None and published else {}
        for monograph in chunk:
            yield monograph, vectors.get(monograph.id)
