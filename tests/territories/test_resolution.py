"""A monograph's territory resolved against the referential: codes, names, former codes, inconsistencies."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.monograph import MonographContent, Territory
from schemas.territory import EpciNature, TerritoryKind, Zone
from territories.referential import referential
from territories.resolution import TerritoryError, resolve, resolve_territory
from tests.corpus import CORPUS


def resolved(**fields: Any) -> Territory:
    return resolve_territory(Territory(**fields), referential())


def refused(**fields: Any) -> TerritoryError:
    with pytest.raises(TerritoryError) as error:
        resolved(**fields)
    return error.value


def test_a_known_code_fills_the_territory() -> None:
    die = resolved(name="die", code="26113")
    assert (die.name, die.kind, die.insee_code, die.department, die.region) == (
        "Die",
        TerritoryKind.COMMUNE,
        "26113",
        "26",
        "Auvergne-Rhône-Alpes",
    )
    assert die.epci == "242600534" and die.population and die.zone == Zone.METRO and die.resolved
    assert die.epci_nature == EpciNature.CC  # its EPCI's: a communauté de communes
    assert die.resolution_note is None


def test_insee_code_alone_is_a_commune_code() -> None:
    assert resolved(name="Ajaccio", insee_code="2a004").code == "2A004"
    assert refused(name="x", code="26113", insee_code="26114").field == "insee_code"


def test_an_epci_is_its_own_epci_and_may_span_departements() -> None:
    grand_paris = resolved(name="x", code="200054781", department="93")
    assert grand_paris.kind == TerritoryKind.EPCI and grand_paris.epci == "200054781"
    assert grand_paris.epci_nature == EpciNature.ME
    assert grand_paris.department == "93" and grand_paris.insee_code is None
    assert resolved(name="x", code="242600534").name == "Communauté de communes du Diois"


def test_arrondissement() -> None:
    first = resolved(name="Paris 1er", code="75101")
    assert first.kind == TerritoryKind.ARRONDISSEMENT and first.department == "75"


def test_unknown_code_names_it() -> None:
    error = refused(name="x", code="99999")
    assert error.field == "code" and "99999" in error.message


def test_a_retired_code_resolves_to_its_successor_and_says_so() -> None:
    beon = resolved(name="Béon", code="01039")
    assert (beon.code, beon.name) == ("01138", "Culoz-Béon")
    assert beon.resolution_note and "01039" in beon.resolution_note and "01138" in beon.resolution_note
    split = refused(name="x", code="55273")
    assert split.field == "code" and "55245" in split.message and "55386" in split.message


def test_ambiguous_two_character_codes_need_a_kind() -> None:
    assert refused(name="x", code="84").field == "kind"
    assert resolved(name="x", code="84", kind="region").name == "Auvergne-Rhône-Alpes"
    assert resolved(name="x", code="84", kind="departement").name == "Vaucluse"
    assert resolved(name="x", code="26").kind == TerritoryKind.DEPARTEMENT  # no région 26


@pytest.mark.parametrize("department", ["26", "Drôme", "drome", "DROME"])
def test_departement_by_code_or_name(department: str) -> None:
    valley = resolved(name="Vallée de la Drôme", department=department)
    assert valley.department == "26" and valley.region == "Auvergne-Rhône-Alpes" and not valley.resolved


@pytest.mark.parametrize("region", ["84", "Auvergne-Rhône-Alpes", "auvergne rhone alpes"])
def test_region_by_code_or_name(region: str) -> None:
    assert resolved(name="Vercors", region=region).region == "Auvergne-Rhône-Alpes"


def test_inconsistent_combination_says_what_the_code_implies() -> None:
    error = refused(name="Die", code="26113", department="38")
    assert error.field == "department" and "Drôme" in error.message and "26" in error.message
    assert "Isère" in error.message
    assert refused(name="Die", code="26113", region="Bretagne").field == "region"
    assert refused(name="Vallée", department="26", region="Bretagne").field == "region"


def test_unknown_names() -> None:
    assert refused(name="x", department="Atlantide").field == "department"
    assert refused(name="x", region="Rhône-Alpes").field == "region"  # the former region


def test_name_only_stays_unresolved_and_values_sent_for_the_api_are_replaced() -> None:
    valley = resolved(name="Vallée de la Roya", population=5, epci="242600534", epci_nature="CC", resolved=True)
    assert not valley.resolved and valley.population is None and valley.epci is None and valley.code is None
    assert valley.epci_nature is None


def test_overseas_territories_are_outre_mer() -> None:
    content = CORPUS[0].content().model_copy(update={"territory": Territory(name="x", code="97411")})
    assert "outre-mer" in resolve(content).territory_types
    spm = CORPUS[0].content().model_copy(update={"territory": Territory(name="x", region="Saint-Pierre-et-Miquelon")})
    assert resolve(spm).territory_types[-1] == "outre-mer"
    metro = resolve(CORPUS[0].content())
    assert "outre-mer" not in metro.territory_types and isinstance(metro, MonographContent)


@pytest.mark.parametrize(
    ("given", "place"),
    [
        ({"name": "Mafate", "code": "97415"}, "Mafate"),
        ({"name": "Les Hauts de Saint-Paul", "code": "97415"}, "Les Hauts de Saint-Paul"),
        ({"name": "Saint-Paul", "code": "97415", "place": "Mafate"}, "Mafate"),  # an edit sends both back
        ({"name": "st paul", "code": "97415"}, None),
        ({"name": "Commune de Die", "code": "26113"}, None),
        ({"name": "Die (26)", "code": "26113"}, None),
        ({"name": "26113", "code": "26113"}, None),
        ({"name": "2A004", "code": "2A004"}, None),  # a code with a letter (Corse) is a code too
        ({"name": "Briançonnais", "code": "240500439"}, None),  # an EPCI named shortly
        ({"name": "Béon", "code": "01039"}, None),  # a former commune its successor's name says
        ({"name": "Saint-Paul", "code": "97415", "place": "Saint Paul"}, None),
    ],
)
def test_a_place_named_within_the_official_territory_is_kept_beside_its_name(
    given: dict[str, str], place: str | None
) -> None:
    territory = resolved(**given)
    assert territory.resolved and territory.place == place


def test_the_official_name_replaces_the_name_given_and_a_name_only_territory_is_its_own_place() -> None:
    assert resolved(name="Mafate", code="97415").name == "Saint-Paul"
    assert resolved(name="Vallée de la Drôme", department="26").place is None
