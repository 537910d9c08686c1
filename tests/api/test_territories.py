"""`GET /api/v1/territories`: suggestions with what tells homonyms apart, and 422s naming the parameter."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    # The autocomplete reads no store: one kind of store is enough.
    return f"sqlite:///{tmp_path}/impact.db"


def test_homonyms_come_with_their_departement(client: TestClient) -> None:
    answer = client.get("/api/v1/territories", params={"q": "st denis", "kind": "commune", "limit": 2})
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [(i["code"], i["department"], i["department_name"]) for i in items] == [
        ("97411", "974", "La Réunion"),
        ("93066", "93", "Seine-Saint-Denis"),
    ]
    assert items[0]["zone"] == "drom" and items[0]["region_name"] == "La Réunion"
    assert items[1]["epci"] == "200054781"
    # A commune's EPCI, named, and its nature: Saint-Denis (93) is in the Métropole du Grand Paris.
    assert items[1]["epci_name"] == "Métropole du Grand Paris" and items[1]["epci_nature"] == "ME"


def test_epci_suggestion(client: TestClient) -> None:
    (diois,) = client.get("/api/v1/territories", params={"q": "cc diois"}).json()["items"]
    assert diois["name"] == "Communauté de communes du Diois" and diois["epci_nature"] == "CC"
    assert diois["kind"] == "epci" and diois["department_name"] == "Drôme"


def test_several_kinds(client: TestClient) -> None:
    items = client.get("/api/v1/territories", params=[("q", "drome"), ("kind", "departement"), ("kind", "epci")])
    assert {i["kind"] for i in items.json()["items"]} == {"departement", "epci"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": "die", "limit": 21}, "limit"),
        ({"q": "die", "limit": 0}, "limit"),
        ({"q": "die", "kind": "canton"}, "kind"),
        ({"q": "die", "colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_are_422_naming_them(client: TestClient, params: dict[str, object], field: str) -> None:
    answer = client.get("/api/v1/territories", params=params)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and field in error["message"]
