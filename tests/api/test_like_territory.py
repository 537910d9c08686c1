"""`GET /search?like_territory=`: practices from territories like mine, through the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from indexer.like_territory import size_likeness
from tests.api.conftest import payload

# Practices in official territories, resolved by the API on submission.
PLACES = {"florac": "48061", "saint-denis": "97411", "marseille": "13055", "diois": "242600534"}


@pytest.fixture
def placed(client: TestClient, editor: dict[str, str]) -> dict[str, str]:
    """One practice per place of `PLACES`, published; their ids by place."""
    ids = {}
    for place, code in PLACES.items():
        body = payload(territory={"name": place, "code": code}, external_id=place, status="published")
        body["territory_types"] = ["rural"]  # the API adds outre-mer for Saint-Denis
        response = client.post("/api/v1/monographs", json=body, headers=editor)
        assert response.status_code == 201, response.text
        ids[place] = response.json()["id"]
    return ids


def test_like_territory_ranks_and_says_why(client: TestClient, placed: dict[str, str]) -> None:
    body = client.get("/api/v1/search", params={"like_territory": "97407"}).json()  # Le Port (La Réunion)
    assert body["total"] == len(PLACES)  # nothing filtered out
    first = body["hits"][0]
    assert first["id"] == placed["saint-denis"]
    assert first["territory"]["epci_nature"] == "CA"
    # Le Port (34,000 inhabitants) and Saint-Denis (160,000) are in neighbouring size bands, which ranks it, but
    # nearly five times apart: not said to be of a close size.
    assert first["similarity_reasons"][:2] == [
        "même type de territoire (outre-mer)",
        "même nature d'intercommunalité (communauté d'agglomération)",
    ]
    assert "même département" in first["similarity_reasons"]
    assert body["like_territory"]["territory"]["name"] == "Le Port"
    assert body["like_territory"]["territory_types"] == ["urbain", "outre-mer"]

    # Die (4,800 inhabitants, in the CC du Diois): Florac's size beats its own, larger, EPCI's département.
    rural = client.get("/api/v1/search", params={"like_territory": "26113"}).json()
    assert [h["id"] for h in rural["hits"][:2]] == [placed["florac"], placed["diois"]]
    assert "taille comparable (≈ 2\u202f100 hab.)" in rural["hits"][0]["similarity_reasons"]
    assert rural["hits"][1]["similarity_reasons"] == [
        "même type de territoire (rural)",
        "taille comparable (≈ 12\u202f000 hab.)",
        "même nature d'intercommunalité (communauté de communes)",
        "même département",
        "même zone (France métropolitaine)",
    ]


def test_a_town_at_the_centre_of_a_rural_intercommunality_is_like_its_countryside_too(
    client: TestClient, placed: dict[str, str]
) -> None:
    # Pontivy (14,600 inhabitants, in a communauté de communes) is urban and rural; Briançon likewise; Le Port
    # (in a communauté d'agglomération), urban only.
    body = client.get("/api/v1/search", params={"like_territory": "56178"}).json()
    assert body["like_territory"]["territory_types"] == ["urbain", "rural"]
    florac = next(hit for hit in body["hits"] if hit["id"] == placed["florac"])
    assert florac["similarity_reasons"][0] == "même type de territoire (rural)"
    assert body["hits"][0]["id"] in (placed["florac"], placed["diois"])  # rural ones first: none is urban
    types = client.get("/api/v1/search", params={"like_territory": "97407"}).json()["like_territory"]
    assert types["territory_types"] == ["urbain", "outre-mer"]


def test_without_like_territory_nothing_changes(client: TestClient, placed: dict[str, str]) -> None:
    body = client.get("/api/v1/search").json()
    assert body["like_territory"] is None
    assert all(hit["similarity_reasons"] == [] and hit["score"] is None for hit in body["hits"])


def test_a_retired_commune_code_resolves_to_its_successor(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"like_territory": "01003"}).json()
    territory = body["like_territory"]["territory"]
    assert (territory["code"], territory["name"]) == ("01165", "Francheleins")
    assert "01003" in territory["resolution_note"]


def test_codes_are_case_and_space_tolerant(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"like_territory": " 2a004 "}).json()
    assert body["like_territory"]["territory"]["name"] == "Ajaccio"


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("Die", "INSEE code"),
        ("2613", "INSEE code"),
        ("26", "INSEE code"),  # a département: not a territory like mine
        ("2C004", "INSEE code"),
        ("1234567890", "INSEE code"),
        ("99999", "not the code of any commune"),
        ("123456789", "not the code of any EPCI"),
    ],
)
def test_bad_like_territory_is_a_422_naming_it(client: TestClient, code: str, says: str) -> None:
    response = client.get("/api/v1/search", params={"like_territory": code})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"][-1] == "like_territory"
    assert says in error["message"] and "like_territory" in error["message"]


@pytest.mark.parametrize(
    ("mine", "theirs", "said"),
    [
        (2_100, 2_100, "taille comparable"),
        (4_800, 12_000, "taille comparable"),  # 2.5 times
        (18_628, 5_800, "taille proche"),  # 3.2 times
        (18_628, 4_800, None),  # 3.9 times
        (5_391, 51_000, None),  # neighbouring bands, ten times apart: was « taille proche »
        (None, 5_000, None),
    ],
)
def test_a_size_is_said_comparable_or_close_only_when_it_is(mine: int | None, theirs: int, said: str | None) -> None:
    assert size_likeness(mine, theirs) == said


def test_metropolitan_france_alone_is_no_likeness(client: TestClient, placed: dict[str, str]) -> None:
    """Nantes (320,000 inhabitants, a métropole) was « Territoire comparable : même zone (France métropolitaine) »
    beside a village: said alone, the zone is left out."""
    body = client.get("/api/v1/search", params={"like_territory": "44109"}).json()
    reasons = [hit["similarity_reasons"] for hit in body["hits"]]
    assert ["même zone (France métropolitaine)"] not in reasons
    assert any("même zone (France métropolitaine)" in r for r in reasons if len(r) > 1)
