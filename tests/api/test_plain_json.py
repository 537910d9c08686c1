"""`PlainJson`: orjson writes our answer models as pydantic does, and models it would write otherwise are
refused when the writer is made."""

from __future__ import annotations

import enum
import functools
import json
import time
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Base64Str, BaseModel, ConfigDict, Field, RootModel, computed_field, field_serializer

from api.http.plain_json import PlainJson
from api.settings import Settings, practice_pages
from api.v1.search import SEARCH_JSON, response_body, search_response
from indexer.embedded import EmbeddedEngine
from schemas.search import SearchHit, SearchParams, Sort
from territories.like_territory import territory_profile
from tests.corpus import seed_corpus


@pytest.fixture(scope="module")
def seeded() -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine()
    engine.index(list(seed_corpus()))
    yield engine
    engine.close()


WORDS = ["tiers-lieu", "rural", "covoiturage", "alimentation", "jardin", "énergie", "mobilté", '"circuit court"', "zzz"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.lists(st.sampled_from(WORDS), max_size=3),
    odd=st.lists(st.integers(1, 17), max_size=2, unique=True),
    like=st.sampled_from([None, "26113", "242600534", "97411"]),
    size=st.sampled_from([1, 20, 100]),
    sort=st.sampled_from(list(Sort)),
)
def test_search_answers_are_written_as_pydantic_writes_them(
    seeded: EmbeddedEngine, words: list[str], odd: list[int], like: str | None, size: int, sort: Sort
) -> None:
    params = SearchParams(q=" ".join(words), odd=odd, size=size, sort=sort)
    query = params.to_query(deadline=time.monotonic() + 30, like=territory_profile(like) if like else None)
    result = seeded.search(query)
    answer = search_response(params, result, Settings())
    assert orjson.loads(SEARCH_JSON.dumps(answer)) == json.loads(answer.model_dump_json())
    assert in_order(response_body(params, result, Settings())) == in_order(answer.model_dump_json())
    # `/search` asks for its facets and hits written as JSON: the same answer.
    pages = practice_pages(Settings())
    written = seeded.search(query.model_copy(update={"as_json_for": pages}))
    assert written.facets == {} and written.facets_json is not None
    assert written.hits == [] and written.hits_json is not None
    assert in_order(response_body(params, written, Settings())) == in_order(answer.model_dump_json())


def in_order(written: bytes | str) -> Any:
    """JSON read with every object's keys in the order written."""
    return json.loads(written, object_pairs_hook=list)


def test_an_answer_with_highlights_likeness_and_a_correction_is_compared() -> None:
    """The generated searches above reach every part of an answer (not only empty ones)."""
    engine = EmbeddedEngine()
    engine.index(list(seed_corpus()))
    try:
        params = SearchParams(q="covoiturage rurl")
        query = params.to_query(deadline=time.monotonic() + 30, like=territory_profile("26113"))
        result = engine.search(query)
        answer = search_response(params, result, Settings())
        written = engine.search(query.model_copy(update={"as_json_for": practice_pages(Settings())}))
    finally:
        engine.close()
    assert in_order(response_body(params, written, Settings())) == in_order(answer.model_dump_json())
    written = orjson.loads(SEARCH_JSON.dumps(answer))
    assert written == json.loads(answer.model_dump_json())
    assert in_order(response_body(params, result, Settings())) == in_order(answer.model_dump_json())
    assert written["hits"] and written["facets"] and written["like_territory"]["territory"]["code"] == "26113"
    # The first hit as written, field by field, against its practice.
    first = in_order(response_body(params, result, Settings()))
    hit = dict(dict(first)["hits"][0])
    practice = next(m for m in seed_corpus() if m.id == hit["id"])
    assert [name for name, _ in dict(first)["hits"][0]] == [*SearchHit.model_fields, "url"]
    assert (hit["title"], hit["summary"], hit["year"]) == (practice.title, practice.summary, practice.year)
    assert dict(hit["territory"])["name"] == practice.territory.name and hit["odd"] == practice.odd
    assert isinstance(hit["score"], float) and hit["url"] == practice_pages(Settings()) + practice.id
    assert hit["similarity_reasons"] and [name for name, _ in hit["highlight"]] == ["title", "summary", "sections"]
    assert any("<mark>" in (hit["highlight"]["summary"] or "") for hit in written["hits"])
    assert any(hit["similarity_reasons"] for hit in written["hits"])


class Colour(enum.Enum):
    RED = "red"


class Inner(BaseModel):
    name: Annotated[str, Field(max_length=10)]
    colour: Colour = Colour.RED
    kind: Literal["a", "b"] = "a"


class Plain(BaseModel):
    items: list[Inner]
    by_name: dict[str, list[Inner]] = {}
    pair: tuple[int, float] = (1, 2.5)
    note: str | None = None


def test_a_plain_model_is_written_as_pydantic_writes_it() -> None:
    value = Plain(items=[Inner(name='é"<')], by_name={"x": [Inner(name="y", kind="b")]}, note=None)
    assert orjson.loads(PlainJson(Plain).dumps(value)) == json.loads(value.model_dump_json())


class Aliased(BaseModel):
    name: str = Field(serialization_alias="nom")


class Serialised(BaseModel):
    when: int

    @field_serializer("when")
    def _later(self, value: int) -> int:
        return value + 1


class Computed(BaseModel):
    a: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def b(self) -> int:
        return self.a


class Dated(BaseModel):
    day: date


class NumberKeys(BaseModel):
    counts: dict[int, int]


class Extra(BaseModel):
    model_config = ConfigDict(extra="allow")


class Excluded(BaseModel):
    secret: str = Field(exclude=True)


class DeepDate(BaseModel):
    inner: list[Dated]


class Anything(BaseModel):
    value: Any


class Tags(RootModel[list[str]]):
    pass


class HoldsARootModel(BaseModel):
    tags: Tags


class Encoded(BaseModel):
    text: Base64Str


class OwnEncoders(BaseModel):
    model_config = ConfigDict(json_encoders={float: lambda x: round(x, 1)})
    x: float


class Infinite(BaseModel):
    model_config = ConfigDict(ser_json_inf_nan="constants")
    x: float


class ExcludedWhenNone(BaseModel):
    x: int | None = Field(None, exclude_if=lambda v: v is None)


class Cached(BaseModel):
    a: int

    @functools.cached_property
    def double(self) -> int:
        return 2 * self.a


@pytest.mark.parametrize(
    "model, reason",
    [
        (Aliased, "aliased"),
        (Serialised, "serialisers"),
        (Computed, "computed"),
        (Dated, "not a plain JSON type"),
        (NumberKeys, "keys must be strings"),
        (Extra, "extra"),
        (Excluded, "excluded"),
        (DeepDate, "Dated.day"),
        (Anything, "Anything.value"),
        (HoldsARootModel, "root model"),
        (Encoded, "Encoded.text"),
        (OwnEncoders, "configures its JSON"),
        (Infinite, "configures its JSON"),
        (ExcludedWhenNone, "excluded"),
        (Cached, "caches"),
    ],
)
def test_models_orjson_would_write_otherwise_are_refused(model: type[BaseModel], reason: str) -> None:
    with pytest.raises(TypeError, match=reason):
        PlainJson(model)
