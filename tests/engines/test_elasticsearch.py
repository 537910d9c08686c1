"""The engine contract against a real Elasticsearch node, plus index management."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import elasticsearch._otel
import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, ConnectionTimeout, Elasticsearch, TransportError
from elasticsearch import ConnectionError as NodeConnectionError
from elasticsearch._otel import ENABLED_ENV_VAR
from opentelemetry.trace import NoOpTracer

from indexer import es_answers, es_query, hits
from indexer.elasticsearch_engine import TIMEOUT_STEP_S, ClientCall, ElasticsearchEngine, _tried
from indexer.engine import EngineConfig, EngineUnavailable, SearchTimeout
from indexer.es_clients import answered_as_bytes
from indexer.es_mapping import GC_DELETES, MAPPING_VERSION
from indexer.pipeline import plan_search
from schemas.monograph import Status
from schemas.search import SearchFilters, SearchMode, SearchQuery, SearchResult, Sort
from tests.compiled import requires_native
from tests.corpus import CORPUS, by_id
from tests.engines.contract import PUBLISHED, EngineContract, at_version
from tests.engines.hybrid_contract import NEED, HybridContract

pytestmark = pytest.mark.elasticsearch


def make_engine(url: str, prefix: str | None = None) -> ElasticsearchEngine:
    prefix = prefix or f"test-{uuid.uuid4().hex[:10]}"
    return ElasticsearchEngine(
        EngineConfig(backend="elasticsearch", elasticsearch_url=url, elasticsearch_index_prefix=prefix)
    )


def drop(engine: ElasticsearchEngine) -> None:
    engine.client.indices.delete(index=f"{engine.alias}-v*", ignore_unavailable=True, allow_no_indices=True)
    engine.close()


class TestElasticsearchEngine(EngineContract):
    @pytest.fixture
    def engine(self, es_url: str) -> Iterator[ElasticsearchEngine]:
        engine = make_engine(es_url)
        yield engine
        drop(engine)


class TestElasticsearchHybrid(HybridContract):
    @pytest.fixture
    def engine(self, es_url: str) -> Iterator[ElasticsearchEngine]:
        engine = make_engine(es_url)
        yield engine
        drop(engine)

    def test_an_awaited_hybrid_search_answers_as_the_blocking_one(
        self, semantic: ElasticsearchEngine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The kNN, mget and similarity calls awaited in the loop, the query embedded in a worker thread."""
        assert semantic.semantic is not None
        embed = semantic.semantic.query_vector
        embedded_in: list[bool] = []

        def recorded(q: str) -> Any:
            embedded_in.append(threading.current_thread() is threading.main_thread())
            return embed(q)

        monkeypatch.setattr(semantic.semantic, "query_vector", recorded)
        queries = [
            SearchQuery(q=NEED, mode=SearchMode.HYBRID),
            SearchQuery(q=NEED, mode=SearchMode.HYBRID, filters=SearchFilters(region=["Bretagne"])),
        ]
        results = awaited(semantic, queries)
        assert embedded_in == [False, False]  # in a worker thread, not the loop's (main) thread
        assert [r.model_dump() for r in results] == [semantic.search(q).model_dump() for q in queries]
        assert results[0].mode == SearchMode.HYBRID and results[0].total


@pytest.fixture
def es_engine(es_url: str) -> Iterator[ElasticsearchEngine]:
    engine = make_engine(es_url)
    yield engine
    drop(engine)


def test_documents_live_behind_a_versioned_alias(es_engine: ElasticsearchEngine) -> None:
    es_engine.index(CORPUS)
    index = es_engine.current_index()
    assert index is not None and index.startswith(f"{es_engine.alias}-v{MAPPING_VERSION}-")
    assert es_engine.mapping_version(index) == MAPPING_VERSION


def test_rebuild_switches_alias_and_drops_old_index(es_engine: ElasticsearchEngine) -> None:
    es_engine.index(CORPUS)
    before = es_engine.current_index()
    es_engine.rebuild(CORPUS)
    after = es_engine.current_index()
    assert after != before
    assert list(es_engine.client.indices.get(index=f"{es_engine.alias}-v*")) == [after]
    assert es_engine.ids() == PUBLISHED


def test_outdated_mapping_asks_for_rebuild(es_engine: ElasticsearchEngine, es_url: str) -> None:
    es_engine.index(CORPUS)
    index = es_engine.current_index()
    assert index is not None
    es_engine.client.indices.put_mapping(index=index, meta={"mapping_version": MAPPING_VERSION - 1})
    reopened = make_engine(es_url, es_engine.alias)
    assert reopened.needs_rebuild()
    reopened.rebuild(CORPUS)
    assert not make_engine(es_url, es_engine.alias).needs_rebuild()


def test_health_reports_the_index_mapping_version(es_engine: ElasticsearchEngine) -> None:
    index = es_engine.ensure_index()
    es_engine.client.indices.put_mapping(index=index, meta={"mapping_version": MAPPING_VERSION - 1})
    detail = es_engine.health().detail
    assert (detail["mapping_version"], detail["code_mapping_version"]) == (MAPPING_VERSION - 1, MAPPING_VERSION)


def recorded_calls(engine: ElasticsearchEngine) -> list[str]:
    """From now on, each request the engine's client sends ("POST /alias/_search"), in order."""
    calls: list[str] = []
    perform = engine.client.transport.perform_request

    def counted(method: str, path: str, **kwargs: Any) -> Any:
        calls.append(f"{method} {path}")
        return perform(method, path, **kwargs)

    engine.client.transport.perform_request = counted  # type: ignore[method-assign,assignment]
    return calls


def test_searches_make_one_call_not_an_alias_lookup_first(es_engine: ElasticsearchEngine) -> None:
    """One `_search`; the first time a word is searched, one more before it: how many practices hold it
    (`known_stems`, remembered for `KNOWN_STEMS_TTL_S`)."""
    es_engine.index(CORPUS)
    calls = recorded_calls(es_engine)
    assert es_engine.search(SearchQuery(q="mobilité")).total
    assert calls == [f"POST /{es_engine.alias}/_search"] * 2
    calls.clear()
    assert es_engine.search(SearchQuery(q="mobilités", page=2, size=1)).total
    assert calls == [f"POST /{es_engine.alias}/_search"]


def test_a_search_before_any_index_exists_finds_nothing_and_creates_nothing(es_engine: ElasticsearchEngine) -> None:
    """A public read never changes the cluster's state: the index is made by writes and at start-up."""
    assert es_engine.current_index() is None
    assert es_engine.search(SearchQuery(q="mobilité")).total == 0
    assert es_engine.current_index() is None


def test_health_reports_the_analysis_chain(es_engine: ElasticsearchEngine) -> None:
    health = es_engine.health()
    assert health.ok and "analysis" in health.detail
    assert ("hunspell" in str(health.detail["analysis"])) != es_engine.has_analysis_common


def test_node_modules_are_detected(es_url: str) -> None:
    nodes = Elasticsearch(es_url).nodes.info(metric="plugins")["nodes"]
    modules = {m["name"] for node in nodes.values() for m in node["modules"]}
    assert make_engine(es_url).has_analysis_common == ("analysis-common" in modules)


def test_deletes_are_remembered_long_enough_to_order_writes(es_engine: ElasticsearchEngine) -> None:
    es_engine.index(CORPUS)
    index = es_engine.current_index()
    assert index is not None
    settings = es_engine.client.indices.get_settings(index=index, name="index.gc_deletes")
    assert settings[index]["settings"]["index"]["gc_deletes"] == GC_DELETES
    # A removal's tombstone keeps its version: a late, older publication of it is refused.
    removal = at_version("eau-reunion", 4, status=Status.ARCHIVED)
    assert es_engine.index([removal]).removed == 1
    report = es_engine.index([at_version("eau-reunion", 3)])
    assert (report.indexed, report.skipped, report.failed) == (0, 1, {})
    assert "eau-reunion" not in es_engine.ids()


def test_writes_never_create_an_index_in_place_of_the_alias(es_engine: ElasticsearchEngine) -> None:
    # Writes target the alias with require_alias: without the alias they fail, and create nothing.
    removal = at_version("tiers-lieu-diois", 2, status=Status.ARCHIVED)
    actions = es_engine._actions([by_id("eau-reunion"), removal], es_engine.alias)
    report = es_engine._bulk(actions, None, require_alias=True)
    assert set(report.failed) == {"eau-reunion", "tiers-lieu-diois"} and not report.indexed + report.removed
    assert not es_engine.client.indices.exists(index=es_engine.alias)


def test_rebuild_deletes_abandoned_rebuilds_but_not_newer_ones(es_engine: ElasticsearchEngine) -> None:
    es_engine.index(CORPUS)
    before = es_engine.current_index()
    abandoned = f"{es_engine.alias}-v{MAPPING_VERSION}-1000"  # a rebuild killed long ago
    running = f"{es_engine.alias}-v{MAPPING_VERSION}-{10**14}"  # another rebuild, started after this one
    other = f"{es_engine.alias}-vitrine"  # not one of this alias's versioned indexes
    for name in (abandoned, running, other):
        es_engine.client.indices.create(index=name)
    try:
        es_engine.rebuild(CORPUS)
        after = es_engine.current_index()
        assert after not in (before, running)
        remaining = set(es_engine.client.indices.get(index=f"{es_engine.alias}-v*"))
        assert remaining == {after, running, other}
        assert es_engine._aliased_indices() == [after]
    finally:
        es_engine.client.indices.delete(index=f"{running},{other}", ignore_unavailable=True)


def test_versions_are_the_external_versions(es_engine: ElasticsearchEngine) -> None:
    es_engine.index([at_version("eau-reunion", 7)])
    hit = es_engine.client.get(index=es_engine.alias, id="eau-reunion")
    assert hit["_version"] == 7 and hit["_source"]["version"] == 7
    assert es_engine.versions() == {"eau-reunion": 7}


def test_several_node_urls_and_replicas_for_a_cluster(es_url: str) -> None:
    """A cluster is given as several URLs (a dead one is skipped) and its indexes get replicas."""
    from tests.live import free_port

    prefix = f"test-{uuid.uuid4().hex[:10]}"
    dead = f"http://127.0.0.1:{free_port()}"
    engine = ElasticsearchEngine(
        EngineConfig(
            backend="elasticsearch",
            elasticsearch_url=f"{dead}, {es_url}",
            elasticsearch_index_prefix=prefix,
            elasticsearch_replicas=1,
        )
    )
    try:
        assert len(engine.client.transport.node_pool.all()) == 2
        engine.index(CORPUS)
        for _ in range(4):  # requests spread over both nodes: the dead one is retried on the other
            assert engine.versions().keys() == PUBLISHED
        settings = engine.client.indices.get_settings(index=engine.current_index())
        assert next(iter(settings.values()))["settings"]["index"]["number_of_replicas"] == "1"
    finally:
        drop(engine)


def test_calls_within_a_deadline_share_a_client_per_step_of_time_left() -> None:
    """`options` copies the client on each call (0.2 ms): a search within a deadline reuses the client
    made for its 50 ms step of time left, whose timeout never reaches past the deadline."""
    engine = ElasticsearchEngine(
        EngineConfig(backend="elasticsearch", elasticsearch_url="http://127.0.0.1:9", elasticsearch_timeout=10.0)
    )
    assert engine._within(engine.client, engine._stepped, None) is engine.client
    # The usual timeout is shorter: it is kept, but the call is not retried by the client (`_tried` does).
    usual = engine._within(engine.client, engine._stepped, time.monotonic() + 20)
    assert usual._request_timeout == engine.client._request_timeout and usual._max_retries == 0
    assert engine.client._max_retries == 1
    clients = set()
    for tenths in range(1, 100):
        left = tenths / 10 + 0.02
        client = engine._within(engine.client, engine._stepped, time.monotonic() + left)
        assert client._request_timeout <= left and client._request_timeout > left - 0.1
        assert client._max_retries == 0
        assert engine._within(engine.client, engine._stepped, time.monotonic() + left) is client
        clients.add(id(client))
    assert len(clients) == 99 and len(engine._stepped) <= 10.0 / TIMEOUT_STEP_S + 1
    short = engine._within(
        engine.client, engine._stepped, time.monotonic() + 0.01
    )  # less than a step: exactly the time left
    assert 0 < short._request_timeout <= 0.01
    with pytest.raises(SearchTimeout):
        engine._within(engine.client, engine._stepped, time.monotonic() - 1)


def _node_answered(status: int) -> ApiError:
    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "127.0.0.1", 9200))
    return ApiError(f"status {status}", meta, None)


@pytest.mark.parametrize(
    ("errors", "deadline", "calls", "answered"),
    [
        ([NodeConnectionError("dropped")], True, 2, True),  # the connection failed: once more
        ([_node_answered(503)], True, 2, True),  # the node is unavailable: once more
        ([_node_answered(429)], True, 2, True),
        ([NodeConnectionError("dropped"), NodeConnectionError("dropped")], True, 2, False),  # only once more
        ([ConnectionTimeout("timed out")], True, 1, False),  # its time is spent: not again
        ([_node_answered(400)], True, 1, False),  # refused: not again
        ([NodeConnectionError("dropped")], False, 1, False),  # no deadline: the client's own retry applies
    ],
)
def test_a_call_within_a_deadline_is_tried_once_more_when_the_node_was_unavailable(
    errors: list[Exception], deadline: bool, calls: int, answered: bool
) -> None:
    made: list[dict[str, Any]] = []

    class Client:
        def search(self, **kwargs: Any) -> dict[str, Any]:
            made.append(kwargs)
            if errors:
                raise errors.pop(0)
            return {"answered": True}

    call = ClientCall("search", {"q": "covoiturage"}, time.monotonic() + 5 if deadline else None)

    async def tried() -> Any:
        return await _tried(call, Client)

    if answered:
        assert asyncio.run(tried()) == {"answered": True}
    else:
        with pytest.raises((ApiError, TransportError)):
            asyncio.run(tried())
    assert made == [{"q": "covoiturage"}] * calls


# Searches taking every path of the pipeline: typo tolerance and "did you mean", the second pass (no practice
# has every word), nothing under the filters (the words counted without them), facets, no words (newest first).
AWAITED = [
    SearchQuery(q="tiers-lieu nourricier"),
    SearchQuery(q="mobilte montagne"),
    SearchQuery(q="covoiturage zzqxw"),
    SearchQuery(q="tiers-lieu", filters=SearchFilters(odd=[14])),
    SearchQuery(q="eau", filters=SearchFilters(region=["La Réunion"]), facets=True),
    SearchQuery(q="", sort=Sort.RELEVANCE, size=3),
]


def awaited(engine: ElasticsearchEngine, queries: list[SearchQuery]) -> list[SearchResult]:
    """`queries` answered by `search_async` in an event loop of their own, the client closed after."""

    async def in_turn() -> list[SearchResult]:
        try:
            return [await engine.search_async(query) for query in queries]
        finally:
            await engine.aclose()

    return asyncio.run(in_turn())


def test_a_search_awaited_in_the_event_loop_answers_as_the_blocking_one(
    es_engine: ElasticsearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API awaits searches with the asynchronous client (no worker thread): the same pipeline and
    requests, so the same answers, from any event loop (each has a client of its own)."""
    es_engine.index(CORPUS)
    with monkeypatch.context() as patched:

        def unused(*args: object, **kwargs: object) -> None:
            raise AssertionError("an awaited search sent a request with the blocking client")

        patched.setattr(es_engine.client.transport, "perform_request", unused)

        async def two_loops() -> tuple[list[SearchResult], list[SearchResult]]:
            try:
                first = [await es_engine.search_async(query) for query in AWAITED]
                # Each run asks which words the practices hold (`known_stems`, else remembered for 5 minutes).
                es_engine._known.clear()
                # Another event loop, in another thread, while this one's client is open.
                return first, await asyncio.to_thread(awaited, es_engine, AWAITED)
            finally:
                await es_engine.aclose()

        first, again = asyncio.run(two_loops())
    es_engine._known.clear()
    blocking = [es_engine.search(query) for query in AWAITED]
    assert [r.model_dump() for r in first] == [r.model_dump() for r in blocking] == [r.model_dump() for r in again]
    assert first[0].total and first[2].relaxed and first[3].total == 0 and first[3].total_without_filters
    assert first[4].facets and first[5].total and len(first[5].hits) == 3


def test_an_awaited_search_before_anything_is_indexed_finds_nothing_and_creates_nothing(es_url: str) -> None:
    engine = make_engine(es_url)
    try:
        assert engine.current_index() is None
        assert awaited(engine, [SearchQuery(q="tiers-lieu")])[0].total == 0
        assert engine.current_index() is None
    finally:
        drop(engine)


def test_an_awaited_search_of_an_unreachable_node_says_so() -> None:
    engine = ElasticsearchEngine(
        EngineConfig(backend="elasticsearch", elasticsearch_url="http://127.0.0.1:9", elasticsearch_timeout=2.0)
    )
    with pytest.raises(EngineUnavailable, match="cannot be reached"):
        awaited(engine, [SearchQuery(q="tiers-lieu")])
    engine.close()


def test_a_search_asked_again_sends_the_body_built_the_first_time(es_engine: ElasticsearchEngine) -> None:
    """A pass's body is built and serialised once (`CompiledRequests`): asked again, within a deadline
    or not, the same bytes go to the node, and they are the body `es_query` builds for it."""
    es_engine.index(CORPUS)
    bodies: list[Any] = []
    perform = es_engine.client.transport.perform_request

    def kept(method: str, path: str, **kwargs: Any) -> Any:
        bodies.append(kwargs.get("body"))
        return perform(method, path, **kwargs)

    es_engine.client.transport.perform_request = kept  # type: ignore[method-assign,assignment]
    query = SearchQuery(q="mobilité", filters=SearchFilters(region=["Auvergne-Rhône-Alpes"]))
    first = es_engine.search(query)
    again = es_engine.search(query.model_copy(update={"deadline": time.monotonic() + 5}))
    assert first.hits and again.model_dump() == first.model_dump()
    assert bodies[-1] is bodies[-2] and isinstance(bodies[-1], bytes)
    plan = plan_search(es_engine, query, es_engine.synonyms, es_engine.stemmer)
    assert json.loads(bodies[-1]) == json.loads(json.dumps(es_query.search_body(plan, es_engine.stemmer)))
    assert es_engine._requests.cache_info().hits >= 1


class RecordingTracer(NoOpTracer):
    """OpenTelemetry's no-op tracer, noting the name of each span the client opens."""

    def __init__(self) -> None:
        self.spans: list[str] = []

    def start_as_current_span(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.spans.append(name)
        return super().start_as_current_span(name, *args, **kwargs)


@pytest.mark.parametrize("switch", [None, "false", "true"])
def test_the_engine_clients_open_no_tracing_span_unless_the_client_switch_asks(
    es_engine: ElasticsearchEngine, es_url: str, monkeypatch: pytest.MonkeyPatch, switch: str | None
) -> None:
    """No OpenTelemetry SDK is configured: the official client's spans (0.1 ms a search) go nowhere, and the
    engine's clients open none, blocking or awaited, their copies within a deadline included; the client's own
    switch set to `true` keeps them. A plain client, made the same way, opens them."""
    tracer = RecordingTracer()
    monkeypatch.setattr(elasticsearch._otel, "_tracer", tracer)
    if switch is None:
        monkeypatch.delenv(ENABLED_ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENABLED_ENV_VAR, switch)
    engine = make_engine(es_url, prefix=es_engine.alias)
    try:
        engine.index(CORPUS[:3])
        query = SearchQuery(q="tiers-lieu")
        engine.search(query)
        engine.search(query.model_copy(update={"deadline": time.monotonic() + 5}))
        awaited(engine, [query, query.model_copy(update={"deadline": time.monotonic() + 5})])
        spans = list(tracer.spans)
        Elasticsearch(es_url).search(index=engine.alias, size=0)
    finally:
        engine.close()
    if switch == "true":
        assert spans.count("search") >= 4 and "bulk" in spans
    else:
        assert spans == []
    assert tracer.spans[len(spans) :] == (["search"] if switch != "false" else [])


WRITTEN = [
    *(query.model_copy(update={"as_json_for": "https://exemple.fr/pratiques/"}) for query in AWAITED),
    SearchQuery(q="mobilité rurale", sort=Sort.RECENT, as_json_for="/p/"),
    SearchQuery(q="économie circulaire", facets=True, year_counts=True, size=50, as_json_for="/p/"),
]


@requires_native
def test_a_page_written_from_the_answer_bytes_is_the_page_written_from_the_answer_read(
    es_engine: ElasticsearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search's answer comes as its bytes (`answered_as_bytes`), its page written from them by the compiled
    module: the same answers, byte for byte, as the node's answer read by orjson and the hits written from it,
    blocking and awaited; and the compiled writer did write them."""
    es_engine.index(CORPUS)
    written_natively: list[bool] = []
    written_from_json = hits._written_from_json

    def recorded(*args: Any) -> bytes | None:
        written = written_from_json(*args)
        written_natively.append(written is not None)
        return written

    monkeypatch.setattr(hits, "_written_from_json", recorded)
    blocking, in_loop = [es_engine.search(q) for q in WRITTEN], awaited(es_engine, WRITTEN)
    with monkeypatch.context() as patched:
        patched.setattr(es_answers, "native", None)
        es_engine._known.clear()
        read = [es_engine.search(q) for q in WRITTEN]
    pages = [r.hits_json != b"[]" for r in read]
    assert sum(pages) >= len(WRITTEN) - 2
    # Each page of hits written by the compiled module, none of those read by orjson.
    assert written_natively == pages + pages + [False] * len(WRITTEN)
    for answers in (blocking, in_loop):
        assert [(r.hits_json, r.facets_json, r.total) for r in answers] == [
            (r.hits_json, r.facets_json, r.total) for r in read
        ]
    assert all(r.hits_json for r in read if r.total) and read[-1].facets_json


def test_a_refusal_answered_as_bytes_is_the_client_error_it_was(es_engine: ElasticsearchEngine) -> None:
    """An error's answer to a call made for bytes is read as the client reads it: its type and its body."""
    es_engine.index(CORPUS[:1])
    bad: dict[str, Any] = {"query": {"no_such_query": {}}}
    with pytest.raises(ApiError) as read:
        es_engine.client.search(index=es_engine.alias, body=bad)
    with pytest.raises(ApiError) as as_bytes, answered_as_bytes():
        es_engine.client.search(index=es_engine.alias, body=bad)
    assert type(as_bytes.value) is type(read.value) and read.value.meta.status == 400
    assert as_bytes.value.message == read.value.message == "parsing_exception"
    assert as_bytes.value.body == read.value.body and isinstance(read.value.body, dict)
    with answered_as_bytes():
        assert isinstance(es_engine.client.search(index=es_engine.alias, size=0).body, bytes)
    assert isinstance(es_engine.client.search(index=es_engine.alias, size=0).body, dict)


@pytest.mark.parametrize(
    ("body", "message", "read"),
    [
        (b"", "None", None),
        (b'{"error":{"type":"search_phase_execution_exception"}}', "search_phase_execution_exception", ...),
        (b'{"error":"unknown"}', "unknown", ...),
        (b'{"status":500}', "{'status': 500}", ...),
    ],
)
def test_an_error_answered_as_bytes_gets_the_message_the_client_gives(body: bytes, message: str, read: Any) -> None:
    """`BaseClient` makes an error's message from the answer it read: the same, from the bytes."""
    meta = ApiResponseMeta(503, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "127.0.0.1", 9200))
    with pytest.raises(ApiError) as raised, answered_as_bytes():
        raise ApiError(str(body), meta, body)
    assert raised.value.message == message and raised.value.meta is meta
    assert raised.value.body == (json.loads(body) if read is ... else read)
