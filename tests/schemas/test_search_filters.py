from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.facets import ACTOR_CATEGORY, FACET_BY_NAME, ODD
from schemas.search import LOOSE_VALUES, Combine, SearchFilters
from tests.corpus import CORPUS

REGION = FACET_BY_NAME["region"]


def test_store_side_filtering_knows_alliances() -> None:
    """Exports filter straight from the store: `actor_mode=all` must mean there what it means in search."""
    chosen = ["collectivite", "association"]
    any_mode = SearchFilters(actor_category=chosen)
    all_mode = SearchFilters(actor_category=chosen, actor_mode=Combine.ALL)
    together = {m.id for m in CORPUS if set(chosen) <= set(m.actor_categories)}
    either = {m.id for m in CORPUS if set(chosen) & set(m.actor_categories)}
    assert together < either
    assert {m.id for m in CORPUS if all_mode.matches(m)} == together
    assert {m.id for m in CORPUS if any_mode.matches(m)} == either


def test_only_facets_with_a_mode_can_require_all() -> None:
    filters = SearchFilters(actor_category=["ess"], odd=[3, 4], actor_mode="all")
    assert filters.requires_all(ACTOR_CATEGORY) and not filters.requires_all(ODD)
    with pytest.raises(ValidationError, match="actor_mode"):
        SearchFilters(actor_mode="some")


@pytest.mark.parametrize(
    ("typed", "official"),
    [
        ("Reunion", "La Réunion"),
        ("la reunion", "La Réunion"),
        ("provence alpes cote d azur", "Provence-Alpes-Côte d'Azur"),
        ("ILE-DE-FRANCE", "Île-de-France"),
        ("Bretagne", "Bretagne"),
    ],
)
def test_regions_typed_loosely_are_their_official_names(typed: str, official: str) -> None:
    assert SearchFilters(region=[typed]).region == [official]


def test_a_region_typed_twice_loosely_is_selected_once_and_unknown_ones_are_still_refused() -> None:
    assert SearchFilters(region=["Reunion", "La Réunion"]).region == ["La Réunion"]
    assert len(LOOSE_VALUES["region"]) == len(REGION.values)  # no two regions read alike
    with pytest.raises(ValidationError, match="unknown region 'Atlantide'"):
        SearchFilters(region=["Atlantide"])
