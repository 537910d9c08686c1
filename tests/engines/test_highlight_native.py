"""The compiled highlighter (indexer/native) gives exactly what the Python one gives.

Without the module (no cargo when `make install` ran) these tests skip, loudly; with
IMPACT_REQUIRE_NATIVE=1 (as in CI) they fail instead.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import highlight
from indexer.documents import hit_source
from indexer.french import FrenchStemmer
from indexer.highlight import Highlighter, build_highlighter
from indexer.hits import hit_from_source
from indexer.query import parse_query
from tests.corpus import seed_corpus
from tests.engines.test_highlight import WORDS as SCAN_WORDS

STEMMER = FrenchStemmer()

if not highlight.NATIVE:
    PROBLEM = "the compiled highlighter is not built (`make install` builds it where cargo is)"
    if os.environ.get("IMPACT_REQUIRE_NATIVE") == "1":
        pytest.fail(f"the compiled highlighter is required (IMPACT_REQUIRE_NATIVE=1) but {PROBLEM}", pytrace=False)
    pytest.skip(PROBLEM, allow_module_level=True)

QUERIES = [
    "économie",
    "mobilité coopérative",
    "éco cœur",
    "naïf fin",
    "covoit",
    "tiers-lieux ruraux",
    "mobilte",
    '"circuits courts" alimentation',
    "straße İstanbul",
    "l'économie sociale et solidaire",
]
# Words whose folding is not plain ASCII (the byte scan's test words: accents, ligatures, typographic quotes,
# characters whose lowercase is longer), and beyond the first plane, HTML to escape, spaces that are not.
WORDS = [
    *SCAN_WORDS,
    "covoiturage",
    "Covoitureurs",
    "<b>économie</b>",
    "\"mobilité\" & 'coopérative'",
    "\u00a0économie",
    "𝒆conomie",
    "🚲mobilité",
    "tiers-lieux",
    "circuits",
    "courts",
]


def pair(q: str) -> tuple[Highlighter, Highlighter]:
    parsed = parse_query(q)
    python, native = build_highlighter(parsed, STEMMER, native=False), build_highlighter(parsed, STEMMER, native=True)
    assert python is not None and native is not None
    assert type(python) is Highlighter and type(native) is highlight.NativeHighlighter
    return python, native


texts = st.lists(st.sampled_from(WORDS) | st.text(max_size=8), max_size=40).map(" ".join)


@given(texts, st.sampled_from(QUERIES))
@settings(max_examples=400, deadline=None)
def test_the_same_spans(text: str, q: str) -> None:
    python, native = pair(q)
    assert native.spans(text) == python.spans(text)


@given(texts, texts, st.lists(texts, max_size=5), st.sampled_from(QUERIES))
@settings(max_examples=400, deadline=None)
def test_the_same_marked_title_summary_and_excerpts(title: str, summary: str, sections: list[str], q: str) -> None:
    python, native = pair(q)
    assert native.render_hit(title, summary, sections) == python.render_hit(title, summary, sections)


# Long words without spaces (a match longer than its excerpt, one cut by the excerpt's end), few spaces.
long_texts = st.lists(st.sampled_from(WORDS) | st.text(alphabet="ecoÉnomi-_’\u00a0 ", max_size=300), max_size=8).map(
    "".join
)


@given(
    st.lists(long_texts, max_size=4),
    st.integers(min_value=0, max_value=600),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=5),
    st.sampled_from(QUERIES),
)
@settings(max_examples=400, deadline=None)
def test_the_same_excerpts_whatever_their_size_count_and_budget(
    sections: list[str], budget: int, fragment_size: int, max_fragments: int, q: str
) -> None:
    python, native = pair(q)
    sizes = (budget, fragment_size, max_fragments)
    assert native.render_hit("", "", sections, *sizes) == python.render_hit("", "", sections, *sizes)


@given(st.integers(min_value=0, max_value=400), st.sampled_from(QUERIES))
@settings(max_examples=200, deadline=None)
def test_the_same_excerpts_where_the_scan_budget_cuts(budget: int, q: str) -> None:
    """The last section scanned is cut at the first space after the budget, whatever its characters."""
    sections = ["économie " * 7 + "mobilité’cœur " * 5, "covoiturage\u00a0éco-lieu " * 9, "Coopératives ﬁn " * 8]
    python, native = pair(q)
    expected = python.render_hit("Éco", "", sections, budget, 40, 5)
    assert native.render_hit("Éco", "", sections, budget, 40, 5) == expected


@pytest.mark.parametrize(
    "widest",
    ["", "é", "œ", "’", "🚲"],
    ids=["ascii", "one-byte", "two-byte", "two-byte-punctuation", "four-byte"],
)
def test_each_way_python_stores_a_text_is_read_alike(widest: str) -> None:
    """CPython stores a `str` in 1, 2 or 4 bytes a character, after its widest one: the module reads all three."""
    python, native = pair("économie covoit")
    text = f"Une {widest}économie{widest} du covoiturage, " * 12 + f"et l'Economie{widest}"
    assert native.spans(text) == python.spans(text) != []
    sections = [text, "covoiturage " * 30, text[::-1]]
    assert native.render_hit(text[:80], text, sections, 600, 60, 5) == python.render_hit(
        text[:80], text, sections, 600, 60, 5
    )


@pytest.mark.parametrize("widest", ["œ", "🚲"])
def test_excerpts_without_the_widest_character_are_the_same_strings(widest: str) -> None:
    """A text's widest character only far from its matches: the excerpts and title, without it, must still equal
    Python's (`str` equality compares how each is stored first)."""
    python, native = pair("covoit")
    section = "covoiturage " + "a " * 200 + widest + " b" * 100 + " covoiturage"
    title = "Covoiturage " + "x " * 40 + widest
    hit = native.render_hit(title, "résumé", [section])
    assert hit == python.render_hit(title, "résumé", [section])
    assert all(widest not in fragment for fragment in hit[2]) and len(hit[2]) == 2


@pytest.mark.parametrize("q", ["économie", "covoit"])
def test_a_lone_surrogate_is_highlighted_alike(q: str) -> None:
    """A lone surrogate has no UTF-8: the compiled module reads Python's own storage, the same marks."""
    python, native = pair(q)
    text = "L\ud800économie du covoiturage \udfff"
    assert native.spans(text) == python.spans(text) != []
    assert native.render_hit(text, "x", [text, "y"]) == python.render_hit(text, "x", [text, "y"])


def test_every_seed_practice_is_highlighted_alike() -> None:
    for q in QUERIES:
        python, native = pair(q)
        for monograph in seed_corpus():
            source = hit_source(monograph)
            assert hit_from_source(source, 1.0, native) == hit_from_source(source, 1.0, python)


def test_a_panic_of_the_compiled_code_is_logged_and_the_python_highlights(caplog: pytest.LogCaptureFixture) -> None:
    """A Rust panic is a BaseException that no route handler catches: the search gets Python's marks instead."""
    python, native = pair("économie")

    def panics(word: str) -> bool:
        raise type("PanicException", (BaseException,), {})("index out of bounds")

    native._scanner = type(native._scanner)([b"eco"], highlight._SCAN_TABLE, highlight._scanned_char, panics)
    text = "Une économie circulaire"
    assert native.render_hit(text, text, [text]) == python.render_hit(text, text, [text])
    assert native.spans(text) == python.spans(text) == [(4, 12)]
    assert "compiled highlighter failed" in caplog.text
    # Anything else still fails the call (a bug must not hide behind the fallback).
    native._scanner = type(native._scanner)([b"eco"], highlight._SCAN_TABLE, highlight._scanned_char, lambda w: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        native.spans(text)


def test_a_prefix_the_compiled_scan_does_not_take_gets_the_python_highlighter() -> None:
    """Stems' first letters are word characters; any other prefix is the Python reference's to scan."""
    with pytest.raises(ValueError, match="word characters"):
        highlight.NativeHighlighter(lambda w: True, [b"a b"])


def test_searches_highlight_compiled_where_it_is_built() -> None:
    built = build_highlighter(parse_query("covoiturage"), STEMMER)
    assert isinstance(built, highlight.NativeHighlighter)
