"""Application highlighting, shared by both engines."""

from __future__ import annotations

from indexer.documents import hit_source
from indexer.french import FrenchStemmer
from indexer.highlight import build_highlighter, highlight_fragments, highlight_whole, hit_from_source
from indexer.query import parse_query
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


def test_a_hit_is_constructed_with_every_field_given() -> None:
    # A field left to its default factory makes pydantic inspect the factory on every `model_construct`.
    hit = hit_from_source(hit_source(seed_corpus()[0]), 1.5, highlighter("mobilité"))
    assert hit.model_fields_set == set(SearchHit.model_fields)
    assert SearchHit.model_validate(hit.model_dump()) == hit
