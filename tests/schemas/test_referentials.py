from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.facets import FACET_BY_NAME
from schemas.monograph import MonographContent
from schemas.referentials import ODD_LIST, REGION_NAMES
from tests.corpus import CORPUS


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("odd", ODD_LIST, ids=lambda o: f"ODD{o.number}")
def test_odd_text_is_readable_on_its_colour(odd) -> None:  # type: ignore[no-untyped-def]
    lighter, darker = sorted([_luminance(odd.colour), _luminance(odd.text_colour)], reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 4.5  # WCAG AA for normal text


def test_seventeen_odd_with_official_titles() -> None:
    assert [o.number for o in ODD_LIST] == list(range(1, 18))
    assert ODD_LIST[16].title == "Partenariats pour la réalisation des objectifs"
    assert FACET_BY_NAME["odd"].label("2") == "ODD 2 : Faim « zéro »"


def test_official_region_names() -> None:
    assert {"Île-de-France", "La Réunion", "Provence-Alpes-Côte d'Azur", "Mayotte"} <= REGION_NAMES
    assert len(REGION_NAMES) == 18 + 6


def _content(**changes: object) -> dict[str, object]:
    return CORPUS[0].content().model_dump(mode="json") | changes


@pytest.mark.parametrize(
    ("changes", "location", "words"),
    [
        ({"title": "ab"}, ("title",), "at least 3 characters"),
        ({"summary": "x" * 2001}, ("summary",), "at most 2000 characters"),
        ({"odd": [0]}, ("odd", 0), "greater than or equal to 1"),
        ({"odd": []}, ("odd",), "at least 1 item"),
        ({"territory_types": ["banlieue"]}, ("territory_types", 0), "'rural'"),
        ({"actor_categories": ["mairie"]}, ("actor_categories", 0), "'collectivite'"),
        ({"territory": {"name": "Die", "department": "999"}}, ("territory", "department"), "pattern"),
        ({"territory": {"name": "Die", "code": "123456"}}, ("territory", "code"), "pattern"),
        ({"territory": {"name": "Die", "insee_code": "123"}}, ("territory", "insee_code"), "pattern"),
        ({"sources": ["javascript:alert(1)"]}, ("sources", 0), "http"),
        ({"contact": {"email": "pas-un-email"}}, ("contact", "email"), "e-mail"),
        ({"year": 1800}, ("year",), "greater than or equal to 1950"),
        ({"titre": "faute"}, ("titre",), "Extra inputs"),
    ],
)
def test_validation_names_field_and_rule(changes: dict[str, object], location: tuple[object, ...], words: str) -> None:
    with pytest.raises(ValidationError) as error:
        MonographContent.model_validate(_content(**changes))
    problems = {e["loc"]: e["msg"] for e in error.value.errors()}
    assert location in problems and words in problems[location], problems


def test_whitespace_is_trimmed_and_repeats_dropped() -> None:
    content = MonographContent.model_validate(
        _content(title="  Un titre  ", odd=[17, 2, 17], territory_types=["rural", "rural"])
    )
    assert content.title == "Un titre" and content.odd == [2, 17] and content.territory_types == ["rural"]
