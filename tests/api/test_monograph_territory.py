"""Submitted territories are resolved against the official referential: filled, normalised, or a 422
naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import payload

URL = "/api/v1/monographs"


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    # Resolution happens before the store: one kind of store is enough.
    return f"sqlite:///{tmp_path}/impact.db"


def submit(client: TestClient, headers: dict[str, str], territory: dict[str, Any], **fields: Any) -> Any:
    return client.post(URL, json=payload(territory=territory, **fields), headers=headers)


def test_a_code_fills_the_territory(client: TestClient, editor: dict[str, str]) -> None:
    answer = submit(client, editor, {"name": "Die", "code": "26113"}, status="published")
    assert answer.status_code == 201
    territory = answer.json()["territory"]
    assert territory | {"population": 0} == {
        "name": "Die",
        "place": None,
        "code": "26113",
        "kind": "commune",
        "insee_code": "26113",
        "department": "26",
        "region": "Auvergne-Rhône-Alpes",
        "epci": "242600534",
        "epci_nature": "CC",
        "population": 0,
        "zone": "metro",
        "resolved": True,
        "resolution_note": None,
    }
    found = client.get("/api/v1/search", params={"region": "Auvergne-Rhône-Alpes"}).json()
    assert answer.json()["id"] in [hit["id"] for hit in found["hits"]]


def test_existing_clients_fields_still_work(client: TestClient, contributor: dict[str, str]) -> None:
    old = {"name": "Angers", "insee_code": "49007", "department": "49", "region": "Pays de la Loire"}
    territory = submit(client, contributor, old).json()["territory"]
    assert territory["resolved"] and territory["code"] == "49007" and territory["epci"]


def test_departement_by_name(client: TestClient, contributor: dict[str, str]) -> None:
    answer = submit(client, contributor, {"name": "Vallée de la Drôme", "department": "Drôme"})
    assert answer.status_code == 201
    territory = answer.json()["territory"]
    assert territory["department"] == "26" and territory["region"] == "Auvergne-Rhône-Alpes"
    assert territory["resolved"] is False and territory["code"] is None


@pytest.mark.parametrize(
    ("territory", "field", "words"),
    [
        ({"name": "x", "code": "99999"}, "code", "99999"),
        ({"name": "Die", "code": "26113", "department": "38"}, "department", "Drôme (département 26)"),
        ({"name": "Die", "code": "26113", "region": "Bretagne"}, "region", "Auvergne-Rhône-Alpes"),
        ({"name": "x", "department": "Atlantide"}, "department", "Atlantide"),
        ({"name": "x", "code": "84"}, "kind", "Vaucluse"),
    ],
)
def test_contradictions_are_422_naming_the_field(
    client: TestClient, contributor: dict[str, str], territory: dict[str, Any], field: str, words: str
) -> None:
    answer = submit(client, contributor, territory)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and f"territory.{field}" in error["message"]
    assert words in error["message"]
    assert error["details"][0]["loc"] == ["body", "territory", field]


def test_malformed_codes_are_422(client: TestClient, contributor: dict[str, str]) -> None:
    for territory in ({"name": "x", "code": "123456"}, {"name": "x", "department": "999"}, {"name": "x", "kind": "x"}):
        answer = submit(client, contributor, territory)
        assert answer.status_code == 422, territory
        assert answer.json()["error"]["details"][0]["loc"][:2] == ["body", "territory"]


def test_a_retired_code_is_resolved_and_the_answer_says_so(client: TestClient, contributor: dict[str, str]) -> None:
    territory = submit(client, contributor, {"name": "Béon", "code": "01039"}).json()["territory"]
    assert territory["code"] == "01138" and territory["name"] == "Culoz-Béon"
    assert "01039" in territory["resolution_note"]


def test_overseas_adds_outre_mer(client: TestClient, contributor: dict[str, str]) -> None:
    answer = submit(client, contributor, {"name": "Saint-Denis", "code": "97411"}, territory_types=["urbain"])
    assert answer.json()["territory_types"] == ["urbain", "outre-mer"]


def test_an_edit_is_resolved_too(client: TestClient, contributor: dict[str, str]) -> None:
    created = submit(client, contributor, {"name": "Die", "code": "26113"}).json()
    body = payload(territory={"name": "x", "code": "26113", "department": "38"}, version=created["version"])
    answer = client.put(f"{URL}/{created['id']}", json=body, headers=contributor)
    assert answer.status_code == 422 and answer.json()["error"]["details"][0]["loc"][-1] == "department"
    body["territory"] = {"name": "x", "code": "2A004"}
    assert client.put(f"{URL}/{created['id']}", json=body, headers=contributor).json()["territory"]["name"] == "Ajaccio"


def test_a_place_named_within_the_territory_is_kept_shown_and_searched(
    client: TestClient, editor: dict[str, str]
) -> None:
    """« Mafate » with Saint-Paul's code: the official name fills `name`, the contributor's stays as `place`,
    through an edit that sends the territory back as read, and a search for it finds the practice."""
    answer = submit(client, editor, {"name": "Mafate", "code": "97415"}, status="published", title="Une école")
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert (created["territory"]["name"], created["territory"]["place"]) == ("Saint-Paul", "Mafate")
    found = client.get("/api/v1/search", params={"q": "Mafate"}).json()["hits"]
    assert [hit["territory"]["place"] for hit in found if hit["id"] == created["id"]] == ["Mafate"]
    body = payload(territory=created["territory"], version=created["version"], title="Une école du cirque")
    edited = client.put(f"{URL}/{created['id']}", json=body, headers=editor).json()
    assert (edited["territory"]["name"], edited["territory"]["place"]) == ("Saint-Paul", "Mafate")
    body = payload(territory={"name": "Saint-Paul", "code": "97415"}, version=edited["version"])
    dropped = client.put(f"{URL}/{created['id']}", json=body, headers=editor).json()
    assert dropped["territory"]["place"] is None
