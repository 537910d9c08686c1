"""The embedded engine: tantivy in-process, the zero-setup default."""

from __future__ import annotations

import contextlib
import shutil
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache, partial
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import tantivy

from indexer.compiled import is_panic
from indexer.compiled_requests import CompiledRequests
from indexer.cpu_time import helped, timed
from indexer.documents import facet_fields, hit_source, likeness_fields, published_micros, texts
from indexer.embedder import Vector, from_bytes, to_bytes
from indexer.engine import (
    CatchUp,
    EngineError,
    EngineHealth,
    IndexLocked,
    IndexReport,
    Progress,
    UnknownMonograph,
    time_left,
)
from indexer.french import FrenchStemmer, prepare_for_index
from indexer.hits import hit_from_source
from indexer.like_territory import Boost
from indexer.pipeline import RawSearch, SearchPlan, run_search, similar_by_meaning
from indexer.query import Clause, ParsedQuery, Phrase, Synonyms, parse_query, typo_edits
from indexer.relevance import (
    COORDINATION,
    FUZZY_BOOST,
    PARTIAL_TEXT_FIELDS,
    PREFIX_BOOST,
    PREFIX_FIELDS,
    SIMILAR_FIELDS,
    SIMILAR_MAX_TERMS,
    TEXT_FIELDS,
    TIE_BREAKER,
    TYPO_KNOWN_FLOOR,
    typed_as_meant,
)
from indexer.vector_matrix import VectorMatrix
from indexer.vectors import Semantic, with_vectors
from schemas.facets import FACETS, YEAR, Facet, FacetKind
from schemas.like_territory import LIKE_FIELDS
from schemas.monograph import Monograph, Status
from schemas.search import SearchFilters, SearchHit, SearchQuery, SearchResult, Sort

ANALYZER = "fr"
# Bump when the tantivy schema or analysis changes: an older index is dropped and rebuilt.
SCHEMA_VERSION = 10  # 2: recency weight for relevance ties; 3: monograph version (ordered writes); 4: published;
# 5: `sont` a stopword; 6: `epci` facet; 7: "territories like mine" features; 8: vectors; 9: facet value masks;
# 10: département name and territory types in the keywords text
SCHEMA_VERSION_FILE = "impact-schema-version"
# tantivy's single-writer lock: a file locked with flock(2) while an IndexWriter is open.
WRITER_LOCK_FILE = ".tantivy-writer.lock"
# tantivy's record of the index's last commit: its segments (each new one has a new id), their deletes and
# the opstamp. Not the opstamp alone: a rebuild (`delete_all_documents`) may commit the same opstamp again.
META_FILE = "meta.json"
# The fast fields a sort reads descending (relevance: the score, weighted by `recency_weight`).
ORDER_FIELDS = {Sort.RECENT: "recency", Sort.OLDEST: "antiquity", Sort.PUBLISHED: "published"}
MISSING_YEAR = 9999
OLDEST_YEAR = 1950
COMMIT_BATCH = 5_000
# Versions read from the fast field this many documents at a time (`_indexed_versions`).
VERSION_BATCH = 10_000


def _count(result: tantivy.SearchResult) -> int:
    # `count` exists at run time but the package's type stubs omit it.
    return int(getattr(result, "count", 0) or 0)


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", fast=True)
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=False, tokenizer_name=ANALYZER, index_option="position")
    for facet in (*FACETS, YEAR):
        if facet.kind == FacetKind.KEYWORD:
            builder.add_text_field(facet.field, stored=False, tokenizer_name="raw", fast=True)
        else:
            builder.add_integer_field(facet.field, stored=False, indexed=True, fast=True)
    for fields in _MASK_FIELDS.values():
        for name in fields:
            builder.add_integer_field(name, stored=False, indexed=False, fast=True)
    for name in LIKE_FIELDS:
        builder.add_text_field(name, stored=False, tokenizer_name="raw")
    # Sort keys, both read descending: newest first, and oldest first; no year sorts last.
    builder.add_integer_field("recency", stored=False, indexed=False, fast=True)
    builder.add_integer_field("antiquity", stored=False, indexed=False, fast=True)
    # When the practice was published (µs since the epoch): feeds list the most recently published first.
    builder.add_integer_field("published", stored=False, indexed=False, fast=True)
    # Relevance is multiplied by log2(2 + this): about 0.07 % per decade, so it only orders
    # practices whose scores tie, newest first (Elasticsearch sorts by year after the score).
    builder.add_integer_field("recency_weight", stored=False, indexed=False, fast=True)
    # The monograph's store version: a write older than the indexed one is never applied.
    builder.add_integer_field("version", stored=False, indexed=False, fast=True)
    builder.add_bytes_field("source", stored=True, indexed=False)
    # The practice's vector (hybrid search), when it has one: loaded into memory at start (`VectorMatrix`).
    builder.add_bytes_field("vector", stored=True, indexed=False)
    return builder.build()


def _held_by_another_writer(path: Path) -> bool:
    """Whether an IndexWriter (of any process, this one included) holds the index at `path`."""
    lock_file = path / WRITER_LOCK_FILE
    if sys.platform == "win32" or not lock_file.is_file():
        return False
    import fcntl

    with lock_file.open("rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _locked_message(path: Path | None) -> str:
    return (
        f"the embedded index at {path or ':memory:'} is being written by another process (an API already "
        "running?): stop it first, or make the change through the API; run a single API process with the "
        "embedded engine, or use Elasticsearch and PostgreSQL to run several"
    )


# Nearest practices under filters: the closest this many times `k` overall are checked against the filters.
NEAREST_OVERSAMPLING = 10
NEAREST_MIN_CANDIDATES = 1_000

# Helper threads counting facets beside a ranking (`_count_beside`). Past two searches at once the cores
# of a small machine are busy anyway: further searches count in their own thread, nothing queues.
COUNTING_HELPERS = 2

# What a write call knows of a monograph's indexed state: its version, and whether it is present
# (False: removed by this call, remembered so that an older state later in the call is skipped too).
Known = tuple[int, bool]


# Facets counted under filters of their own sit under a filter aggregation named with this prefix.
FILTERED_GROUP = "_filtered_"
# A facet a practice may have several values of, with a referential (territory types, actor categories,
# ODD), is also indexed as single-valued fields: the practice's values among each `MASK_GROUP` of the
# referential's, as a bit mask. From `MASKS_FROM` practices it is counted from them, each mask's count
# added back to its values (`_read_buckets`): counting every one of 100,000 practices, tantivy took 13.6 ms
# for the three multi-valued fields and 2.6 ms for their four masks. On a small index the masks' buckets
# cost more than they save (a few hundred combinations of ODD, turned into Python: at 10,000 practices a
# search took 0.27 ms more), so the multi-valued fields are counted there.
MASK_GROUP = 9
MASKS_FROM = 50_000
MASK_MARK = "_mask_"
MASKED: dict[str, Facet] = {facet.name: facet for facet in FACETS if facet.several and facet.values}
_MASK_BITS = {
    name: {value: divmod(position, MASK_GROUP) for position, value in enumerate(facet.values)}
    for name, facet in MASKED.items()
}


# What the index file records and checks (`_prepare_directory`): the schema version and the masks' layout.
# A bit is a value's position in its referential: a referential that changes (a value added, reordered)
# changes what every indexed mask means, so the index is rebuilt then, without a version to bump.
INDEX_VERSION = f"{SCHEMA_VERSION}-{zlib.crc32(repr(sorted(_MASK_BITS.items())).encode()):08x}"


def mask_fields(facet: Facet) -> list[str]:
    """The index fields holding a masked facet's bit masks, one per group of its values."""
    return [f"{facet.field}{MASK_MARK}{n}" for n in range(-(-len(facet.values) // MASK_GROUP))]


_MASK_FIELDS = {name: mask_fields(facet) for name, facet in MASKED.items()}


def facet_masks(monograph: Monograph) -> dict[str, int]:
    """Each masked facet's bit masks for this practice (groups holding none of its values left out)."""
    masks: dict[str, int] = {}
    for name, facet in MASKED.items():
        fields = _MASK_FIELDS[name]
        for value in facet.of(monograph):
            found = _MASK_BITS[name].get(str(value))
            if found is not None:
                group, bit = found
                masks[fields[group]] = masks.get(fields[group], 0) | 1 << bit
    return masks


@dataclass(frozen=True)
class EmbeddedRequest:
    query: tantivy.Query
    # One aggregation request for every counted facet, run on `facet_query` (the words' match-only form,
    # no filters: each filtered group carries its own): None when no facet is counted.
    facets: dict[str, Any] | None
    facet_query: tantivy.Query
    limit: int
    offset: int
    order_field: str | None
    ids_only: bool = False


def _quoted(value: str | int) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def filter_string(filters: SearchFilters) -> str | None:
    """The filters as the query string of a tantivy `filter` aggregation (None: no filter): each facet
    selection (any value, or every one), the start-year range. Only facet values and years reach it:
    `SearchFilters` checked them against the registry, and each is quoted and escaped; never words."""
    parts = []
    for facet in FACETS:
        terms = [f"{facet.field}:{_quoted(facet.index_value(v))}" for v in filters.selected(facet.name)]
        if filters.requires_all(facet):
            parts += [f"+{term}" for term in terms]
        elif terms:
            parts.append(f"+({' OR '.join(terms)})")
    if filters.year_from is not None or filters.year_to is not None:
        low = "*" if filters.year_from is None else int(filters.year_from)
        high = "*" if filters.year_to is None else int(filters.year_to)
        parts.append(f"+{YEAR.field}:[{low} TO {high}]")
    return " ".join(parts) or None


def _facet_terms(facet: Facet, masked: bool) -> dict[str, Any]:
    """The terms aggregations counting a facet: of its field, or, `masked`, of each of its masks (all of them)."""
    if not masked or facet.name not in MASKED:
        return {facet.name: {"terms": {"field": facet.field, "size": facet.size}}}
    return {
        f"{facet.name}{MASK_MARK}{n}": {"terms": {"field": field, "size": 2**MASK_GROUP}}
        for n, field in enumerate(_MASK_FIELDS[facet.name])
    }


def _read_buckets(raw: RawSearch, aggregations: Mapping[str, Any]) -> None:
    """Each facet's buckets from one aggregation answer (filtered groups unnested, masks added back to
    their values), and which had more values than asked."""
    masked: dict[str, dict[str | int | float, int]] = {}
    for name, aggregation in aggregations.items():
        if name.startswith(FILTERED_GROUP):
            _read_buckets(raw, {n: a for n, a in aggregation.items() if n != "doc_count"})
        elif MASK_MARK in name:
            facet_name, group = name.split(MASK_MARK)
            values = MASKED[facet_name].values[int(group) * MASK_GROUP : (int(group) + 1) * MASK_GROUP]
            counts = masked.setdefault(facet_name, {})
            for value, count in zip(values, _per_bit(aggregation["buckets"]), strict=False):
                if count is not None:
                    counts[value] = counts.get(value, 0) + count
        else:
            raw.buckets[name] = {b["key"]: b["doc_count"] for b in aggregation["buckets"]}
            if aggregation.get("sum_other_doc_count"):
                raw.truncated.add(name)
    for facet_name, counts in masked.items():
        facet = MASKED[facet_name]
        # Like a terms aggregation: the `size` values most practices have, the answer saying if more exist.
        if len(counts) > facet.size:
            kept = sorted(counts, key=lambda value: (-counts[value], facet.order(str(value))))[: facet.size]
            counts = {value: counts[value] for value in kept}
            raw.truncated.add(facet_name)
        raw.buckets[facet_name] = counts


_BITS = np.arange(MASK_GROUP)
_KEY, _DOC_COUNT = itemgetter("key"), itemgetter("doc_count")


def _per_bit(buckets: list[dict[str, Any]]) -> list[int | None]:
    """Of one group's mask buckets, the practices that have each bit (each mask's count added to each of its
    bits), or None for a bit no mask has. Hundreds of masks a search at 100,000 practices: added up by numpy,
    not bit by bit in Python (0.3 ms a search)."""
    if not buckets:
        return []
    masks = np.array(list(map(_KEY, buckets)), dtype=np.int64)  # the keys of a numeric field may be floats
    bits = (masks[:, None] >> _BITS) & 1
    per_bit = (np.array(list(map(_DOC_COUNT, buckets)), dtype=np.int64) @ bits).tolist()
    seen = int(np.bitwise_or.reduce(masks))
    return [count if seen >> bit & 1 else None for bit, count in enumerate(per_bit)]


def _waited(counting: Future[tuple[dict[str, Any], float]]) -> dict[str, Any]:
    """The facet counts a helper thread made, once made (its CPU time counted as the search's)."""
    answer, seconds = counting.result()
    helped(seconds)
    return answer


class EmbeddedEngine:
    """tantivy index on disk (or in memory when `path` is None), one writer held open."""

    backend = "embedded"
    in_process = True
    semantic: Semantic | None = None

    def __init__(self, path: Path | None = None, synonyms: Synonyms | None = None):
        self.path = path
        self.synonyms = synonyms or Synonyms.from_file()
        self.schema = _schema()
        self._fresh = True
        if path is not None:
            self._fresh = self._prepare_directory(path)
            self._index = tantivy.Index(self.schema, path=str(path), reuse=True)
            (path / SCHEMA_VERSION_FILE).write_text(INDEX_VERSION)
        else:
            self._index = tantivy.Index(self.schema)
        self._stemmer = FrenchStemmer()
        self._stem = self._stemmer.word
        # A prefix query compiles its automaton when built (about 40 µs): built once per field and stem.
        self._prefix_query = lru_cache(maxsize=4096)(self._new_prefix_query)
        self._requests = CompiledRequests(self.build_request)
        # Facets with several values per practice counted from their masks from this many practices on.
        self.masks_from = MASKS_FROM
        self._index.register_tokenizer(ANALYZER, self._stemmer.analyzer)
        self._writer: tantivy.IndexWriter | None = None
        self._write_lock = threading.Lock()
        self._helpers = threading.BoundedSemaphore(COUNTING_HELPERS)
        self._helper_pool = ThreadPoolExecutor(COUNTING_HELPERS, thread_name_prefix="impact-facet-count")
        self._vectors = VectorMatrix()
        # Every document's version as read with the vectors, for the start-up check (`versions`).
        self._opened: tuple[bytes, dict[str, int]] | None = None

    def _read_vectors(self) -> None:
        """The stored vectors into memory, with every document's version: one read of the stored documents.

        The start-up check asks for the versions next (`versions`): they are kept for it while the index's
        last commit stays the one they were read from (tantivy's `meta.json`, the same before and after the
        read, and when they are asked for; a merge changes it too). Reading every document costs about
        10 µs each: 10 s at a million practices, and it maps the whole document store (300 MB at 100k).
        Kept until asked for or the first write: an engine that never checks holds one id per practice."""
        before = self._last_commit()
        self._index.reload()  # the searcher sees at least that commit
        versions, vectors = self._stored_vectors()
        self._vectors.replace(vectors)
        if before is not None and before == self._last_commit():
            self._opened = (before, versions)

    def _last_commit(self) -> bytes | None:
        """tantivy's record of the index's last commit, by any process (None: in memory, or unreadable)."""
        if self.path is None:
            return None
        try:
            return (self.path / META_FILE).read_bytes()
        except OSError:
            return None

    @staticmethod
    def _prepare_directory(path: Path) -> bool:
        """Make `path` ready for this schema; True when the index starts empty (new or outdated).

        :raises IndexLocked: the index is outdated but another process is writing it.
        """
        version_file = path / SCHEMA_VERSION_FILE
        if path.is_dir() and version_file.is_file() and version_file.read_text().strip() == INDEX_VERSION:
            return False
        # Never pull an index from under its writer (an older API still running, say).
        if _held_by_another_writer(path):
            raise IndexLocked(_locked_message(path))
        # An index of another schema version is derived data: drop it, the store refills it.
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)
        return True

    def needs_rebuild(self) -> bool:
        return self._fresh

    # -- writes ---------------------------------------------------------------

    def _get_writer(self) -> tantivy.IndexWriter:
        """The single writer, opened once and kept (call with `_write_lock` held).

        :raises IndexLocked: another process (or another engine of this one) holds the writer.
        """
        if self._writer is None:
            try:
                self._writer = self._index.writer(heap_size=64_000_000, num_threads=1)
            except ValueError as exc:
                if "LockBusy" in str(exc):
                    raise IndexLocked(_locked_message(self.path)) from exc
                raise EngineError(f"the embedded index at {self.path} cannot be written: {exc}") from exc
        return self._writer

    def claim_writer(self) -> None:
        """Take tantivy's writer lock now: a second process fails at start-up, not at its first write."""
        with self._write_lock:
            self._get_writer()

    @property
    def holds_writer(self) -> bool:
        """Whether this engine holds the index's single writer."""
        return self._writer is not None

    def _document(self, monograph: Monograph, vector: Vector | None) -> tantivy.Document:
        fields: dict[str, Any] = {"id": monograph.id, "version": monograph.version}
        if vector is not None:
            fields["vector"] = to_bytes(vector)
        fields |= {name: prepare_for_index(text) for name, text in texts(monograph).items()}
        fields |= facet_fields(monograph)
        fields |= facet_masks(monograph)
        fields |= likeness_fields(monograph)
        fields |= {
            "recency": monograph.year or 0,
            "antiquity": -(monograph.year or MISSING_YEAR),
            "published": published_micros(monograph),
            "recency_weight": monograph.year or OLDEST_YEAR,
            "source": orjson.dumps(hit_source(monograph)),
        }
        return tantivy.Document(**fields)

    def _indexed_lookup(self, searcher: tantivy.Searcher) -> Callable[[str], Known | None]:
        """Version of a monograph in the committed index: one term query and one fast-field read."""

        def lookup(monograph_id: str) -> Known | None:
            address = self._live_address(searcher, monograph_id)
            if address is None:
                return None
            value = searcher.fast_field_values("version", [address])[0]
            return (int(value or 0), True)

        return lookup

    def _write(
        self,
        writer: tantivy.IndexWriter,
        monographs: Iterable[Monograph],
        committed: Callable[[str], Known | None],
        written: dict[str, Known],
        report: IndexReport,
        progress: Progress | None,
        commit_batch: int | None,
        vectors: dict[str, Vector | None],
    ) -> None:
        """Apply monographs in order of version: one older than what the index holds is skipped.

        Searchers do not see uncommitted writes, so the index's state is what `committed` says,
        overridden by `written`: what this call wrote so far. The single writer (held, under
        `_write_lock`) guarantees nobody else changes the index meanwhile. `vectors` collects each
        written practice's vector (None: removed, or none), for the matrix once committed.
        """
        pending = 0
        source = self.semantic.vectors if self.semantic is not None else None
        for monograph, vector in with_vectors(monographs, source):
            try:
                known = written.get(monograph.id) or committed(monograph.id)
                if known is not None and known[0] > monograph.version:
                    report.skipped += 1  # the index already holds a newer state
                else:
                    published = monograph.status == Status.PUBLISHED
                    document = self._document(monograph, vector) if published else None  # may fail: nothing removed yet
                    if known is not None and known[1]:
                        writer.delete_documents_by_term("id", monograph.id)
                    if document is not None:
                        writer.add_document(document)
                        report.indexed += 1
                    else:
                        report.removed += 1
                    written[monograph.id] = (monograph.version, published)
                    vectors[monograph.id] = vector if published else None
            except (ValueError, TypeError) as exc:  # one bad document never blocks the rest
                report.failed[monograph.id] = str(exc)
            pending += 1
            if progress:
                progress(1)
            # Bounded batches keep memory flat on a long index call; a full rebuild commits
            # once at the end so searches never see a half-built index.
            if commit_batch and pending >= commit_batch:
                writer.commit()
                pending = 0

    @contextlib.contextmanager
    def _writing(self) -> Iterator[tantivy.IndexWriter]:
        """The writer under the write lock; on any error, uncommitted writes are dropped and the lock kept."""
        with self._write_lock:
            writer = self._get_writer()
            self._opened = None  # freed: a write changes the last commit they were kept for anyway
            try:
                yield writer
                writer.commit()
            except BaseException:
                try:
                    writer.rollback()
                except Exception:  # an unusable writer: drop it, the next write opens a new one
                    self._writer = None
                raise
            finally:
                self._index.reload()

    def index(self, monographs: Iterable[Monograph], progress: Progress | None = None) -> IndexReport:
        report = IndexReport()
        vectors: dict[str, Vector | None] = {}
        with self._writing() as writer:
            self._index.reload()  # the committed state, the one the version lookups must see
            committed = self._indexed_lookup(self._index.searcher())
            self._write(writer, monographs, committed, {}, report, progress, COMMIT_BATCH, vectors)
        self._vectors.apply(vectors)
        return report

    def rebuild(
        self, monographs: Iterable[Monograph], progress: Progress | None = None, catch_up: CatchUp | None = None
    ) -> IndexReport:
        """Empty, refill, then apply `catch_up`, in one commit: searches see the previous index until then.

        An error (of the store's iterator, or of `catch_up`) rolls everything back. Progress ticks
        count the refill only (the caller's total); the report counts both.
        """
        report = IndexReport()
        vectors: dict[str, Vector | None] = {}
        with self._writing() as writer:
            writer.delete_all_documents()
            written: dict[str, Known] = {}
            self._write(writer, monographs, lambda _: None, written, report, progress, None, vectors)
            if catch_up is not None:
                self._write(writer, catch_up(), lambda _: None, written, report, None, None, vectors)
        self._vectors.replace((i, v) for i, v in vectors.items() if v is not None)
        self._fresh = False
        return report

    def delete(self, ids: Iterable[str]) -> IndexReport:
        report = IndexReport()
        removed: dict[str, Vector | None] = {}
        with self._writing() as writer:
            for monograph_id in ids:
                writer.delete_documents_by_term("id", monograph_id)
                removed[monograph_id] = None
                report.removed += 1
        self._vectors.apply(removed)
        return report

    # -- queries --------------------------------------------------------------

    def _phrase_query(self, field: str, phrase: Phrase, clause: Clause, known: frozenset[str]) -> tantivy.Query | None:
        stems = [(pos, self._stem(word)) for word, pos in phrase.terms]
        terms: list[str | tuple[int, str]] = [(pos, stem) for pos, stem in stems if stem]
        if not terms:
            return None
        if len(terms) > 1:
            return tantivy.Query.phrase_query(self.schema, field, terms)
        stem = str(terms[0][1])
        should = [tantivy.Query.term_query(self.schema, field, stem)]
        distance = typo_edits(stem, clause, known)
        if distance:
            fuzzy = tantivy.Query.fuzzy_term_query(self.schema, field, stem, distance=distance)
            should.append(tantivy.Query.boost_query(fuzzy, FUZZY_BOOST))
        if clause.prefix and field in PREFIX_FIELDS:
            should.append(self._prefix_query(field, stem))
        if len(should) == 1:
            return should[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in should])

    def _new_prefix_query(self, field: str, stem: str) -> tantivy.Query:
        """Terms of `field` longer than `stem` and starting with it, boosted as a prefix.

        Folded words are `[a-z0-9_]`: nothing in a stem is a regular expression operator. Indexed terms
        are folded ASCII too, so `[[:ascii:]]+` matches what `.+` would, and its automaton compiles 15
        times faster (30 µs, not 0.5 ms: `.` is every Unicode character)."""
        prefix = tantivy.Query.regex_query(self.schema, field, f"{stem}[[:ascii:]]+")
        return tantivy.Query.boost_query(prefix, PREFIX_BOOST)

    def _clause_query(
        self, clause: Clause, boosts: dict[str, float] = TEXT_FIELDS, known: frozenset[str] = frozenset()
    ) -> tantivy.Query | None:
        per_field = []
        for field, boost in boosts.items():
            alternatives = [q for p in clause.alternatives if (q := self._phrase_query(field, p, clause, known))]
            if alternatives:
                combined = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in alternatives])
                per_field.append(tantivy.Query.boost_query(combined, boost))
        return tantivy.Query.disjunction_max_query(per_field, TIE_BREAKER) if per_field else None

    def _text_queries(self, parsed: ParsedQuery, relaxed: bool) -> tuple[tantivy.Query, tantivy.Query]:
        """The text query that ranks, and one matching the same practices without ranking them (what
        facets are counted on: relaxed, each optional clause once instead of twice).

        Every clause required; or, relaxed, quoted phrases required and any other clause, each one
        matched adding `COORDINATION` (practices with more of the words first)."""
        boosts = PARTIAL_TEXT_FIELDS if relaxed else TEXT_FIELDS
        clauses = [(c, q) for c in parsed.clauses if (q := self._clause_query(c, boosts, parsed.known))]
        if not clauses:
            nothing = tantivy.Query.all_query() if parsed.is_empty else tantivy.Query.empty_query()
            return nothing, nothing
        if not relaxed:
            every = tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for _, q in clauses])
            return every, every
        required = [(tantivy.Occur.Must, q) for c, q in clauses if c.exact]
        optional = [q for c, q in clauses if not c.exact]
        graded = [(tantivy.Occur.Should, q) for q in optional]
        matching = tantivy.Query.boolean_query(required or graded)
        graded += [(tantivy.Occur.Should, tantivy.Query.const_score_query(q, COORDINATION)) for q in optional]
        if required and graded:
            # The exact phrases decide what matches; the other words only rank.
            ranked = tantivy.Query.boolean_query(
                [*required, (tantivy.Occur.Should, tantivy.Query.boolean_query(graded))]
            )
            return ranked, matching
        return tantivy.Query.boolean_query(required or graded), matching

    def _filter_queries(self, filters: SearchFilters) -> list[tantivy.Query]:
        """The filters as one query (none without filters): the string a `filter` aggregation gets too."""
        condition = filter_string(filters)
        return [self._index.parse_query(condition, [])] if condition is not None else []

    def _boosted(self, query: tantivy.Query, boosts: list[Boost]) -> tantivy.Query:
        """The query, with each boost an optional constant-score clause (`indexer/like_territory.py`)."""
        if not boosts:
            return query
        should = [
            (tantivy.Occur.Should, tantivy.Query.const_score_query(self._values_query(b.field, b.values), b.weight))
            for b in boosts
        ]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *should])

    def _values_query(self, field: str, values: tuple[str, ...]) -> tantivy.Query:
        if len(values) == 1:
            return tantivy.Query.term_query(self.schema, field, values[0])
        return tantivy.Query.term_set_query(self.schema, field, list(values))

    @staticmethod
    def _and(text: tantivy.Query, filters: list[tantivy.Query]) -> tantivy.Query:
        if not filters:
            return text
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, text)]
            + [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters]
        )

    def _facet_aggregations(self, plan: SearchPlan, masked: bool) -> dict[str, Any] | None:
        """Every counted facet in one aggregation request, so the words are matched once whatever
        the selections (one pass per distinct set of filters would match them again each time):
        facets counted under no filter at the top, the others inside a `filter` aggregation per
        distinct set of filters."""
        counted = plan.counted()
        if not counted:
            return None
        aggregations: dict[str, Any] = {}
        groups: dict[str, dict[str, Any]] = {}
        # Facets without a selection of their own share one filters object: its string is built once.
        conditions: dict[int, str | None] = {}
        for facet, filters in counted:
            if id(filters) not in conditions:
                conditions[id(filters)] = filter_string(filters)
            condition = conditions[id(filters)]
            terms = _facet_terms(facet, masked)
            (aggregations if condition is None else groups.setdefault(condition, {})).update(terms)
        for number, (condition, facets) in enumerate(groups.items()):
            aggregations[f"{FILTERED_GROUP}{number}"] = {"filter": condition, "aggs": facets}
        return aggregations

    def build_request(self, plan: SearchPlan, masked: bool | None = None) -> EmbeddedRequest:
        """Everything tantivy will be asked for one pass, built once: what the benchmark times as "raw".
        `masked`: count facets of several values per practice from their masks (default: from
        `masks_from` practices on)."""
        query = plan.query
        if masked is None:
            masked = self._index.searcher().num_docs >= self.masks_from
        text, matching = self._text_queries(plan.parsed, plan.relaxed)
        if plan.dense:
            # Hybrid: the practices closest in meaning match too, adding nothing to the text score.
            nearest = tantivy.Query.const_score_query(self._values_query("id", plan.dense), 0.0)
            text, matching = (
                tantivy.Query.boolean_query([(tantivy.Occur.Should, q), (tantivy.Occur.Should, nearest)])
                for q in (text, matching)
            )
        return EmbeddedRequest(
            query=self._boosted(self._and(text, self._filter_queries(query.filters)), plan.boosts),
            facets=self._facet_aggregations(plan, masked),
            facet_query=matching,
            limit=max(query.size, 1),  # tantivy wants at least 1, even to count only
            offset=query.offset,
            order_field=ORDER_FIELDS.get(plan.sort),
            ids_only=plan.ids_only,
        )

    def execute_request(self, searcher: tantivy.Searcher, request: EmbeddedRequest) -> RawSearch:
        """One pass: `tantivy_calls`, the facet counts read from their answer when `RawSearch.counted` asks (the
        pipeline builds the page's hits meanwhile, while a helper thread may still be counting)."""
        raw, counts = self.tantivy_calls(searcher, request)
        if counts is not None:
            raw.pending = lambda raw: _read_buckets(raw, counts())
        return raw

    def tantivy_calls(
        self, searcher: tantivy.Searcher, request: EmbeddedRequest
    ) -> tuple[RawSearch, Callable[[], dict[str, Any]] | None]:
        """The raw tantivy calls of one pass (what the benchmark times as "raw"): the top documents with their
        stored source, and the facet aggregation's answer (a function returning it: counted beside the
        ranking when a helper thread is free, and then maybe still being counted when this returns)."""
        counting = self._count_beside(searcher, request) if request.facets else None
        if request.order_field:
            top = searcher.search(request.query, request.limit, True, request.order_field, request.offset)
        else:
            top = searcher.search(
                request.query, request.limit, True, offset=request.offset, weight_by_field="recency_weight"
            )
        if request.ids_only:
            hits: list[tuple[Mapping[str, Any], float | None]] = [
                ({"id": searcher.doc(address).get_first("id")}, float(key)) for key, address in top.hits
            ]
        else:
            hits = [
                (orjson.loads(searcher.doc(address).get_first("source") or b"{}"), float(key))
                for key, address in top.hits
            ]
        raw = RawSearch(_count(top), hits)
        if counting is not None:
            return raw, partial(_waited, counting)
        if request.facets:
            answer = searcher.aggregate(request.facet_query, request.facets)
            return raw, lambda: answer
        return raw, None

    def _count_beside(
        self, searcher: tantivy.Searcher, request: EmbeddedRequest
    ) -> Future[tuple[dict[str, Any], float]] | None:
        """The facet counts started in a helper thread, with the helper's CPU time, or None when every helper
        is busy (a loaded machine: counting then runs after the ranking, in the request's thread, and nothing
        queues).

        Ranking and counting are two tantivy calls that release the GIL: side by side on an idle machine,
        a search of frequent words at 100k practices takes the longer of the two, not their sum."""
        if request.facets is None or not self._helpers.acquire(blocking=False):
            return None
        try:
            counting = self._helper_pool.submit(timed, searcher.aggregate, request.facet_query, request.facets)
        except RuntimeError:  # the engine is closing
            self._helpers.release()
            return None
        counting.add_done_callback(lambda _: self._helpers.release())
        return counting

    def execute(self, plan: SearchPlan) -> RawSearch:
        # In-process and fast: the deadline is checked before each pass (a finished one is answered).
        time_left(plan.query.deadline)
        searcher = self._index.searcher()
        return self.execute_request(searcher, self._requests(plan, searcher.num_docs >= self.masks_from))

    def search(self, query: SearchQuery) -> SearchResult:
        return run_search(self, query, self.synonyms, self._stemmer)

    def known_stems(self, stems: Sequence[str], deadline: float | None = None) -> frozenset[str]:
        """Read from the term dictionary: each stem's document frequency in each text field (a few µs)."""
        time_left(deadline)
        searcher = self._index.searcher()
        practices = searcher.num_docs
        if practices < TYPO_KNOWN_FLOOR:
            return frozenset()  # no word is held by enough practices to be known (`typed_as_meant`)
        return frozenset(
            stem
            for stem in stems
            if typed_as_meant(max(searcher.doc_freq(field, stem) for field in TEXT_FIELDS), practices)
        )

    @staticmethod
    def _source(searcher: tantivy.Searcher, address: Any) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(searcher.doc(address).get_first("source") or b"{}")
        return data

    def _live_address(self, searcher: tantivy.Searcher, monograph_id: str) -> Any | None:
        """Where the live document of this id is (a deleted one is not found), or None."""
        hits = searcher.search(tantivy.Query.term_query(self.schema, "id", monograph_id), 1, False).hits
        return hits[0][1] if hits else None

    def _address(self, searcher: tantivy.Searcher, monograph_id: str) -> Any:
        address = self._live_address(searcher, monograph_id)
        if address is None:
            raise UnknownMonograph(f"monograph {monograph_id!r} is not published in the index")
        return address

    def attach_semantic(self, semantic: Semantic | None) -> None:
        """Hybrid search: the index's stored vectors are read into memory now (lexical search never reads
        them, nor maps the document store at start-up)."""
        self.semantic = semantic
        if semantic is not None:
            self._read_vectors()

    def nearest(
        self, vector: Vector, filters: SearchFilters, k: int, deadline: float | None = None
    ) -> list[tuple[str, float]]:
        """Exact cosine over every vector; under filters, the closest `NEAREST_OVERSAMPLING` × `k` (at
        least `NEAREST_MIN_CANDIDATES`) are checked against them in one aggregation (no stored reads)."""
        time_left(deadline)
        conditions = self._filter_queries(filters)
        if not conditions:
            return self._vectors.nearest(vector, k)
        candidates = self._vectors.nearest(vector, max(k * NEAREST_OVERSAMPLING, NEAREST_MIN_CANDIDATES))
        if not candidates:
            return []
        query = self._and(self._values_query("id", tuple(i for i, _ in candidates)), conditions)
        aggregation = {"ids": {"terms": {"field": "id", "size": len(candidates)}}}
        buckets = self._index.searcher().aggregate(query, aggregation)["ids"]["buckets"]
        passing = {b["key"] for b in buckets}
        return [(i, score) for i, score in candidates if i in passing][:k]

    def similarities(self, vector: Vector, ids: Sequence[str], deadline: float | None = None) -> dict[str, float]:
        """Read from the matrix in memory (no call to the index)."""
        time_left(deadline)
        return self._vectors.similarities(vector, ids)

    def fetch(self, ids: Sequence[str], deadline: float | None = None) -> list[Mapping[str, Any]]:
        time_left(deadline)
        if not ids:
            return []
        searcher = self._index.searcher()
        found = searcher.search(self._values_query("id", tuple(ids)), len(ids), False).hits
        sources = {str(s["id"]): s for s in (self._source(searcher, address) for _, address in found)}
        return [sources[i] for i in ids if i in sources]

    def _stored_vectors(self) -> tuple[dict[str, int], list[tuple[str, Vector]]]:
        """Every live document's version by id and its stored vector, when it has one, in one read of the
        stored documents (versions from the fast field)."""
        searcher = self._index.searcher()
        total = searcher.num_docs
        if not total:
            return {}, []
        addresses = [address for _, address in searcher.search(tantivy.Query.all_query(), total, False).hits]
        values = searcher.fast_field_values("version", addresses)
        versions: dict[str, int] = {}
        vectors: list[tuple[str, Vector]] = []
        for address, value in zip(addresses, values, strict=True):
            document = searcher.doc(address)
            monograph_id = str(document.get_first("id"))
            versions[monograph_id] = int(value or 0)
            if data := document.get_first("vector"):
                vectors.append((monograph_id, from_bytes(data)))
        return versions, vectors

    def _indexed_versions(self) -> dict[str, int]:
        """Every live document's version by id without reading a stored document: the ids from the term
        dictionary (a deleted document's id stays there until a merge: its term query finds nothing), each
        id's document from a term query, the versions from the fast field. At 100k practices: 0.65 s and a
        few MB of index files touched, against 1.3 s and the 300 MB document store for a read of every
        document (tantivy-py sorts by a text fast field, but at 2 s for 100k)."""
        searcher = self._index.searcher()
        if not searcher.num_docs:
            return {}
        versions: dict[str, int] = {}
        ids: list[str] = []
        addresses: list[Any] = []

        def read_versions() -> None:
            values = searcher.fast_field_values("version", addresses)
            versions.update(zip(ids, (int(v or 0) for v in values), strict=True))
            ids.clear()
            addresses.clear()

        for monograph_id, _ in searcher.terms_with_prefix("id", ""):
            address = self._live_address(searcher, monograph_id)
            if address is not None:
                ids.append(monograph_id)
                addresses.append(address)
                if len(addresses) >= VERSION_BATCH:
                    read_versions()
        read_versions()
        return versions

    def similar(self, monograph_id: str, size: int = 5) -> list[SearchHit]:
        searcher = self._index.searcher()
        source = self._source(searcher, self._address(searcher, monograph_id))
        shown = {**source, "sections": "\n".join(source.get("sections", {}).values())}
        fields = {name: [prepare_for_index(shown[name])] for name in SIMILAR_FIELDS}
        like = tantivy.Query.more_like_this_document_fields_query(
            self.schema,
            fields,
            min_doc_frequency=1,
            min_term_frequency=1,
            max_query_terms=SIMILAR_MAX_TERMS,
            min_word_length=3,
        )
        try:
            hits = searcher.search(self._other_than(like, monograph_id), limit=size * 2).hits
        except BaseException as exc:  # a Rust panic surfaces as a BaseException
            if not is_panic(exc):
                raise
            # tantivy 0.27's more-like-this counts deleted documents in a term's frequency but not in
            # the total, and panics ("59 >= 60") until segments merge: rank by the practice's own
            # words instead (its title and summary as an any-word query).
            words = parse_query(f"{source['title']} {source['summary']}", self.synonyms)
            fallback, _ = self._text_queries(ParsedQuery(words.clauses[:SIMILAR_MAX_TERMS]), relaxed=True)
            hits = searcher.search(self._other_than(fallback, monograph_id), limit=size * 2).hits
        lexical = [hit_from_source(self._source(searcher, a), float(s), None) for s, a in hits]
        return similar_by_meaning(self, monograph_id, self._vectors.get(monograph_id), lexical, size)

    def _other_than(self, query: tantivy.Query, monograph_id: str) -> tantivy.Query:
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, query),
                (tantivy.Occur.MustNot, tantivy.Query.term_query(self.schema, "id", monograph_id)),
            ]
        )

    # -- state ----------------------------------------------------------------

    def versions(self) -> dict[str, int]:
        """The versions read with the vectors when no commit happened since (once: the start-up check), else
        those of the last commit, read now."""
        opened, self._opened = self._opened, None
        if opened is not None and opened[0] == self._last_commit():
            return opened[1]
        self._index.reload()  # another process's commit too
        return self._indexed_versions()

    def ids(self) -> set[str]:
        return set(self.versions())

    def vector_ids(self) -> set[str]:
        return self._vectors.ids()

    def health(self) -> Any:
        return EngineHealth(
            backend=self.backend,
            ok=True,
            documents=self._index.searcher().num_docs,
            # No file path: `/health` is public, and where the server keeps its files is none of a visitor's business.
            detail={
                "storage": "disk" if self.path else "memory",
                "analysis": "tantivy french (snowball)",
                "vectors": len(self._vectors),
            },
        )

    def close(self) -> None:
        self._helper_pool.shutdown(wait=True)
        with self._write_lock:
            if self._writer is not None:
                self._writer.wait_merging_threads()
                self._writer = None
