"""`GET /facets/{facet}/values`: a search among a facet's values, counted under the current search."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import payload

DIOIS, CREST, LORIENT = "242600534", "200040509", "200042174"


@pytest.fixture
def coded(client: TestClient, editor: dict[str, str]) -> None:
    """Published practices in resolved communes: two in Die, one in Crest (Drôme), one in Lorient."""
    for n, (code, types) in enumerate(
        [("26113", ["rural"]), ("26113", ["montagne"]), ("26108", ["urbain"]), ("56121", ["urbain", "littoral"])]
    ):
        body = payload(territory={"name": "x", "code": code}, territory_types=types, status="published")
        response = client.post("/api/v1/monographs", json=body | {"external_id": f"coded-{n}"}, headers=editor)
        assert response.status_code == 201, response.text


def found(client: TestClient, facet: str, **params: Any) -> list[tuple[str, str, int]]:
    response = client.get(f"/api/v1/facets/{facet}/values", params=params)
    assert response.status_code == 200, response.text
    return [(v["value"], v["label"], v["count"]) for v in response.json()["values"]]


def test_words_of_a_name_find_the_value(client: TestClient, coded: None) -> None:
    assert found(client, "epci", q="diois") == [(DIOIS, "CC du Diois (26)", 2)]
    assert found(client, "epci", q="CŒUR de dro") == found(client, "epci", q="coeur drome")  # folded, any order
    assert [v for v, _, _ in found(client, "epci", q="coeur drome")] == [CREST]
    # The written-out legal form finds the short label too.
    assert [v for v, _, _ in found(client, "epci", q="communaute de communes crestois")] == [CREST]
    assert found(client, "department", q="dro") == found(client, "department", q="DRÔ") == [("26", "Drôme (26)", 3)]


def test_a_code_finds_its_value(client: TestClient, coded: None) -> None:
    assert [v for v, _, _ in found(client, "department", q="56")] == ["56"]
    assert [v for v, _, _ in found(client, "epci", q=LORIENT)] == [LORIENT]
    # An EPCI's label carries its département: `26` finds the Drôme's EPCI with practices.
    assert [v for v, _, _ in found(client, "epci", q="26")] == [DIOIS, CREST]


def test_only_values_with_practices_most_first_then_by_label(client: TestClient, coded: None) -> None:
    assert found(client, "epci") == [
        (DIOIS, "CC du Diois (26)", 2),
        (LORIENT, "CA Lorient Agglomération (56)", 1),
        (CREST, "CC du Crestois et de Pays de Saillans Coeur de Drôme (26)", 1),
    ]
    assert found(client, "epci", q="valence") == []  # Valence Romans Agglo exists, but no practice is there
    assert found(client, "epci", q="zzz") == []


def test_counts_follow_the_current_search(client: TestClient, coded: None) -> None:
    assert found(client, "epci", territory_type="urbain") == [
        (LORIENT, "CA Lorient Agglomération (56)", 1),
        (CREST, "CC du Crestois et de Pays de Saillans Coeur de Drôme (26)", 1),
    ]
    assert [v for v, _, _ in found(client, "epci", region="Bretagne")] == [LORIENT]
    assert found(client, "epci", search="aucunmotconnu") == []


def test_its_own_selection_aside_and_selected_values_always_listed(client: TestClient, coded: None) -> None:
    response = client.get("/api/v1/facets/epci/values", params={"epci": LORIENT})
    values = {v["value"]: (v["count"], v["selected"]) for v in response.json()["values"]}
    assert values == {DIOIS: (2, False), LORIENT: (1, True), CREST: (1, False)}
    nothing = client.get("/api/v1/facets/epci/values", params={"epci": LORIENT, "search": "aucunmotconnu"})
    assert [(v["value"], v["count"], v["selected"]) for v in nothing.json()["values"]] == [(LORIENT, 0, True)]


def test_a_public_cacheable_read(client: TestClient, coded: None) -> None:
    first = client.get(
        "/api/v1/facets/epci/values", params={"q": "diois"}, headers={"Origin": "https://partner.example"}
    )
    assert first.headers["access-control-allow-origin"] == "*" and "max-age" in first.headers["cache-control"]
    again = client.get(
        "/api/v1/facets/epci/values", params={"q": "diois"}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


def test_limit_says_there_are_more(client: TestClient, coded: None) -> None:
    body = client.get("/api/v1/facets/epci/values", params={"limit": 1}).json()
    assert [v["value"] for v in body["values"]] == [DIOIS] and body["more"] is True
    assert client.get("/api/v1/facets/epci/values").json()["more"] is False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"q": "a" * 101}, "q"),
        ({"search": "a" * 501}, "search"),
        ({"epci": "123"}, "epci"),
        ({"nope": "1"}, "nope"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_field(client: TestClient, params: dict[str, Any], field: str) -> None:
    response = client.get("/api/v1/facets/epci/values", params=params)
    assert response.status_code == 422, response.text
    assert f"query.{field}" in response.json()["error"]["message"]


@pytest.mark.parametrize("facet", ["nope", "year"])
def test_an_unknown_facet_is_a_404_naming_it(client: TestClient, facet: str) -> None:
    response = client.get(f"/api/v1/facets/{facet}/values")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found" and repr(facet) in error["message"] and "epci" in error["message"]
