"""Autocomplete ranking and matching over the whole referential (in-process)."""

from __future__ import annotations

import pytest

from schemas.territory import TerritoryKind
from territories.autocomplete import territory_index


def codes(text: str, *kinds: TerritoryKind, limit: int = 10) -> list[str]:
    return [record.code for record in territory_index().search(text, kinds, limit)]


def test_saint_abbreviated_finds_both_saint_denis_first() -> None:
    assert codes("st denis")[:2] == ["97411", "93066"]  # exact names, then by population
    assert codes("St-Denis", TerritoryKind.COMMUNE)[:2] == ["97411", "93066"]
    assert "93" in codes("seine st denis", TerritoryKind.DEPARTEMENT)


@pytest.mark.parametrize("text", ["ste marie", "Sainte-Marie", "SAINTE MARIE"])
def test_sainte_abbreviated(text: str) -> None:
    assert codes(text)[:2] == ["97418", "97228"]


def test_each_word_starts_a_word_of_the_name() -> None:
    assert codes("ferte sous")[0] == "77183"
    assert codes("Ferté-sous-Jouarre") == ["77183"]
    assert codes("sous ferte")[0] == "77183"  # word order does not matter


def test_epci_by_legal_form() -> None:
    assert codes("cc diois") == ["242600534"]
    assert codes("communaute de communes du diois") == ["242600534"]
    assert codes("diois", TerritoryKind.EPCI) == ["242600534"]


def test_exact_name_before_more_populous_prefix_matches() -> None:
    assert codes("die")[0] == "26113"  # before Dieppe and Saint-Dié-des-Vosges
    assert codes("drome")[0] == "26"


def test_typos_are_forgiven_in_longer_words() -> None:
    assert "13055" in codes("marseile")
    assert "77183" in codes("ferté sou jouare")
    assert codes("grenobel", TerritoryKind.COMMUNE)[0] == "38185"
    assert codes("belofrt", TerritoryKind.COMMUNE)[0] == "90010"  # two letters swapped: one typo
    assert "26113" not in codes("dei")  # no typo tolerance under 4 letters


def test_codes() -> None:
    assert codes("26113") == ["26113"]
    assert codes("2a004") == ["2A004"]
    assert codes("26", limit=1) == ["26"]
    assert codes("200054781") == ["200054781"]


def test_arrondissements_are_searchable() -> None:
    assert codes("lyon 3", TerritoryKind.ARRONDISSEMENT) == ["69383"]
    assert codes("paris 1er") == ["75101"]


def test_kinds_and_limit() -> None:
    assert all(r.kind == TerritoryKind.EPCI for r in territory_index().search("saint", [TerritoryKind.EPCI], 20))
    assert len(codes("saint", limit=3)) == 3
    assert codes("   ") == [] and codes("--") == []


def test_benchmark_harness_runs() -> None:
    from benchmarks.territories import measure, summary_line

    results = measure(territories=6, rounds=1)
    assert results["latency_ms"]["n"] == results["queries"] > 50
    assert "p95" in summary_line(results)
