"""The Elasticsearch engine: the production backend, same contract as the embedded one.

A search's reads are written once as generators yielding each client call (`ClientCall`) and sent its
answer (or thrown its error): answered by the blocking client (`_answered`, the `SearchEngine` methods) or
by the asynchronous one in the event loop (`_awaited`: `search_async`, `call_async`), so an API search
waits on the network without a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from elasticsearch import ApiError, AsyncElasticsearch, Elasticsearch, NotFoundError, TransportError, helpers
from elasticsearch import ConnectionError as NodeConnectionError

from indexer import es_query
from indexer.compiled_requests import CompiledRequests
from indexer.embedder import Vector
from indexer.engine import (
    CatchUp,
    EngineConfig,
    EngineError,
    EngineHealth,
    EngineUnavailable,
    IndexReport,
    Progress,
    UnknownMonograph,
    time_left,
)
from indexer.es_answers import read_search
from indexer.es_clients import UntracedAsyncElasticsearch, UntracedElasticsearch, answered_as_bytes
from indexer.es_http_node import HttptoolsAsyncNode
from indexer.es_mapping import (
    FRENCH_CHAIN,
    HUNSPELL_CHAIN,
    MAPPING_VERSION,
    VECTOR_FIELD,
    cosine,
    document,
    index_settings,
    mappings,
    stored_vector,
)
from indexer.french import FrenchStemmer
from indexer.hits import hit_from_source
from indexer.pipeline import (
    RawSearch,
    SearchPlan,
    completed,
    drive_async,
    driven,
    run_search,
    searched,
    similar_by_meaning,
)
from indexer.query import Synonyms
from indexer.relevance import typed_as_meant
from indexer.vectors import Semantic, with_vectors
from schemas.monograph import Monograph, Status
from schemas.search import SearchFilters, SearchHit, SearchQuery, SearchResult

T = TypeVar("T")

BULK_CHUNK_DOCS = 500
BULK_CHUNK_BYTES = 10 * 1024 * 1024
# Below this many documents an index call refreshes at once: a single published monograph is
# searchable as soon as the API answers.
REFRESH_AT_ONCE = 1_000
UNAVAILABLE_STATUSES = {429, 502, 503, 504}
SCAN_PAGE = 5_000
# How long a stem's document frequency is trusted (`known_stems`), and how many stems are remembered.
KNOWN_STEMS_TTL_S = 300.0
KNOWN_STEMS_REMEMBERED = 10_000
# Every client's default headers (`options(headers=...)`): headers given with a call are copied and merged into the
# defaults, header by header in Python (0.04 to 0.08 ms of a search on real calls). The client's own methods give
# theirs (NDJSON for bulk; `accept` alone without a body, which then also says `content-type`, ignored without a
# body). The client rewrites its defaults in place into its compatibility media types at the first call (once).
JSON_HEADERS = {"accept": "application/json", "content-type": "application/json"}
# A call within a deadline gets the time left rounded down to this step (`_within`).
TIMEOUT_STEP_S = 0.05


@dataclass(frozen=True)
class ClientCall:
    """One call of the client (`method` of `Elasticsearch` or `AsyncElasticsearch`, keyword arguments),
    given the time left before `deadline`."""

    method: str
    kwargs: dict[str, Any]
    deadline: float | None
    # The answer as its bytes (`answered_as_bytes`), for a search whose page is written from them.
    as_bytes: bool = False


# A read: yields its client calls, is sent their answers (or thrown their client errors: `CLIENT_ERRORS`,
# translated where the read made the call), returns its result.
Reads = Generator[ClientCall, Any, T]
CLIENT_ERRORS = (ApiError, TransportError)


async def _tried(call: ClientCall, client: Callable[[], Any]) -> Any:
    """`call` made with `client()` (blocking or asynchronous), once more within a deadline when the connection
    failed or the node answered it is unavailable (`UNAVAILABLE_STATUSES`, the client's own retry statuses):
    such calls are not retried by the client itself (`_within`), so the second try (on another node when there
    are several) gets only the time left, not the whole timeout again. A timeout is not tried again."""
    try:
        return await _made(call, client())
    except (NodeConnectionError, ApiError) as exc:
        unavailable = isinstance(exc, NodeConnectionError) or exc.meta.status in UNAVAILABLE_STATUSES
        if call.deadline is None or not unavailable:
            raise
    return await _made(call, client())


async def _made(call: ClientCall, client: Any) -> Any:
    with answered_as_bytes() if call.as_bytes else contextlib.nullcontext():
        answer = getattr(client, call.method)(**call.kwargs)
        return (await answer) if inspect.isawaitable(answer) else answer


@contextlib.contextmanager
def translated_errors(action: str) -> Iterator[None]:
    """Client exceptions to the engine's typed errors, with what to do about them."""
    try:
        yield
    except ApiError as exc:
        if exc.meta.status in UNAVAILABLE_STATUSES:
            raise EngineUnavailable(
                f"Elasticsearch is overloaded or unavailable during {action} ({exc.meta.status})"
            ) from exc
        raise EngineError(f"Elasticsearch refused {action}: {exc.message}") from exc
    except TransportError as exc:
        raise EngineUnavailable(f"Elasticsearch cannot be reached during {action}: {exc}") from exc


class ElasticsearchEngine:
    """Documents live in a versioned index (`{prefix}-v{N}-{ms}`) behind the alias `{prefix}`."""

    backend = "elasticsearch"
    in_process = False
    semantic: Semantic | None = None

    def __init__(self, config: EngineConfig, synonyms: Synonyms | None = None, client: Elasticsearch | None = None):
        # `client`: the blocking client (a scenario's may know more nodes); the asynchronous one the API awaits
        # searches with is always made from `config` (`_async_client`).
        self.config = config
        self.alias = config.elasticsearch_index_prefix
        self.synonyms = synonyms or Synonyms.from_file(config.synonyms_path)
        self.stemmer = FrenchStemmer()
        self.client = (
            client or UntracedElasticsearch(config.elasticsearch_hosts, **config.elasticsearch_options())
        ).options(headers=JSON_HEADERS)
        self.replicas = config.elasticsearch_replicas
        self.timeout = config.elasticsearch_timeout
        self._has_analysis_common: bool | None = None
        self._created_index = False
        self._ensure_lock = threading.Lock()
        # stem → (known, monotonic time until which that holds)
        self._known: dict[str, tuple[bool, float]] = {}
        # steps of `TIMEOUT_STEP_S` → the client with that request timeout (`_within`), blocking or asynchronous
        self._stepped: dict[int, Any] = {}
        # Each event loop's asynchronous client and its stepped copies (`_async_client`).
        self._async: dict[asyncio.AbstractEventLoop, tuple[AsyncElasticsearch, dict[int, Any]]] = {}
        self._search_path = f"/{quote(self.alias, safe='')}/_search"
        # Bodies sent as the bytes the client would serialise them to (built and serialised once per pass).
        self._requests = CompiledRequests(self.build_request)

    # -- index management ------------------------------------------------------

    @property
    def has_analysis_common(self) -> bool:
        """Whether every node has the analysis-common module (read once from `_nodes/plugins`)."""
        if self._has_analysis_common is None:
            with translated_errors("module detection"):
                nodes = self.client.nodes.info(metric="plugins")["nodes"]
            self._has_analysis_common = bool(nodes) and all(
                any(m.get("name") == "analysis-common" for m in node.get("modules", [])) for node in nodes.values()
            )
        return self._has_analysis_common

    def _new_index_name(self) -> str:
        return f"{self.alias}-v{MAPPING_VERSION}-{int(time.time() * 1000)}"

    def _created_ms(self, name: str) -> int | None:
        """When one of this alias's versioned indexes was created (from its name); None for any other index."""
        found = re.fullmatch(rf"{re.escape(self.alias)}-v\d+-(\d+)", name)
        return int(found.group(1)) if found else None

    def _create_index(self, name: str, refresh_interval: str = "1s") -> None:
        settings = index_settings(self.has_analysis_common, replicas=self.replicas)
        settings["refresh_interval"] = refresh_interval
        with translated_errors("index creation"):
            self.client.indices.create(index=name, settings=settings, mappings=mappings())

    def _aliased_indices(self) -> list[str]:
        with translated_errors("alias lookup"):
            try:
                return sorted(self.client.indices.get_alias(name=self.alias))
            except NotFoundError:
                return []

    def current_index(self) -> str | None:
        """The concrete index behind the alias, if any (for reads and checks: writes go to the alias)."""
        found = self._aliased_indices()
        return found[-1] if found else None

    def ensure_index(self) -> str:
        """The alias's index, creating a first one (and the alias) when there is none.

        Writes and checks call it; searches do not (an extra round trip each, and creating an index is a
        cluster-state change, not a bounded read): they query the alias, and find nothing when the node
        answers that it does not exist.
        """
        current = self.current_index()
        if current:
            return current
        with self._ensure_lock:  # one creator per process; other processes are handled below
            current = self.current_index()
            if current:
                return current
            name = self._new_index_name()
            self._create_index(name)
            try:
                with translated_errors("alias creation"):
                    self.client.indices.update_aliases(
                        actions=[{"add": {"index": name, "alias": self.alias, "is_write_index": True}}]
                    )
            except EngineError:
                # Another process created the alias meanwhile ("more than one write index"): use
                # its index and drop ours, which nothing points at.
                current = self.current_index()
                if current is None:
                    raise
                with contextlib.suppress(Exception):
                    self.client.indices.delete(index=name)
                return current
            self._created_index = True
            return name

    def mapping_version(self, index: str) -> int | None:
        with translated_errors("mapping lookup"):
            found = self.client.indices.get_mapping(index=index)
        meta = found[index]["mappings"].get("_meta", {})
        version = meta.get("mapping_version")
        return int(version) if version is not None else None

    def needs_rebuild(self) -> bool:
        """A freshly created index, or one built with older mappings, must be refilled from the store."""
        index = self.ensure_index()
        return self._created_index or self.mapping_version(index) != MAPPING_VERSION

    # -- writes ------------------------------------------------------------------

    def claim_writer(self) -> None:
        """Nothing to claim: any number of processes may write to Elasticsearch."""

    def _actions(self, monographs: Iterable[Monograph], index: str) -> Iterator[dict[str, Any]]:
        # Every write carries the monograph's version: the node refuses (409) one older than the
        # version it holds, whatever order processes, retries and rebuilds send them in. With a
        # `Semantic` attached, a published monograph's stored vector goes into its document (read
        # from the store a chunk at a time); one not embedded yet goes without, until its re-index.
        source = self.semantic.vectors if self.semantic is not None else None
        for monograph, vector in with_vectors(monographs, source):
            ordered = {
                "_index": index,
                "_id": monograph.id,
                "version": monograph.version,
                "version_type": "external_gte",
            }
            if monograph.status == Status.PUBLISHED:
                yield {"_op_type": "index", **ordered, "_source": document(monograph, self.stemmer, vector)}
            else:
                yield {"_op_type": "delete", **ordered}

    def _bulk(
        self, actions: Iterable[dict[str, Any]], progress: Progress | None, require_alias: bool = False
    ) -> IndexReport:
        """Bulk in bounded chunks, retrying 429s with backoff; a bad document never blocks the rest.

        With `require_alias`, every action must target an alias: a write never auto-creates an index.
        """
        report = IndexReport()
        with translated_errors("bulk indexing"):
            for ok, item in helpers.streaming_bulk(
                self.client,
                actions,
                chunk_size=BULK_CHUNK_DOCS,
                max_chunk_bytes=BULK_CHUNK_BYTES,
                raise_on_error=False,
                raise_on_exception=True,
                max_retries=5,
                initial_backoff=1,
                max_backoff=30,
                require_alias=require_alias or None,
            ):
                op, result = next(iter(item.items()))
                error = result.get("error")
                if ok:
                    if op == "delete":
                        report.removed += 1
                    else:
                        report.indexed += 1
                elif isinstance(error, dict) and error.get("type") == "version_conflict_engine_exception":
                    report.skipped += 1  # the index already holds a newer state of this monograph
                elif op == "delete" and result.get("result") == "not_found":
                    report.removed += 1  # deleting what is not there is fine: the goal is its absence
                else:
                    reason = error.get("reason", error) if isinstance(error, dict) else error
                    report.failed[result["_id"]] = str(reason)
                if progress:
                    progress(1)
        return report

    def index(self, monographs: Iterable[Monograph], progress: Progress | None = None) -> IndexReport:
        # Through the alias, never a concrete index resolved beforehand: a rebuild may delete
        # that index meanwhile, and a write to it would create an empty, unmapped one.
        self.ensure_index()
        report = self._bulk(self._actions(monographs, self.alias), progress, require_alias=True)
        if report.indexed + report.removed + report.skipped <= REFRESH_AT_ONCE:
            with translated_errors("refresh"):
                self.client.indices.refresh(index=self.alias)
        return report

    def delete(self, ids: Iterable[str]) -> IndexReport:
        self.ensure_index()
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": i} for i in ids)
        report = self._bulk(actions, None, require_alias=True)
        with translated_errors("refresh"):
            self.client.indices.refresh(index=self.alias)
        return report

    def rebuild(
        self, monographs: Iterable[Monograph], progress: Progress | None = None, catch_up: CatchUp | None = None
    ) -> IndexReport:
        """Fill a new index, check it, apply `catch_up`, then move the alias atomically.

        Searches never fail meanwhile; writes keep going to the previous index until the switch,
        and `catch_up` brings what they changed. Progress ticks count the refill only.
        """
        new = self._new_index_name()
        self._create_index(new, refresh_interval="-1")  # no refreshes while bulk loading
        unpublished = 0

        def published_only() -> Iterator[dict[str, Any]]:
            # The new index starts empty: nothing to delete, but counted and ticked like the embedded engine.
            nonlocal unpublished
            for action in self._actions(monographs, new):
                if action["_op_type"] == "index":
                    yield action
                else:
                    unpublished += 1
                    if progress:
                        progress(1)

        try:
            report = self._bulk(published_only(), progress)
            report.removed += unpublished
            with translated_errors("rebuild refresh"):
                self.client.indices.refresh(index=new)
                count = int(self.client.count(index=new)["count"])
            if count != report.indexed:
                raise EngineError(f"rebuild check failed: {report.indexed} documents indexed but {count} found")
            if catch_up is not None:
                report.add(self._bulk(self._actions(catch_up(), new), None))
            with translated_errors("rebuild refresh"):
                self.client.indices.put_settings(index=new, settings={"refresh_interval": "1s"})
                self.client.indices.refresh(index=new)
            # Deleted meanwhile (by another rebuild) and recreated by a write, it would be unmapped.
            if self.mapping_version(new) != MAPPING_VERSION:
                raise EngineError(f"rebuild check failed: {new} lost its mappings (deleted by another rebuild?)")
        except Exception:
            with contextlib.suppress(Exception):
                self.client.indices.delete(index=new)
            raise
        self._switch_alias(new)
        self._created_index = False
        return report

    def _switch_alias(self, new: str) -> None:
        """Point the alias at `new` alone, then delete what it pointed at and abandoned older rebuilds.

        A `{prefix}-v*` index newer than `new` and not behind the alias is another rebuild still
        filling: it is left alone (it will switch the alias and delete `new` in turn).
        """
        before = self._aliased_indices()
        actions: list[dict[str, Any]] = [{"add": {"index": new, "alias": self.alias, "is_write_index": True}}]
        if before:
            actions.insert(0, {"remove": {"index": "*", "alias": self.alias}})
        with translated_errors("alias switch"):
            self.client.indices.update_aliases(actions=actions)
            new_ms = self._created_ms(new) or 0
            existing = self.client.indices.get(index=f"{self.alias}-v*", allow_no_indices=True)
            leftovers = [n for n in existing if (ms := self._created_ms(n)) is not None and ms < new_ms]
            for name in sorted(set(before) | set(leftovers)):
                if name != new:
                    self.client.indices.delete(index=name, ignore_unavailable=True)

    # -- reads -------------------------------------------------------------------

    def _within(self, client: Any, stepped: dict[int, Any], deadline: float | None) -> Any:
        """`client` (blocking or asynchronous) for the next call of a search: without a deadline, as it is;
        within one, its usual timeout or only the time left when that is shorter, and no retry of its own (a
        retry got the whole timeout again: `_tried`). `stepped`: those copies of it.

        :raises SearchTimeout: the deadline has passed.
        """
        left = time_left(deadline)
        if left is None:
            return client
        # `options` copies the client (about 0.2 ms, as much as building the whole request): a client per
        # 50 ms step of time left, made once, at most `timeout / 50 ms` of them. Rounded down, so a call
        # never outlives the deadline.
        steps = int(min(left, self.timeout) / TIMEOUT_STEP_S)
        if not steps:
            return client.options(request_timeout=left, max_retries=0)
        shorter = stepped.get(steps)
        if shorter is None:
            shorter = stepped.setdefault(steps, client.options(request_timeout=steps * TIMEOUT_STEP_S, max_retries=0))
        return shorter

    def _answered(self, reads: Reads[T]) -> T:
        """Runs `reads` with the blocking client."""

        async def blocking(call: ClientCall) -> Any:
            return await _tried(call, lambda: self._within(self.client, self._stepped, call.deadline))

        return completed(driven(reads, blocking, CLIENT_ERRORS))

    async def _awaited(self, reads: Reads[T]) -> T:
        """Runs `reads` with the asynchronous client, in the event loop."""

        async def awaited(call: ClientCall) -> Any:
            return await _tried(call, lambda: self._within(*self._async_client(), call.deadline))

        return await driven(reads, awaited, CLIENT_ERRORS)

    def _async_client(self) -> tuple[AsyncElasticsearch, dict[int, Any]]:
        """The asynchronous client (`HttptoolsAsyncNode`) of the running event loop, with its copies of shorter timeouts
        (`_within`): its connections belong to the loop, so another loop (a test's, a benchmark's, in this
        thread or another) gets a client of its own. The API has one loop, whose client `aclose` closes at
        shutdown. The client of a loop closed without `aclose` is dropped when the next one is made (only its
        loop could have closed its connections)."""
        loop = asyncio.get_running_loop()
        made = self._async.get(loop)
        if made is None:
            for ended in [other for other in self._async if other.is_closed()]:
                del self._async[ended]
            client = UntracedAsyncElasticsearch(
                self.config.elasticsearch_hosts, node_class=HttptoolsAsyncNode, **self.config.elasticsearch_options()
            ).options(headers=JSON_HEADERS)
            made = self._async.setdefault(loop, (client, {}))
        return made

    async def search_async(self, query: SearchQuery) -> SearchResult:
        """`search`, with the asynchronous client: the event loop is free while the node answers. The
        pipeline's own work (parsing, highlights, facets) runs in the loop; a hybrid search's query embedding
        in a worker thread."""
        return await drive_async(self, searched(self.semantic, query, self.synonyms, self.stemmer))

    async def call_async(self, method: str, *args: Any) -> Any:
        """One of the pipeline's calls (`execute`, `known_stems`, `nearest`, `similarities`, `fetch`),
        awaited."""
        return await self._awaited(getattr(self, f"_{method}_reads")(*args))

    async def aclose(self) -> None:
        """Closes the asynchronous client of this event loop (its connections), if one was made."""
        made = self._async.pop(asyncio.get_running_loop(), None)
        if made is not None:
            await made[0].close()

    def build_request(self, plan: SearchPlan) -> bytes:
        """A pass's `_search` body, as the bytes the client would serialise it to."""
        body: bytes = self.client.transport.serializers.dumps(es_query.search_body(plan, self.stemmer))
        return body

    def execute(self, plan: SearchPlan) -> RawSearch:
        """One `_search` on the alias, given only the time left before the query's deadline."""
        return self._answered(self._execute_reads(plan))

    def _execute_reads(self, plan: SearchPlan) -> Reads[RawSearch]:
        with translated_errors("search"):
            try:
                # The documented low-level call (`search` types its body as a dict): the same request.
                response = yield ClientCall(
                    "perform_request",
                    {
                        "method": "POST",
                        "path": self._search_path,
                        "body": self._requests(plan),
                        "endpoint_id": "search",
                        "path_parts": {"index": self.alias},
                    },
                    plan.query.deadline,
                    as_bytes=True,
                )
            except NotFoundError:
                # No index behind the alias yet (nothing was ever indexed): nothing to find. A search does not
                # create it (index creation is a cluster-state change, not a bounded read): the API's indexing
                # worker does at start-up, and any write.
                return RawSearch(0, [])
        return read_search(response.body, plan.ids_only)

    def search(self, query: SearchQuery) -> SearchResult:
        # One call per pass (two when no practice has every word), sharing the query's deadline.
        return run_search(self, query, self.synonyms, self.stemmer)

    def known_stems(self, stems: Sequence[str], deadline: float | None = None) -> frozenset[str]:
        """Remembered for `KNOWN_STEMS_TTL_S`; the others asked in one size-0 `_search` (a `filters`
        aggregation per stem: the node's term statistics are per shard, not what a search sees)."""
        return self._answered(self._known_stems_reads(stems, deadline))

    def _known_stems_reads(self, stems: Sequence[str], deadline: float | None) -> Reads[frozenset[str]]:
        now = time.monotonic()
        answers: dict[str, tuple[bool, float]] = {}
        for stem in stems:
            entry = self._known.get(stem)
            if entry is not None and entry[1] > now:
                answers[stem] = entry
        missing = [stem for stem in stems if stem not in answers]
        if missing:
            with translated_errors("search"):
                try:
                    response = yield ClientCall(
                        "search", {"index": self.alias, "body": es_query.known_stems_body(missing)}, deadline
                    )
                except NotFoundError:
                    return frozenset()  # no index yet: nothing is known
            practices = response["hits"]["total"]["value"]
            if len(self._known) + len(missing) > KNOWN_STEMS_REMEMBERED:
                self._known.clear()
            for number, stem in enumerate(missing):
                per_field = response["aggregations"][f"stem{number}"]["buckets"].values()
                most = max(field["doc_count"] for field in per_field)
                answers[stem] = (typed_as_meant(most, practices), now + KNOWN_STEMS_TTL_S)
                self._known[stem] = answers[stem]
        return frozenset(stem for stem, (known, _) in answers.items() if known)

    def attach_semantic(self, semantic: Semantic | None) -> None:
        self.semantic = semantic

    def nearest(
        self, vector: Vector, filters: SearchFilters, k: int, deadline: float | None = None
    ) -> list[tuple[str, float]]:
        """One kNN `_search` on the alias under the lexical search's filters, ids and scores only."""
        return self._answered(self._nearest_reads(vector, filters, k, deadline))

    def _nearest_reads(
        self, vector: Vector, filters: SearchFilters, k: int, deadline: float | None
    ) -> Reads[list[tuple[str, float]]]:
        if k <= 0:
            return []
        with translated_errors("nearest"):
            try:
                body = es_query.knn_body(vector, filters, k)
                response = yield ClientCall("search", {"index": self.alias, "body": body}, deadline)
            except NotFoundError:
                return []  # no index behind the alias yet: no vectors (writes create it)
        # An index without vectors (or of an older mapping, without the field) finds nothing.
        return [(h["_id"], cosine(h["_score"])) for h in response["hits"]["hits"]]

    def similarities(self, vector: Vector, ids: Sequence[str], deadline: float | None = None) -> dict[str, float]:
        """One kNN `_search` restricted to these ids (exact cosines, ids and scores only)."""
        return self._answered(self._similarities_reads(vector, ids, deadline))

    def _similarities_reads(
        self, vector: Vector, ids: Sequence[str], deadline: float | None
    ) -> Reads[dict[str, float]]:
        if not ids:
            return {}
        with translated_errors("similarities"):
            try:
                body = es_query.similarities_body(vector, ids)
                response = yield ClientCall("search", {"index": self.alias, "body": body}, deadline)
            except NotFoundError:
                return {}
        return {h["_id"]: cosine(h["_score"]) for h in response["hits"]["hits"]}

    def fetch(self, ids: Sequence[str], deadline: float | None = None) -> list[Mapping[str, Any]]:
        """One `_mget` on the alias: the display sources, in the order asked, of the ids found."""
        return self._answered(self._fetch_reads(ids, deadline))

    def _fetch_reads(self, ids: Sequence[str], deadline: float | None) -> Reads[list[Mapping[str, Any]]]:
        if not ids:
            return []
        with translated_errors("fetch"):
            try:
                kwargs = {"index": self.alias, "ids": list(ids), "source": es_query.SOURCE_FIELDS}
                response = yield ClientCall("mget", kwargs, deadline)
            except NotFoundError:
                return []
        return [d["_source"]["display"] for d in response["docs"] if d.get("found")]

    def similar(self, monograph_id: str, size: int = 5) -> list[SearchHit]:
        """More-like-this on the practice's words; with a `Semantic`, fused with its vector's nearest."""
        self.ensure_index()
        with translated_errors("similar"):
            try:  # the practice's own vector (nothing of it without a Semantic): one call, like `exists`
                own = self.client.get(
                    index=self.alias, id=monograph_id, source=[VECTOR_FIELD] if self.semantic else False
                )
            except NotFoundError:
                raise UnknownMonograph(f"monograph {monograph_id!r} is not published in the index") from None
            body = es_query.similar_body(monograph_id, self.alias, size * 2)
            response = self.client.search(index=self.alias, body=body)
        lexical = [hit_from_source(h["_source"]["display"], h.get("_score"), None) for h in response["hits"]["hits"]]
        return similar_by_meaning(self, monograph_id, stored_vector(own.get("_source", {})), lexical, size)

    def versions(self) -> dict[str, int]:
        # A scroll sorted by _doc (helpers.scan) reads every document whatever the index size;
        # `_version` is the external version the node orders writes by.
        self.ensure_index()
        query = {"_source": False, "version": True}
        with translated_errors("scan"):
            return {
                hit["_id"]: int(hit["_version"])
                for hit in helpers.scan(self.client, index=self.alias, query=query, size=SCAN_PAGE)
            }

    def ids(self) -> set[str]:
        return set(self.versions())

    def vector_ids(self) -> set[str]:
        # The same scroll as `versions`, over the documents that have the vector field.
        self.ensure_index()
        query = {"_source": False, "query": {"exists": {"field": VECTOR_FIELD}}}
        with translated_errors("scan"):
            return {hit["_id"] for hit in helpers.scan(self.client, index=self.alias, query=query, size=SCAN_PAGE)}

    def _count(self, query: dict[str, Any] | None = None) -> int:
        with translated_errors("count"):
            return int(self.client.count(index=self.alias, query=query)["count"])

    def health(self) -> EngineHealth:
        with translated_errors("health"):
            cluster = self.client.cluster.health()
        index = self.ensure_index()
        detail: dict[str, object] = {
            "cluster_status": cluster["status"],
            "alias": self.alias,
            "index": index,
            # The index's own version: an outdated index shows here until its rebuild is done.
            "mapping_version": self.mapping_version(index),
            "code_mapping_version": MAPPING_VERSION,
            "analysis": FRENCH_CHAIN if self.has_analysis_common else HUNSPELL_CHAIN,
        }
        if self.semantic is not None:
            detail["vectors"] = self._count({"exists": {"field": VECTOR_FIELD}})
        return EngineHealth(
            backend=self.backend, ok=cluster["status"] in ("green", "yellow"), documents=self._count(), detail=detail
        )

    def close(self) -> None:
        self.client.close()
