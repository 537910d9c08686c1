"""The Elasticsearch engine: the production backend, same contract as the embedded one."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers

from indexer import es_query
from indexer.engine import (
    CatchUp,
    EngineError,
    EngineHealth,
    EngineUnavailable,
    IndexReport,
    Progress,
    UnknownMonograph,
    time_left,
)
from indexer.es_mapping import FRENCH_CHAIN, HUNSPELL_CHAIN, MAPPING_VERSION, document, index_settings, mappings
from indexer.facets import YEAR_FACET, build_facets, year_counts
from indexer.factory import EngineConfig
from indexer.french import FrenchStemmer
from indexer.highlight import build_highlighter, hit_from_source
from indexer.query import Synonyms, parse_query
from schemas.monograph import Monograph, Status
from schemas.search import SearchHit, SearchQuery, SearchResult, Sort

BULK_CHUNK_DOCS = 500
BULK_CHUNK_BYTES = 10 * 1024 * 1024
# Below this many documents an index call refreshes at once: a single published monograph is
# searchable as soon as the API answers.
REFRESH_AT_ONCE = 1_000
UNAVAILABLE_STATUSES = {429, 502, 503, 504}
SCAN_PAGE = 5_000


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

    def __init__(self, config: EngineConfig, synonyms: Synonyms | None = None, client: Elasticsearch | None = None):
        self.alias = config.elasticsearch_index_prefix
        self.synonyms = synonyms or Synonyms.from_file(config.synonyms_path)
        self.stemmer = FrenchStemmer()
        basic_auth = None
        if config.elasticsearch_username:
            basic_auth = (config.elasticsearch_username, config.elasticsearch_password or "")
        options: dict[str, Any] = {
            "request_timeout": config.elasticsearch_timeout,
            "max_retries": 1,
            "retry_on_timeout": False,
        }
        if config.elasticsearch_api_key:
            options["api_key"] = config.elasticsearch_api_key
        if basic_auth:
            options["basic_auth"] = basic_auth
        if config.elasticsearch_ca_certs:
            options["ca_certs"] = config.elasticsearch_ca_certs
        self.client = client or Elasticsearch(config.elasticsearch_hosts, **options)
        self.replicas = config.elasticsearch_replicas
        self._has_analysis_common: bool | None = None
        self._created_index = False
        self._ensure_lock = threading.Lock()

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

    def _aliased_indices(self, client: Elasticsearch | None = None) -> list[str]:
        with translated_errors("alias lookup"):
            try:
                return sorted((client or self.client).indices.get_alias(name=self.alias))
            except NotFoundError:
                return []

    def current_index(self, client: Elasticsearch | None = None) -> str | None:
        """The concrete index behind the alias, if any (for reads and checks: writes go to the alias)."""
        found = self._aliased_indices(client)
        return found[-1] if found else None

    def ensure_index(self, client: Elasticsearch | None = None) -> str:
        """The alias's index, creating a first one (and the alias) when there is none.

        `client` (e.g. one bound to a search's remaining time) makes the lookup; creation, rare, uses
        the engine's own client.
        """
        current = self.current_index(client)
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
        # version it holds, whatever order processes, retries and rebuilds send them in.
        for monograph in monographs:
            ordered = {
                "_index": index,
                "_id": monograph.id,
                "version": monograph.version,
                "version_type": "external_gte",
            }
            if monograph.status == Status.PUBLISHED:
                yield {"_op_type": "index", **ordered, "_source": document(monograph, self.stemmer)}
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

    def _within(self, deadline: float | None) -> Elasticsearch:
        """The client for the next call of a search: given only the time left before `deadline`.

        :raises SearchTimeout: the deadline has passed.
        """
        left = time_left(deadline)
        return self.client if left is None else self.client.options(request_timeout=left)

    def search(self, query: SearchQuery) -> SearchResult:
        # Up to three calls (alias lookup, search, relaxed search) share the query's deadline.
        self.ensure_index(self._within(query.deadline))
        parsed = parse_query(query.q, self.synonyms)
        relaxed = False
        with translated_errors("search"):
            response = self._within(query.deadline).search(
                index=self.alias, body=es_query.search_body(query, parsed, self.stemmer, False)
            )
            if response["hits"]["total"]["value"] == 0 and len(parsed.clauses) > 1:
                relaxed = True
                response = self._within(query.deadline).search(
                    index=self.alias, body=es_query.search_body(query, parsed, self.stemmer, True)
                )
        highlighter = build_highlighter(parsed, self.stemmer) if query.highlight else None
        scored = not parsed.is_empty and query.sort == Sort.RELEVANCE
        hits = [
            hit_from_source(h["_source"]["display"], h.get("_score") if scored else None, highlighter)
            for h in response["hits"]["hits"]
        ]
        facets = {}
        aggregations = response.get("aggregations", {})
        if query.facets:
            counts = {
                facet: {str(b["key"]): b["doc_count"] for b in agg["values"]["buckets"]}
                for facet, agg in aggregations.items()
                if facet != YEAR_FACET
            }
            facets = build_facets(counts, query.filters)
        if query.year_counts:
            buckets = aggregations.get(YEAR_FACET, {}).get("values", {}).get("buckets", [])
            facets[YEAR_FACET] = year_counts({b["key"]: b["doc_count"] for b in buckets})
        return SearchResult(total=response["hits"]["total"]["value"], hits=hits, facets=facets, relaxed=relaxed)

    def similar(self, monograph_id: str, size: int = 5) -> list[SearchHit]:
        self.ensure_index()
        with translated_errors("similar"):
            if not self.client.exists(index=self.alias, id=monograph_id):
                raise UnknownMonograph(f"monograph {monograph_id!r} is not published in the index")
            body = es_query.similar_body(monograph_id, self.alias, size)
            response = self.client.search(index=self.alias, body=body)
        return [hit_from_source(h["_source"]["display"], h.get("_score"), None) for h in response["hits"]["hits"]]

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

    def health(self) -> EngineHealth:
        with translated_errors("health"):
            cluster = self.client.cluster.health()
        index = self.ensure_index()
        with translated_errors("count"):
            documents = int(self.client.count(index=self.alias)["count"])
        return EngineHealth(
            backend=self.backend,
            ok=cluster["status"] in ("green", "yellow"),
            documents=documents,
            detail={
                "cluster_status": cluster["status"],
                "alias": self.alias,
                "index": index,
                "mapping_version": MAPPING_VERSION,
                "analysis": FRENCH_CHAIN if self.has_analysis_common else HUNSPELL_CHAIN,
            },
        )

    def close(self) -> None:
        self.client.close()
