"""The query embedder's cost is bounded by what the model reads, not by what a client sends."""

from __future__ import annotations

import random
import string

import numpy as np
import pytest

from indexer.embedder import MAX_QUERY_TOKENS, E5Embedder


@pytest.fixture(scope="module")
def embedder() -> E5Embedder:
    return E5Embedder()


def test_a_long_query_is_cut_to_the_tokens_the_model_reads(embedder: E5Embedder) -> None:
    """480 characters without a space are one word but about 400 tokens (0.7 s of CPU): cut to the longest start
    of at most `MAX_QUERY_TOKENS` tokens, whose vector the query gets."""
    noise = "".join(random.Random(7).choices(string.ascii_letters + string.digits + "éàç", k=480))
    tokens = embedder._model.token_count

    cut = embedder._within_budget(noise)

    assert tokens(noise, True) > 3 * MAX_QUERY_TOKENS
    assert noise.startswith(cut) and tokens(cut, True) <= MAX_QUERY_TOKENS < tokens(noise[: len(cut) + 1], True)
    assert np.allclose(embedder.query(noise), embedder._model.query(cut))


def test_a_question_of_ordinary_length_is_read_whole(embedder: E5Embedder) -> None:
    question = (
        "Comment organiser un transport à la demande dans une communauté de communes rurale de montagne, avec des "
        "habitants âgés isolés et les associations locales ?"
    )

    assert embedder._within_budget(question) == question
    assert np.allclose(embedder.query(question), embedder._model.query(question))
