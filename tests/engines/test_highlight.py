"""Application highlighting, shared by both engines."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.documents import hit_source
from indexer.french import FrenchStemmer
from indexer.highlight import (
    build_highlighter,
    highlight_fragments,
    highlight_whole,
    spans_per_text,
)
from indexer.hits import hit_from_source
from indexer.query import parse_query
from indexer.relevance import typed_as_meant
from schemas.search import SearchHit
from tests.corpus import seed_corpus

STEMMER = FrenchStemmer()


def highlighter(q: str):  # type: ignore[no-untyped-def]
    built = build_highlighter(parse_query(q), STEMMER)
    assert built is not None
    return built


def test_marks_stems_accents_and_typos() -> None:
    text = "Les Mobilités douces et l'économie : une mobilite partagée, économiquement utile."
    marked = highlight_whole(text, highlighter("mobilité economie"))
    assert marked is not None
    assert "<mark>Mobilités</mark>" in marked and "<mark>mobilite</mark>" in marked
    assert "<mark>économie</mark>" in marked and "&#x27;" in marked
    typo = highlight_whole(text, highlighter("mobilte"))
    assert typo is not None and "<mark>Mobilités</mark>" in typo


def test_nothing_to_mark_is_none_and_html_is_escaped() -> None:
    assert highlight_whole("<b>rien</b>", highlighter("mobilité")) is None
    marked = highlight_whole("<script>x</script> mobilité", highlighter("mobilité"))
    assert marked == "&lt;script&gt;x&lt;/script&gt; <mark>mobilité</mark>"


def test_fragments_in_reading_order_bounded_and_elided() -> None:
    filler = "texte sans rapport " * 20
    sections = [
        filler + "premier covoiturage ici. " + filler,
        "second covoiturage",
        "troisième covoiturage",
        "quatrième covoiturage",
    ]
    fragments = highlight_fragments(sections, highlighter("covoiturage"), fragment_size=80)
    assert len(fragments) == 3
    assert fragments[0].startswith("… ") and fragments[0].endswith(" …") and "premier" in fragments[0]
    assert fragments[1] == "second <mark>covoiturage</mark>" and "troisième" in fragments[2]
    assert all(len(f) < 80 + 40 for f in fragments)


def test_fragments_are_looked_for_within_a_budget_of_characters() -> None:
    filler = "texte sans rapport " * 100  # 1,900 characters
    sections = [filler, filler + "un covoiturage loin", "un covoiturage plus loin"]
    found = highlight_fragments(sections, highlighter("covoiturage"), budget=3_810)
    assert len(found) == 1 and "un <mark>covoiturage</mark> loin" in found[0]
    # A section is cut at a space past the budget, never inside a word; the next sections are not read.
    assert highlight_fragments(sections, highlighter("covoiturage"), budget=3_802) == []
    assert len(highlight_fragments(sections, highlighter("covoiturage"), budget=3_803)) == 1
    assert len(highlight_fragments(sections, highlighter("covoiturage"))) == 2


def test_empty_query_needs_no_highlighter() -> None:
    assert build_highlighter(parse_query(""), STEMMER) is None


def test_an_unfinished_last_word_marks_the_words_it_starts() -> None:
    stemmer = FrenchStemmer()
    highlighter = build_highlighter(parse_query("covoit"), stemmer)
    assert highlighter is not None
    assert highlight_whole("Covoiturage et covoitureurs", highlighter) == (
        "<mark>Covoiturage</mark> et <mark>covoitureurs</mark>"
    )
    finished = build_highlighter(parse_query("covoit."), stemmer)
    assert finished is not None and highlight_whole("Covoiturage", finished) is None


def test_a_hit_built_without_validation_is_the_validated_hit() -> None:
    """Hits are built from stored sources without pydantic's checks (`trusted`): each equals, and
    serialises as, the hit pydantic validates from the same data, for every seed practice."""
    marker = highlighter("mobilité")
    for monograph in seed_corpus():
        source = hit_source(monograph)
        for hit in (hit_from_source(source, 1.5, marker), hit_from_source(source, None, None)):
            validated = SearchHit.model_validate(hit.model_dump())
            assert hit == validated and hit.model_dump_json() == validated.model_dump_json()
            assert hit.model_fields_set == set(SearchHit.model_fields)
    # A source stored before `tags` and `programmes` existed.
    old = {k: v for k, v in hit_source(seed_corpus()[0]).items() if k not in {"tags", "programmes", "year"}}
    hit = hit_from_source(old, None, None)
    assert (hit.tags, hit.programmes, hit.year) == ([], [], None)


# The scan before 2026-12-01, on `str` with a character class per accented letter: the byte scan must
# find exactly the words it found.
_OLD_ACCENTED = {"a": "aàâäáã", "e": "eéèêë", "i": "iîïíì", "o": "oôöóò", "u": "uùûüú", "c": "cç", "y": "yÿ", "n": "nñ"}


def _old_spans(text: str, stems: set[str], is_match: Callable[[str], bool]) -> list[tuple[int, int]]:
    prefixes = sorted({s[:3] for s in stems if s}, key=len, reverse=True)
    letter = lambda c: f"[{_OLD_ACCENTED[c]}]" if c in _OLD_ACCENTED else re.escape(c)  # noqa: E731
    pattern = re.compile("(?:" + "|".join("".join(letter(c) for c in p) for p in prefixes) + r")\w*")
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c.lower()[0] for c in text)
    spans = []
    for match in pattern.finditer(lowered):
        start, end = match.span()
        before = lowered[start - 1] if start else " "
        if not (before.isalnum() or before == "_") and is_match(text[start:end]):
            spans.append((start, end))
    return spans


WORDS = [
    "Économie",
    "économies",
    "ECONOMIE",
    "cœur",
    "Cœur",
    "mobilité",
    "MOBILITÉ",
    "l’économie",
    "naïf",
    "Ÿvelines",
    "straße",
    "İstanbul",
    "coopérative",
    "Coopératives",
    "ÉCO",
    "éco-lieu",
    "_eco",
    "2eco",
    "ﬁn",
]


@given(
    st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=30),
    st.sampled_from(["économie", "mobilité coopérative", "éco cœur", "naïf fin", "yvelines", "ec économie"]),
)
@settings(max_examples=300, deadline=None)
def test_the_byte_scan_finds_what_the_text_scan_found(words: list[str], q: str) -> None:
    text = " ".join(words)
    marker = highlighter(q)
    stems = {s for w in parse_query(q).single_terms() if (s := STEMMER.word(w))}
    assert marker.spans(text) == _old_spans(text, stems, marker.is_match)


@given(
    st.lists(st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=12).map(" ".join), max_size=6),
    st.sampled_from(["économie", "mobilité coopérative", "ec économie naïf"]),
)
@settings(max_examples=200, deadline=None)
def test_texts_scanned_as_one_get_the_spans_each_would_get(texts: list[str], q: str) -> None:
    """A hit's title, summary and sections are scanned in one pass: each text gets its own spans back."""
    marker = highlighter(q)
    assert spans_per_text(texts, marker) == [marker.spans(text) for text in texts]


def test_a_known_word_marks_itself_not_its_neighbours() -> None:
    """A word the index knows well gets no typo tolerance (`ParsedQuery.known`): nor do its marks."""
    text = "Un jardin partagé et le jardon des anciens."
    tolerant = highlight_whole(text, highlighter("jardin"))
    known = build_highlighter(replace(parse_query("jardin"), known=frozenset({"jardin"})), STEMMER)
    assert tolerant is not None and tolerant.count("<mark>") == 2
    assert (
        known is not None and highlight_whole(text, known) == "Un <mark>jardin</mark> partagé et le jardon des anciens."
    )


@pytest.mark.parametrize(
    ("holding", "practices", "known"),
    [
        # From 1,000 practices on: 50 of them, and a thousandth.
        (49, 1_000, False),
        (50, 1_000, True),
        (50, 50_000, True),
        (999, 1_000_000, False),
        (1_000, 1_000_000, True),
        # Fewer: a twentieth of them, at least 3 (« mobilité » in 14 of the seed's 64 was still tolerant).
        (14, 64, True),
        (3, 64, False),
        (4, 64, True),
        (2, 20, False),
        (3, 20, True),
        (9, 200, False),
        (10, 200, True),
    ],
)
def test_a_word_is_known_from_a_share_of_the_practices(holding: int, practices: int, known: bool) -> None:
    assert typed_as_meant(holding, practices) == known


def test_searches_with_the_same_stems_share_one_highlighter_and_others_do_not() -> None:
    """A highlighter is made once for its stems (with the words it has checked), not once a search."""
    first = build_highlighter(parse_query("mobilité rurale"), STEMMER)
    assert first is not None
    assert build_highlighter(parse_query("Mobilités  rurales"), STEMMER) is first
    assert build_highlighter(parse_query("mobilité urbaine"), STEMMER) is not first
    # The same words, one of them now known well to the index: no typo tolerance for it, another highlighter.
    typed = parse_query("mobilte")
    tolerant = build_highlighter(typed, STEMMER)
    known = build_highlighter(replace(typed, known=frozenset({STEMMER.word("mobilte") or ""})), STEMMER)
    assert tolerant is not None and known is not None and known is not tolerant
    assert tolerant.spans("mobilité") and not known.spans("mobilité")
