"""The committed referential, loaded: sizes per kind, known codes, former codes, names vs codes."""

from __future__ import annotations

from schemas.territory import TerritoryKind, Zone
from territories.referential import referential


def test_sizes_per_kind_are_those_of_the_2026_geography() -> None:
    counts = referential().counts
    assert counts[TerritoryKind.REGION] == 26  # 18 regions and 8 overseas collectivities
    assert counts[TerritoryKind.DEPARTEMENT] == 109
    assert 1_200 <= counts[TerritoryKind.EPCI] <= 1_300
    assert 34_000 <= counts[TerritoryKind.COMMUNE] <= 35_500
    assert counts[TerritoryKind.ARRONDISSEMENT] == 20 + 9 + 16  # Paris, Lyon, Marseille


def test_known_communes() -> None:
    territories = referential()
    paris = territories.get(TerritoryKind.COMMUNE, "75056")
    assert paris and paris.name == "Paris" and paris.department == "75" and paris.region == "11"
    die = territories.get(TerritoryKind.COMMUNE, "26113")
    assert die and (die.name, die.department, die.region, die.zone) == ("Die", "26", "84", Zone.METRO)
    diois = territories.get(TerritoryKind.EPCI, die.epci)
    assert diois and diois.name == "Communauté de communes du Diois" and diois.nature == "CC"
    ferte = territories.get(TerritoryKind.COMMUNE, "77183")
    assert ferte and ferte.name == "La Ferté-sous-Jouarre"
    reunion = territories.get(TerritoryKind.COMMUNE, "97411")
    assert reunion and (reunion.name, reunion.department, reunion.zone) == ("Saint-Denis", "974", Zone.DROM)


def test_arrondissements_belong_to_their_commune_and_its_epci() -> None:
    territories = referential()
    first = territories.get(TerritoryKind.ARRONDISSEMENT, "75101")
    paris = territories.get(TerritoryKind.COMMUNE, "75056")
    assert first and paris and first.parent == "75056" and first.epci == paris.epci


def test_retired_codes_lead_to_their_successor() -> None:
    territories = referential()
    former = territories.former("01039")  # Béon, commune déléguée of Culoz-Béon
    assert former and former.name == "Béon" and former.successors == ("01138",)
    assert territories.get(TerritoryKind.COMMUNE, "01039") is None
    split = territories.former("55273")
    assert split and len(split.successors) == 2


def test_departements_and_regions_by_name_or_code() -> None:
    territories = referential()
    for text in ("26", "Drôme", "drome", " DROME "):
        found = territories.find(TerritoryKind.DEPARTEMENT, text)
        assert found and found.code == "26", text
    corse = territories.find(TerritoryKind.DEPARTEMENT, "2a")
    assert corse and corse.name == "Corse-du-Sud"
    region = territories.find(TerritoryKind.REGION, "auvergne rhone alpes")
    assert region and region.code == "84"
    assert territories.find(TerritoryKind.DEPARTEMENT, "Atlantide") is None


def test_epci_lie_in_the_departement_of_most_of_their_people() -> None:
    territories = referential()
    paris = territories.get(TerritoryKind.EPCI, "200054781")  # Métropole du Grand Paris: 75, 92, 93, 94, 91, 95
    assert paris and paris.department == "75" and paris.nature == "ME"
