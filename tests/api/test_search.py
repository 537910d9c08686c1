from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_search_shape(client: TestClient, published: list[str]) -> None:
    body = client.get("/api/v1/search", params={"q": "covoiturage"}).json()
    assert body["total"] == 1 and body["page"] == 1 and body["size"] == 20
    hit = body["hits"][0]
    assert hit["url"] == f"https://pratiques.example/fiche?id={hit['id']}"
    assert "<mark>Covoiturage</mark>" in hit["highlight"]["summary"]
    assert set(body["facets"]) == {"territory_type", "actor_category", "odd", "region", "department", "epci"}
    assert {"value", "label", "count"} <= set(body["facets"]["odd"][0])


def test_repeatable_filters_and_disjunctive_facets(client: TestClient, published: list[str]) -> None:
    body = client.get("/api/v1/search", params=[("territory_type", "littoral"), ("territory_type", "outre-mer")]).json()
    assert body["total"] == 2
    types = {f["value"]: f["count"] for f in body["facets"]["territory_type"]}
    assert types["rural"] == 2  # its own facet ignores its own selection


def test_selected_value_listed_at_zero(client: TestClient, published: list[str]) -> None:
    body = client.get("/api/v1/search", params={"q": "covoiturage", "region": "Corse"}).json()
    corse = [f for f in body["facets"]["region"] if f["value"] == "Corse"]
    assert body["total"] == 0 and corse and corse[0]["count"] == 0


def test_submitted_is_not_searchable(client: TestClient, published: list[str]) -> None:
    assert client.get("/api/v1/search", params={"q": "brouillon"}).json()["total"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"size": 1000}, "size"),
        ({"page": 0}, "page"),
        ({"odd": 18}, "odd"),
        ({"odd": "abc"}, "odd"),
        ({"territory_type": "banlieue"}, "territory_type"),
        ({"actor_category": "mairie"}, "actor_category"),
        ({"sort": "popularity"}, "sort"),
        ({"q": "x" * 501}, "q"),
        ({"year_from": "deux-mille"}, "year_from"),
        ({"actor_mode": "some"}, "actor_mode"),
    ],
)
def test_bad_parameters_name_the_field(client: TestClient, params: dict[str, object], field: str) -> None:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any(field in d["loc"] for d in error["details"]), error


def test_unknown_facet_value_lists_allowed_values(client: TestClient) -> None:
    error = client.get("/api/v1/search", params={"territory_type": "banlieue"}).json()["error"]
    assert "rural" in error["details"][0]["msg"] and "outre-mer" in error["details"][0]["msg"]
    region = client.get("/api/v1/search", params={"region": "Bourgogne"}).json()["error"]
    assert "Bourgogne-Franche-Comté" in region["message"]


def test_unknown_parameter_is_rejected(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"territoire": "rural"})
    assert response.status_code == 422 and "territoire" in response.text


def test_a_parameter_given_twice_is_named_not_read_as_its_last_value(client: TestClient) -> None:
    """`?q=tiers&q=zzzqqq` searched « zzzqqq » (0 results), `size=5&size=7` gave 7: embeds and feeds said which
    parameter was repeated, the JSON API now does too. Repeatable filters still take several values."""
    twice = client.get("/api/v1/search", params=[("q", "tiers"), ("q", "zzzqqq"), ("size", 5), ("size", 7)])
    assert twice.status_code == 422
    error = twice.json()["error"]
    assert [d["loc"] for d in error["details"]] == [["query", "q"], ["query", "size"]]
    assert "query.q: given 2 times; send one value" in error["message"]
    assert client.get("/api/v1/search", params=[("odd", 3), ("odd", 7)]).status_code == 200


def test_inverted_year_range(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"year_from": 2022, "year_to": 2010})
    assert response.status_code == 422 and "year_from" in response.json()["error"]["message"]
    # Located on a field, so a client (the widget) can name the attribute to correct.
    assert [d["loc"] for d in response.json()["error"]["details"]] == [["query", "year_to"]]


def test_too_deep_page(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"page": 500, "size": 100})
    assert response.status_code == 422


@pytest.mark.parametrize("q", ["title:(a OR b)", '"', "\\", "*", "~", "mobilité~2 AND", '{"query": {"match_all": {}}}'])
def test_query_syntax_answers_cleanly(client: TestClient, published: list[str], q: str) -> None:
    response = client.get("/api/v1/search", params={"q": q})
    assert response.status_code == 200


def test_sort_and_paging(client: TestClient, published: list[str]) -> None:
    first = client.get("/api/v1/search", params={"sort": "oldest", "size": 2}).json()
    second = client.get("/api/v1/search", params={"sort": "oldest", "size": 2, "page": 2}).json()
    years = [h["year"] for h in first["hits"] + second["hits"]]
    assert years == sorted(years) and first["total"] == 7


def test_referentials(client: TestClient) -> None:
    body = client.get("/api/v1/referentials").json()
    assert len(body["odd"]) == 17 and body["odd"][16]["colour"] == "#19486A"
    assert body["odd"][0]["label"] == "Pas de pauvreté"
    assert {"value": "outre-mer", "label": "Outre-mer"} in body["territory_types"]
    assert len(body["actor_categories"]) == 8
    assert any(r["value"] == "La Réunion" and r["code"] == "04" for r in body["regions"])


def test_did_you_mean_and_counts_without_filters(client: TestClient, published: list[str]) -> None:
    body = client.get("/api/v1/search", params={"q": "covoiturrage"}).json()
    assert body["total"] == 1 and body["corrected_query"] == "covoiturage"
    body = client.get("/api/v1/search", params={"q": "covoiturage", "region": "Corse"}).json()
    assert body["total"] == 0 and body["total_without_filters"] == 1
    body = client.get("/api/v1/search", params={"q": "covoiturage"}).json()
    assert body["corrected_query"] is None and body["total_without_filters"] is None


def test_suggest_completes_and_links_practices(client: TestClient, published: list[str]) -> None:
    response = client.get("/api/v1/suggest", params={"q": "covoit"})
    assert response.status_code == 200
    body = response.json()
    practices = [s for s in body["suggestions"] if s["kind"] == "practice"]
    assert body["q"] == "covoit" and practices
    assert practices[0]["url"] == f"https://pratiques.example/fiche?id={practices[0]['id']}"
    assert all(s["url"] is None for s in body["suggestions"] if s["kind"] != "practice")


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": ""}, "q"), ({"q": "   "}, "q"), ({"q": "x" * 101}, "q"), ({"q": "a", "limit": 11}, "limit")],
)
def test_suggest_bad_parameters_name_the_field(client: TestClient, params: dict[str, object], field: str) -> None:
    response = client.get("/api/v1/suggest", params=params)
    assert response.status_code == 422
    assert field in str(response.json())


def test_alliance_of_actor_categories(client: TestClient, published: list[str]) -> None:
    both = [("actor_category", "collectivite"), ("actor_category", "association")]
    alliance = client.get("/api/v1/search", params=[*both, ("actor_mode", "all")]).json()
    either = client.get("/api/v1/search", params=both).json()
    assert 0 < alliance["total"] < either["total"]
    counts = {f["value"]: f["count"] for f in alliance["facets"]["actor_category"]}
    assert counts["collectivite"] == counts["association"] == alliance["total"]


def test_department_facet_filters_by_code_and_names_it(client: TestClient, published: list[str]) -> None:
    body = client.get("/api/v1/search", params={"department": "26"}).json()
    assert body["total"] >= 1 and all(hit["territory"]["department"] == "26" for hit in body["hits"])
    drome = [f for f in body["facets"]["department"] if f["value"] == "26"]
    assert drome and drome[0]["label"] == "Drôme (26)" and drome[0]["selected"]
    error = client.get("/api/v1/search", params={"department": "Drôme"}).json()["error"]
    assert "department" in str(error["details"]) and "INSEE code" in str(error["details"])


def test_a_region_typed_without_its_accents_or_article_filters_as_its_official_name(
    client: TestClient, published: list[str]
) -> None:
    official = client.get("/api/v1/search", params={"region": "La Réunion"}).json()
    loose = client.get("/api/v1/search", params={"region": "reunion"})
    assert loose.status_code == 200 and official["total"] >= 1
    assert loose.json()["total"] == official["total"]
    assert [v["value"] for v in loose.json()["facets"]["region"] if v["selected"]] == ["La Réunion"]


def test_an_odd_typed_in_the_words_is_applied_and_said(client: TestClient, published: list[str]) -> None:
    body = client.get("/api/v1/search", params={"q": "ODD 6"}).json()
    by_filter = client.get("/api/v1/search", params={"odd": 6}).json()
    assert body["total"] == by_filter["total"] > 0
    assert body["understood"] == {"q": "", "odd": [6], "mentions": ["ODD 6"]}
    assert [f["value"] for f in body["facets"]["odd"] if f["selected"]] == ["6"]
    assert client.get("/api/v1/search", params={"q": '"ODD 6"'}).json()["understood"] is None
