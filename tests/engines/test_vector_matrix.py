"""The embedded engine's in-memory vectors: rows set, replaced, removed and reused; exact nearest order."""

from __future__ import annotations

import numpy as np
import pytest

from indexer import relevance
from indexer.french import FrenchStemmer
from indexer.pipeline import blend, text_evidence
from indexer.query import parse_query
from indexer.vector_matrix import VectorMatrix


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_nearest_is_exact_and_ordered() -> None:
    matrix = VectorMatrix()
    rng = np.random.default_rng(7)
    vectors = {f"p{i}": unit(*rng.normal(size=8)) for i in range(100)}  # grows past the first capacity
    matrix.apply(dict(vectors))
    query = unit(*rng.normal(size=8))
    expected = sorted(vectors, key=lambda i: -float(vectors[i] @ query))[:5]
    nearest = matrix.nearest(query, 5)
    assert [i for i, _ in nearest] == expected
    assert abs(nearest[0][1] - float(vectors[expected[0]] @ query)) < 1e-5
    assert len(matrix) == 100 and len(matrix.nearest(query, 1_000)) == 100


def test_removed_rows_are_never_returned_and_are_reused() -> None:
    matrix = VectorMatrix()
    matrix.apply({"a": unit(1, 0), "b": unit(0, 1), "c": unit(1, 1)})
    matrix.apply({"a": None, "unknown": None})
    assert len(matrix) == 2
    assert [i for i, _ in matrix.nearest(unit(1, 0), 3)] == ["c", "b"]
    matrix.apply({"d": unit(1, 0.01)})  # takes the freed row
    assert matrix.nearest(unit(1, 0), 1)[0][0] == "d"
    matrix.apply({"d": unit(0, 1)})  # an update keeps its row
    assert len(matrix) == 3 and matrix.nearest(unit(1, 0), 1)[0][0] == "c"


def test_replace_and_empty() -> None:
    matrix = VectorMatrix()
    assert matrix.nearest(unit(1, 0), 3) == []
    matrix.replace([("x", unit(1, 0)), ("y", unit(0, 1))])
    assert [i for i, _ in matrix.nearest(unit(0, 1), 2)] == ["y", "x"]
    matrix.replace([])
    assert len(matrix) == 0 and matrix.nearest(unit(0, 1), 2) == []


def test_similarities_of_the_ids_asked() -> None:
    matrix = VectorMatrix()
    matrix.apply({"a": unit(1, 0), "b": unit(0, 1), "c": unit(1, 1)})
    matrix.apply({"c": None})
    found = matrix.similarities(unit(1, 0), ["b", "a", "c", "unknown"])
    assert found == {"b": 0.0, "a": 1.0}
    assert matrix.similarities(unit(1, 0), []) == {}


def test_blend_scales_each_side_and_weighs_them() -> None:
    # Text scores 10 and 5 (1 and 0.5 of the best); cosines 0.80, 0.90, and 0.85 for a practice found by
    # meaning alone, counted from 0.70 (0.5, 1 and 0.75 of the best; its text 0).
    w = relevance.HYBRID_TEXT_WEIGHT
    fused = dict(blend([("a", 10.0), ("b", 5.0)], {"a": 0.80, "b": 0.90, "c": 0.85}, ["c"], 0.70))
    assert fused == pytest.approx({"a": w + (1 - w) * 0.5, "b": w * 0.5 + (1 - w), "c": (1 - w) * 0.75})
    assert list(fused) == sorted(fused, key=lambda i: -fused[i])
    # A word match whose vector is under the origin gets 0 on the meaning side.
    assert dict(blend([("a", 4.0), ("b", 1.0)], {"b": 0.9, "a": 0.6}, [], 0.70)) == pytest.approx(
        {"a": w, "b": w * 0.25 + (1 - w)}
    )
    # One without a vector yet (just published) is judged by its words: its text score on both sides, so the only
    # practice having a rare word is not put below one found by meaning alone.
    assert blend([("new", 3.0)], {"far": 0.95}, ["far"], 0.70) == [("new", 1.0), ("far", pytest.approx(1 - w))]
    assert dict(blend([("a", 4.0), ("new", 2.0)], {"a": 0.9}, [], 0.70)) == pytest.approx({"a": 1.0, "new": 0.5})
    assert blend([("a", 2.0)], {"a": 0.8}, ["a"], 0.70) == [("a", pytest.approx(1.0))]
    # Nothing above the origin: meaning counts for nothing; ties keep the text's order.
    assert [i for i, _ in blend([("x", 1.0), ("y", 1.0)], {"x": 0.5, "y": 0.6}, [], 0.70)] == ["x", "y"]


def test_blend_trusts_words_less_when_the_best_matches_share_few_of_them() -> None:
    # The same scores as above, the words' best matches having a third of the query's words: the text
    # weighs a third / FULL_TEXT_EVIDENCE of its full weight, and meaning decides.
    full = relevance.HYBRID_TEXT_WEIGHT
    w = full * (1 / 3) / relevance.FULL_TEXT_EVIDENCE
    fused = dict(blend([("a", 10.0), ("b", 5.0)], {"a": 0.80, "b": 0.90, "c": 0.85}, ["c"], 0.70, 1 / 3))
    assert fused == pytest.approx({"a": w + (1 - w) * 0.5, "b": w * 0.5 + (1 - w), "c": (1 - w) * 0.75})
    assert list(fused) == ["b", "c", "a"]  # with full evidence: b, a, c
    assert [i for i, _ in blend([("a", 10.0), ("b", 5.0)], {"a": 0.80, "b": 0.90, "c": 0.85}, ["c"], 0.70)] == [
        "b",
        "a",
        "c",
    ]
    # At or above FULL_TEXT_EVIDENCE the text has its whole weight.
    assert dict(blend([("a", 1.0)], {"a": 0.8}, [], 0.70, 0.9)) == pytest.approx({"a": 1.0})


def test_text_evidence_is_the_best_share_of_the_query_words_a_match_has() -> None:
    stemmer = FrenchStemmer()
    parsed = parse_query("comment garder nos anciens chez eux")  # « comment » is a question word
    former_mine = {"title": "Un PTCE sur l'ancien carreau de mine", "summary": "Un ancien site minier.", "tags": []}
    elderly = {"title": "Garder les anciens chez eux", "summary": "", "tags": ["vieillissement"]}
    assert text_evidence(parsed, [], stemmer) == 0.0
    assert text_evidence(parsed, [former_mine], stemmer) == pytest.approx(1 / 3)  # ancien, of garder/ancien/chez
    assert text_evidence(parsed, [former_mine, elderly], stemmer) == 1.0
    # Any alternative of a clause counts; the last word also as a prefix; question words alone: full.
    assert text_evidence(parse_query("covoit"), [{"title": "Covoiturage solidaire"}], stemmer) == 1.0
    assert text_evidence(parse_query("comment"), [], stemmer) == 1.0


def test_the_embedder_takes_any_text() -> None:
    from tests.engines.hybrid_contract import embedder

    for text in ["", "\x00abc", "\ud800 seul", "😀" * 300, "日本語 " * 200]:
        vector = embedder().query(text)
        assert vector.shape == (384,) and abs(float(vector @ vector) - 1) < 1e-3
    assert embedder().passages(["\udfff", "Covoiturage"]).shape == (2, 384)
