"""`QueryModelRoute` answers what FastAPI's own handler answers, for any query string, and refuses the
endpoints it cannot serve when the route is built."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, MutableSequence
from typing import Annotated, Any
from urllib.parse import urlencode

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel

from api.http.error_responses import install_error_handlers
from api.http.query_model import QueryModelRoute, QueryReader, is_sequence
from api.http.strict_query import no_unknown_query
from api.main import create_app
from api.settings import Settings
from api.v1.search import router as search_router
from api.v1.suggest import router as suggest_router
from schemas.search import SearchRequestParams


async def engine_name(request: Request) -> str:
    return "engine"


EngineName = Annotated[str, Depends(engine_name)]


async def echo(params: Annotated[SearchRequestParams, Query()], engine: EngineName, request: Request) -> Response:
    return Response(params.model_dump_json() + f'\n"{engine}"', media_type="text/plain")


def two_routes() -> FastAPI:
    """The same endpoint behind FastAPI's handler (`/fastapi/search`) and ours (`/ours/search`)."""
    app = FastAPI()
    for prefix, route_class in (("/fastapi", APIRoute), ("/ours", QueryModelRoute)):
        router = APIRouter(route_class=route_class)
        router.add_api_route("/search", echo, methods=["GET"])
        app.include_router(router, prefix=prefix)
    return app


@pytest.fixture(scope="module")
def both() -> Iterator[TestClient]:
    with TestClient(two_routes()) as client:
        yield client


NAMES = [*SearchRequestParams.model_fields, "unknown", "Q", "odd[]"]
WORDS = "rural urbain association 3 17 18 0 -1 1.5 abc true any all Bretagne 26 2A 242600534 26113 2a004"
NAMED = "relevance recent published lexical hybrid 1950 2101 500 10000 % a&b=c"
VALUES = [*WORDS.split(), *NAMED.split(), "", " ", "tiers-lieu «rural»", "x" * 300, "é" * 600]
PAIRS = st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(VALUES)), max_size=8)


def same_answer(both: TestClient, pairs: list[tuple[str, str]]) -> None:
    """FastAPI's answer; but a field taking one value given several times, which FastAPI reads as its last value
    silently, is a 422 naming each such field (in the model's order)."""
    query = urlencode(pairs)
    theirs, ours = both.get(f"/fastapi/search?{query}"), both.get(f"/ours/search?{query}")
    names = [name for name, _ in pairs]
    reader = QueryReader.of(SearchRequestParams)
    repeated = [n for n in reader.fields if n not in reader.repeatable and names.count(n) > 1]
    if repeated:
        assert ours.status_code == 422, query
        assert [d["loc"] for d in ours.json()["detail"]] == [["query", n] for n in repeated], query
        return
    assert (ours.status_code, ours.text) == (theirs.status_code, theirs.text), query


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=PAIRS)
def test_any_query_string_gets_fastapis_answer(both: TestClient, pairs: list[tuple[str, str]]) -> None:
    same_answer(both, pairs)


@pytest.mark.parametrize(
    "pairs",
    [
        [("size", "100"), ("page", "101")],  # the result window, checked on the whole model
        [("year_to", "1999"), ("year_from", "2000"), ("q", "v" * 200)],
        [("colour", "red"), ("odd", "3"), ("colour", "blue"), ("q", "vélo")],
    ],
)
def test_model_level_errors_show_fastapis_input(both: TestClient, pairs: list[tuple[str, str]]) -> None:
    """The whole input, as a model-level error shows it: the model's fields in its order, then the rest."""
    same_answer(both, pairs)


def test_a_valid_search_and_an_error_both_come_through(both: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison above is between FastAPI and our reader, and not between two broken routes: a search
    reads its lists, an error names the field."""
    reads = []
    read = QueryReader.read
    monkeypatch.setattr(QueryReader, "read", lambda self, query: reads.append(query) or read(self, query))
    answer = both.get("/ours/search", params=[("q", " vélo "), ("odd", "3"), ("odd", "7"), ("region", "Bretagne")])
    assert answer.status_code == 200
    assert '"odd":[3,7]' in answer.text and '"region":["Bretagne"]' in answer.text and answer.text.endswith('"engine"')
    wrong = both.get("/ours/search", params={"odd": "18", "colour": "red"})
    assert wrong.status_code == 422
    assert {tuple(error["loc"]) for error in wrong.json()["detail"]} == {("query", "odd", 0), ("query", "colour")}
    assert len(reads) == 2


def test_overridden_dependencies_go_through_fastapi() -> None:
    app = two_routes()
    app.dependency_overrides[engine_name] = lambda: "override"
    with TestClient(app) as client:
        assert client.get("/ours/search").text.endswith('"override"')
    app.dependency_overrides.clear()
    with TestClient(app) as client:
        assert client.get("/ours/search").text.endswith('"engine"')


class Few(BaseModel):
    q: str = ""


async def takes_a_header(params: Annotated[Few, Query()], x_key: Annotated[str, Header()]) -> Response:
    return Response()


async def returns_a_model(params: Annotated[Few, Query()]) -> Few:
    return params


def synchronous(params: Annotated[Few, Query()]) -> Response:
    return Response()


async def no_model(request: Request) -> Response:
    return Response()


async def two_models(a: Annotated[Few, Query()], b: Annotated[Few, Query()]) -> Response:
    return Response()


def needs_a_store(store: Annotated[str, Depends(lambda: "store")]) -> str:
    return store


async def deep_dependency(params: Annotated[Few, Query()], key: Annotated[str, Depends(needs_a_store)]) -> Response:
    return Response()


async def validated_again(params: Annotated[Few, Query(), AfterValidator(lambda few: few)]) -> Response:
    return Response()


async def untyped(params: Annotated[Few, Query()], other) -> Response:  # type: ignore[no-untyped-def]
    return Response()


@pytest.mark.parametrize(
    "endpoint, reason",
    [
        (takes_a_header, "x_key"),
        (returns_a_model, "returns a Response"),
        (synchronous, "async"),
        (no_model, "no `Annotated[Model, Query()]`"),
        (two_models, "one query model only"),
        (deep_dependency, "'key'"),
        (validated_again, "'params'"),
        (untyped, "without a type: ['other']"),
    ],
)
def test_endpoints_it_cannot_serve_are_refused_when_built(endpoint: Any, reason: str) -> None:
    with pytest.raises(TypeError, match=re.escape(reason)):
        QueryModelRoute("/x", endpoint, methods=["GET"])


async def fine(params: Annotated[Few, Query()]) -> Response:
    return Response()


async def refuse(request: Request) -> None:
    raise HTTPException(403, "refused")


def test_router_dependencies_are_run_not_skipped() -> None:
    router = APIRouter(route_class=QueryModelRoute)
    router.add_api_route("/x", fine, methods=["GET"])
    app = FastAPI()
    app.include_router(router, dependencies=[Depends(refuse)])
    with TestClient(app) as client:
        assert client.get("/x").status_code == 403
    with pytest.raises(TypeError, match="route dependencies"):
        QueryModelRoute("/y", fine, methods=["GET"], dependencies=[Depends(engine_name)])


def test_repeatable_fields_are_the_sequences() -> None:
    assert is_sequence(list[str]) and is_sequence(list[int] | None) and is_sequence(Annotated[list[str], "x"])
    assert is_sequence(deque[str]) and is_sequence(MutableSequence[str]) and is_sequence(tuple[int, ...])
    assert not is_sequence(str) and not is_sequence(int | None) and not is_sequence(dict[str, str])
    repeatable = {name for name, field in SearchRequestParams.model_fields.items() if is_sequence(field.annotation)}
    assert repeatable == {"territory_type", "actor_category", "odd", "region", "department", "epci"}


def search_routes() -> list[Any]:
    return [*search_router.routes, *suggest_router.routes]


def test_the_api_searches_through_it_and_still_documents_every_parameter(tmp_path: Any) -> None:
    app = create_app(Settings(data_dir=tmp_path, embedder="none"))
    served = {route.path for route in search_routes() if isinstance(route, QueryModelRoute)}
    assert served == {"/search", "/search/stats", "/search/map", "/suggest"}
    documented = {p["name"] for p in app.openapi()["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert documented == set(SearchRequestParams.model_fields)


class Paging(BaseModel):
    page: int = 1
    size: int = 10


def test_unknown_parameters_are_named_on_a_route_reading_a_query_model() -> None:
    """`strict_query`: a pydantic model read from the query string takes its fields' names, nothing else."""
    router = APIRouter(dependencies=[Depends(no_unknown_query)])

    @router.get("/things")
    def things(paging: Annotated[Paging, Query()], kind: str = "all") -> dict[str, object]:
        return {"page": paging.page, "kind": kind}

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    client = TestClient(app)
    assert client.get("/things", params={"page": 2, "size": 5, "kind": "x"}).json() == {"page": 2, "kind": "x"}
    refused = client.get("/things", params={"pages": 2})
    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["loc"] == ["query", "pages"]
