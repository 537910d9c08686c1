"""One search pipeline for every engine: parse the text, choose the passes (every word, then any
word), count the facets, build hits with highlights. An engine only executes one pass
(`Executor.execute`): it turns a `SearchPlan` into its own request and returns what it found.

Hybrid search (`mode=hybrid`, an engine with vectors): the query's vector finds the closest practices
(`nearest`, whatever the filters, so ticking a facet value gives exactly its count); one pass matches
the words *or* those practices under the filters, so the total and the facet counts are exact for what
is shown; its first hits and the closest passing the filters are ranked by a linear blend of their text
score and their cosine similarity (`blend`; the cosines of word matches asked of the engine), and the
page's sources fetched by id.

The pipeline is written once as generators that yield each engine call they need (`Call`) and receive
its answer: `drive` answers with the engine's blocking methods, `drive_async` with an engine's awaitable
ones (`AsyncExecutor`: Elasticsearch's asynchronous client, so a search waits on the network in the event
loop instead of a worker thread). CPU work of its own (embedding the query) is yielded too (`Work`): done in
place by `drive`, in a worker thread by `drive_async`, so the event loop stays free.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol, TypeVar

import anyio

from indexer.embedder import Vector
from indexer.engine import time_left
from indexer.facets import Buckets, build_facets, written_facets, year_counts
from indexer.french import FrenchStemmer
from indexer.highlight import Highlighter, build_highlighter
from indexer.hits import hit_from_source, written_hits
from indexer.like_territory import Boost, likeness_boosts
from indexer.query import ParsedQuery, Synonyms, parse_query, tolerant_stems
from indexer.relevance import (
    EVIDENCE_HITS,
    FULL_TEXT_EVIDENCE,
    GRADED_FROM,
    HYBRID_CANDIDATES,
    HYBRID_DENSE_WEIGHT,
    HYBRID_TEXT_WEIGHT,
    HYBRID_WINDOW,
    RRF_K,
)
from indexer.spelling import corrected_query
from indexer.vectors import Semantic
from schemas.facets import FACETS, YEAR, Facet
from schemas.search import FacetValue, SearchFilters, SearchHit, SearchMode, SearchQuery, SearchResult, Sort


@dataclass(frozen=True)
class SearchPlan:
    """One pass of a search, engine-neutral: the query, its parsed text and whether any word may match."""

    query: SearchQuery
    parsed: ParsedQuery
    relaxed: bool
    # Hybrid: these practices match too, whatever their words (their text score, if any, still counts).
    dense: tuple[str, ...] = ()
    # Hits carry only their id (`{"id": …}`): the pipeline fetches the sources of the page it keeps.
    ids_only: bool = False

    @property
    def sort(self) -> Sort:
        """Relevance without words (nor a territory to be like) ties every score: the newest practices
        come first instead."""
        if self.query.sort == Sort.RELEVANCE and self.parsed.is_empty and self.query.like is None:
            return Sort.RECENT
        return self.query.sort

    @property
    def scored(self) -> bool:
        """Whether hits carry a relevance score (words or a territory to be like, sorted by relevance)."""
        return self.sort == Sort.RELEVANCE

    @property
    def boosts(self) -> list[Boost]:
        """Optional clauses added to the text query: "territories like mine" (nothing filtered out)."""
        return likeness_boosts(self.query.like) if self.query.like is not None else []

    def counted(self) -> list[tuple[Facet, SearchFilters]]:
        """The facets to count, each with the filters its counts apply.

        Disjunctive facets: a facet with a selection of its own is counted under every other filter
        (ticking a value never hides its siblings); one without, under all the filters. A facet whose
        values must all be present (`actor_mode=all`) is counted under all the filters: each value's
        count is what adding it would give. Start years, when asked, are counted under every filter.
        """
        filters = self.query.filters
        counted = []
        if self.query.facets:
            counted = [
                (f, filters.without(f.name) if filters.selected(f.name) and not filters.requires_all(f) else filters)
                for f in FACETS
            ]
        if self.query.year_counts:
            counted.append((YEAR, filters))
        return counted


@dataclass
class RawSearch:
    """What an engine found for one pass: the total, the page's display sources with their scores,
    and each counted facet's buckets (plus the names of facets that had more values than asked)."""

    total: int
    hits: list[tuple[Mapping[str, Any], float | None]]
    buckets: dict[str, Buckets] = field(default_factory=dict)
    truncated: set[str] = field(default_factory=set)
    # Facet counts still being made (the embedded engine counts them in a helper thread while the page's hits
    # are built): `counted` waits for them and fills `buckets` and `truncated`.
    pending: Callable[[RawSearch], None] | None = field(default=None, compare=False, repr=False)

    def counted(self) -> RawSearch:
        """This answer with its facet counts, once those still being made are done."""
        if self.pending is not None:
            finish, self.pending = self.pending, None
            finish(self)
        return self


T = TypeVar("T")
# Query texts whose parse is kept (`_parsed`): a few hundred bytes each.
PARSES_KEPT = 1024


@dataclass(frozen=True)
class Call:
    """One engine call a search needs: an `Executor` method's name and its arguments."""

    method: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Work:
    """Blocking work a search needs besides the engine's calls (embedding the query): `fn(*args)`."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


# A part of the pipeline: yields the engine calls (and work) it needs, is sent their answers, returns its result.
Steps = Generator[Call | Work, Any, T]


class Executor(Protocol):
    semantic: Semantic | None

    def execute(self, plan: SearchPlan) -> RawSearch:
        """Run one pass; check `plan.query.deadline` before each call (`time_left`).

        :raises EngineUnavailable: the engine cannot be reached.
        :raises SearchTimeout: the deadline passed.
        """
        ...

    def nearest(
        self, vector: Vector, filters: SearchFilters, k: int, deadline: float | None = None
    ) -> list[tuple[str, float]]: ...

    def similarities(self, vector: Vector, ids: Sequence[str], deadline: float | None = None) -> dict[str, float]: ...

    def fetch(self, ids: Sequence[str], deadline: float | None = None) -> list[Mapping[str, Any]]: ...

    def known_stems(self, stems: Sequence[str], deadline: float | None = None) -> frozenset[str]:
        """Those of `stems` the index knows well (`indexer/relevance.py typed_as_meant`): no typo
        tolerance for them. Bounded: document frequencies, never the postings."""
        ...


class AsyncExecutor(Protocol):
    async def call_async(self, method: str, *args: Any) -> Any:
        """`getattr(self, method)(*args)`, awaited instead of blocking."""
        ...


async def driven(
    steps: Generator[Any, Any, T],
    perform: Callable[[Any], Awaitable[Any]],
    thrown: tuple[type[BaseException], ...] = (),
) -> T:
    """Runs `steps` (a generator yielding what it needs done): each thing it yields done by `perform`, the
    answer sent back, or the error thrown in when it is one of `thrown` (others propagate)."""
    answer: Any = None
    error: BaseException | None = None
    while True:
        try:
            call = steps.throw(error) if error is not None else steps.send(answer)
        except StopIteration as done:
            return done.value
        answer, error = None, None
        # Outside that `try`: a StopIteration escaping `perform` is an error, not the end of the steps.
        try:
            answer = await perform(call)
        except thrown as exc:
            error = exc


def completed(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never waits (`driven` with blocking calls): one step runs it."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("blocking steps waited on an event loop")


def drive(engine: Executor, steps: Steps[T]) -> T:
    """Runs `steps`, answering each call with `engine`'s blocking method (and doing its work in place)."""

    async def blocking(call: Call | Work) -> Any:
        return call.fn(*call.args) if isinstance(call, Work) else getattr(engine, call.method)(*call.args)

    return completed(driven(steps, blocking))


async def drive_async(engine: AsyncExecutor, steps: Steps[T]) -> T:
    """Runs `steps`, awaiting each call's answer from `engine` and its work from a worker thread (the event
    loop is free meanwhile)."""

    async def awaited(call: Call | Work) -> Any:
        if isinstance(call, Work):
            return await anyio.to_thread.run_sync(call.fn, *call.args)
        return await engine.call_async(call.method, *call.args)

    return await driven(steps, awaited)


def with_known_words(parsed: ParsedQuery, stems: Sequence[str], deadline: float | None) -> Steps[ParsedQuery]:
    """`parsed` with those of `stems` (its `tolerant_words`) the index knows well (one engine call, only when typo
    tolerance would apply to a word)."""
    known = (yield Call("known_stems", (stems, deadline))) if stems else frozenset()
    return replace(parsed, known=known) if known else parsed


def tolerant_words(parsed: ParsedQuery, stemmer: FrenchStemmer) -> tuple[str, ...]:
    """The stems of `parsed`'s typed words that typo tolerance may apply to, sorted."""
    return tuple(sorted({stem for stem, _ in tolerant_stems(parsed, stemmer.word)}))


@lru_cache(maxsize=PARSES_KEPT)
def _parsed(text: str, synonyms: Synonyms, stemmer: FrenchStemmer) -> tuple[ParsedQuery, tuple[str, ...]]:
    """`text` parsed, with its `tolerant_words`: the same for every search of these words (both immutable), kept
    for the last `PARSES_KEPT` texts (on real calls parsing took about 0.05 ms of a search:
    benchmarks/results/perf-20261205-session32.md)."""
    parsed = parse_query(text, synonyms)
    return parsed, tolerant_words(parsed, stemmer)


def planned(query: SearchQuery, synonyms: Synonyms, stemmer: FrenchStemmer) -> Steps[SearchPlan]:
    """The first pass of `query`: its words parsed, those the index knows well marked."""
    parsed, stems = _parsed(query.q, synonyms, stemmer)
    return first_plan(query, (yield from with_known_words(parsed, stems, query.deadline)))


def plan_search(engine: Executor, query: SearchQuery, synonyms: Synonyms, stemmer: FrenchStemmer) -> SearchPlan:
    """The first pass of `query` on `engine`."""
    return drive(engine, planned(query, synonyms, stemmer))


def first_plan(query: SearchQuery, parsed: ParsedQuery) -> SearchPlan:
    """The first pass of a search: every word required, or graded for `GRADED_FROM` clauses and more."""
    return SearchPlan(query, parsed, relaxed=len(parsed.clauses) >= GRADED_FROM)


def run_search(engine: Executor, query: SearchQuery, synonyms: Synonyms, stemmer: FrenchStemmer) -> SearchResult:
    """`searched`, with the engine's blocking calls."""
    return drive(engine, searched(engine.semantic, query, synonyms, stemmer))


def searched(
    semantic: Semantic | None, query: SearchQuery, synonyms: Synonyms, stemmer: FrenchStemmer
) -> Steps[SearchResult]:
    """A query of one or two clauses requires every word, then, when no practice has them all, any of
    them; a longer one is graded at once (any word, more words first). Quoted phrases are always
    required. The answer says `relaxed` when its practices need not have every word. `semantic`: the
    engine's, for hybrid search."""
    time_left(query.deadline)
    plan = yield from planned(query, synonyms, stemmer)
    parsed = plan.parsed
    meaning = yield from _nearest(semantic, plan)
    if meaning is not None and plan.sort != Sort.RELEVANCE:
        # Sorted otherwise, the same practices in the engine's order: the blend of scores has nothing to rank.
        plan = SearchPlan(query, parsed, relaxed=plan.relaxed, dense=meaning.dense)
    elif meaning is not None:
        hybrid = SearchPlan(query, parsed, relaxed=plan.relaxed, dense=meaning.dense, ids_only=True)
        return (yield from _hybrid_search(hybrid, meaning, stemmer))
    raw = yield Call("execute", (plan,))
    if plan.dense and not plan.relaxed and len(parsed.clauses) > 1 and not (yield from _holds_every_word(plan, raw)):
        # As sorted by relevance: any word once no practice holds them all, beside those close in meaning.
        raw.counted()
        plan = SearchPlan(query, parsed, relaxed=True, dense=plan.dense)
        raw = yield Call("execute", (plan,))
    elif not raw.total and not plan.relaxed and len(parsed.clauses) > 1:
        raw.counted()  # not needed, but its helper is busy until then: its counts are waited for, not left running
        plan = SearchPlan(query, parsed, relaxed=True)
        raw = yield Call("execute", (plan,))
    with counted_on_error(raw):
        highlighter = build_highlighter(parsed, stemmer) if query.highlight else None
        scored = plan.scored
        page = [(source, score if scored else None) for source, score in raw.hits[: query.size]]
        return (yield from _result(plan, raw, _page(query, page, highlighter), [s for s, _ in raw.hits], stemmer))


@dataclass(frozen=True)
class Page:
    """A search's page of hits: as models, or written as the answer's JSON (`SearchQuery.as_json_for`)."""

    hits: list[SearchHit]
    written: bytes | None = None


def _page(
    query: SearchQuery, hits: Sequence[tuple[Mapping[str, Any], float | None]], highlighter: Highlighter | None
) -> Page:
    """The page's hits from their sources and scores, highlighted, each saying why its territory is like the
    query's (`like`)."""
    if query.as_json_for is not None:
        return Page([], written_hits(hits, highlighter, query.like, query.as_json_for))
    return Page([hit_from_source(source, score, highlighter, query.like) for source, score in hits])


@contextmanager
def counted_on_error(raw: RawSearch) -> Iterator[None]:
    """When the search fails before `raw.counted()` (its deadline, an engine call, a bug), the facet counts still
    being made are waited for all the same: their helper thread's CPU time is the search's, and the engine calls'
    costs decide where searches run (`api/engine_calls.py`)."""
    try:
        yield
    except BaseException:
        with suppress(Exception):
            raw.counted()
        raise


def _result(
    plan: SearchPlan,
    raw: RawSearch,
    page: Page,
    sources: list[Mapping[str, Any]],
    stemmer: FrenchStemmer,
) -> Steps[SearchResult]:
    """The answer of a pass: its page of hits, facets, corrected words."""
    query, parsed = plan.query, plan.parsed
    corrected = corrected_query(query.q, parsed, iter(sources), stemmer) if plan.scored else None
    total_without_filters = (yield from _total_without_filters(plan)) if not raw.total else None
    # Last: the page's hits, their reasons, the corrected words and the count without filters were made while
    # the facets were counted.
    raw.counted()
    facets: dict[str, list[FacetValue]] = {}
    facets_json = None
    if query.as_json_for is not None:
        facets_json = written_facets(raw.buckets, query.filters, query.facets, query.year_counts)
    else:
        facets = build_facets(raw.buckets, query.filters) if query.facets else {}
        if query.year_counts:
            facets[YEAR.name] = year_counts(raw.buckets.get(YEAR.name, {}))
    return SearchResult.model_construct(
        total=raw.total,
        hits=page.hits,
        hits_json=page.written,
        facets=facets,
        facets_json=facets_json,
        relaxed=plan.relaxed,
        truncated_facets=sorted(raw.truncated),
        corrected_query=corrected,
        total_without_filters=total_without_filters,
        like_territory=query.like,
        understood=query.understood,
        mode=SearchMode.HYBRID if plan.dense else SearchMode.LEXICAL,
    )


@dataclass(frozen=True)
class Meaning:
    """What the query's vector found: the practices closest to it (above the embedder's floor) among
    all, closest first; those of them passing the filters; each one's cosine similarity; and the
    similarity the blend counts meaning from (the embedder's `meaning_origin`)."""

    vector: Vector
    dense: tuple[str, ...]
    shown: tuple[str, ...]
    similarity: dict[str, float]
    origin: float


def _nearest(semantic: Semantic | None, plan: SearchPlan) -> Steps[Meaning | None]:
    """Hybrid: the practices closest to the words' meaning.

    None (a lexical search) unless hybrid was asked, the engine has vectors and the query has words, or when no
    practice is close enough; and for words holding a quoted phrase, which the user asked for as written (a practice
    close in meaning would not hold it). Whatever the sort: « Plus récentes » and the feeds list the practices the
    search by relevance finds (they listed those holding the words only: 5 of 21 for « maison de santé »).
    """
    query = plan.query
    if query.mode != SearchMode.HYBRID or semantic is None or plan.parsed.is_empty:
        return None
    if any(clause.exact for clause in plan.parsed.clauses):
        return None
    time_left(query.deadline)
    vector = yield Work(semantic.query_vector, (query.q,))
    floor = semantic.embedder.min_similarity
    # Among every practice, not under the filters: the same practices join whatever is ticked, so each
    # facet value's count is exactly what ticking it gives (disjunctive counts stay true), and the
    # pass applies the filters to them like to the words' matches.
    among_all = yield Call("nearest", (vector, SearchFilters(), HYBRID_CANDIDATES, query.deadline))
    nearest = [(i, s) for i, s in among_all if s >= floor]
    if not nearest:
        return None
    dense = tuple(i for i, _ in nearest)
    shown = dense
    if query.filters.model_dump(exclude_defaults=True):
        # Which of them pass the filters: each one's rank under them is at most its rank among all, so
        # the same number of closest under the filters holds every one that does.
        passing = {i for i, _ in (yield Call("nearest", (vector, query.filters, HYBRID_CANDIDATES, query.deadline)))}
        shown = tuple(i for i in dense if i in passing)
    return Meaning(vector, dense, shown, dict(nearest), semantic.embedder.meaning_origin)


def blend(
    lexical: Sequence[tuple[str, float]],
    similarity: Mapping[str, float],
    shown: Sequence[str],
    origin: float,
    evidence: float = 1.0,
) -> list[tuple[str, float]]:
    """A linear blend of the text and meaning scores of the words' matches and the closest practices:
    text weight × text score / the best one + the rest × (cosine − `origin`) / (the best − `origin`)
    (never below 0; a practice without a score on one side gets 0 there), best first; ties keep the
    text's order. The text weight is `HYBRID_TEXT_WEIGHT` when the words' best matches have most of the
    query's words (`evidence`, the share of them, from `FULL_TEXT_EVIDENCE` up), less when they share only
    a few: one common word of a need (« anciens » in « garder nos anciens chez eux ») is weak evidence. A word
    match without a vector yet counts its text score on both sides."""
    candidates = list(dict.fromkeys([i for i, _ in lexical] + list(shown)))
    best_text = max((score for _, score in lexical), default=0.0)
    text = {i: score / best_text for i, score in lexical} if best_text > 0 else {}
    cosines = [similarity[i] for i in candidates if i in similarity]
    span = max(cosines, default=origin) - origin
    meaning = {i: max(0.0, (similarity[i] - origin) / span) for i in candidates if i in similarity} if span > 0 else {}
    # A word match without a vector (published moments ago: the embedding worker computes it within seconds) is
    # judged by its words alone: its text score stands for its meaning too, rather than 0 putting it last.
    meaning |= {i: score for i, score in text.items() if i not in similarity}
    weight = HYBRID_TEXT_WEIGHT * min(1.0, evidence / FULL_TEXT_EVIDENCE)
    scores = [(i, weight * text.get(i, 0.0) + (1.0 - weight) * meaning.get(i, 0.0)) for i in candidates]
    return sorted(scores, key=lambda item: -item[1])


def text_evidence(parsed: ParsedQuery, sources: Iterable[Mapping[str, Any]], stemmer: FrenchStemmer) -> float:
    """The largest share of the query's words (clauses; question words aside) one of these practices has
    in its title, summary or tags, by our French analysis: any of a clause's alternatives, all its words,
    the last word typed as a prefix too. Typo matches do not count (they are weak evidence as well)."""
    clauses = [c for c in parsed.clauses if not c.is_question_word]
    if not clauses:
        return 1.0
    wanted = [
        (c.prefix, [[stemmer.text(term) for term, _ in phrase.terms] for phrase in c.alternatives]) for c in clauses
    ]
    best = 0
    for source in sources:
        text = " ".join([str(source.get("title") or ""), str(source.get("summary") or ""), *(source.get("tags") or [])])
        stems = set(stemmer.text(text).split())
        matched = sum(
            any(all(_has(stems, stem, prefix) for stem in stems_ if stem) for stems_ in alternatives)
            for prefix, alternatives in wanted
        )
        best = max(best, matched)
    return best / len(clauses)


def _has(stems: set[str], stem: str, prefix: bool) -> bool:
    return stem in stems or (prefix and any(s.startswith(stem) for s in stems))


def fuse(lexical: Sequence[str], dense: Sequence[str]) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of two rankings (best first), the fused score of each id, best first;
    ties keep the lexical order, then the dense one."""
    scores: dict[str, float] = {}
    for rank, monograph_id in enumerate(lexical, start=1):
        scores[monograph_id] = 1.0 / (RRF_K + rank)
    for rank, monograph_id in enumerate(dense, start=1):
        scores[monograph_id] = scores.get(monograph_id, 0.0) + HYBRID_DENSE_WEIGHT / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def similar_by_meaning(
    engine: Executor, monograph_id: str, vector: Vector | None, lexical: list[SearchHit], size: int
) -> list[SearchHit]:
    """ "Similar practices": the engine's word-based ones fused with the closest vectors to the practice's
    own (none: the word-based ones as they are)."""
    if vector is None or engine.semantic is None:
        return lexical[:size]
    dense = [i for i, _ in engine.nearest(vector, SearchFilters(), size + 1) if i != monograph_id]
    fused = fuse([hit.id for hit in lexical], dense)[:size]
    known = {hit.id: hit for hit in lexical}
    fetched = drive(engine, _fetched([i for i, _ in fused if i not in known], None))
    hits = []
    for monograph_id_, score in fused:
        hit = known.get(monograph_id_) or (
            hit_from_source(fetched[monograph_id_], None, None) if monograph_id_ in fetched else None
        )
        if hit is not None:
            hit.score = score
            hits.append(hit)
    return hits


def _hybrid_search(plan: SearchPlan, meaning: Meaning, stemmer: FrenchStemmer) -> Steps[SearchResult]:
    """One pass matching the words or the nearest practices, the words as in a lexical search (one or two
    required, then any of them when no practice has them all; longer queries graded); its first
    `HYBRID_WINDOW` hits by their text blended with their meaning (their cosines asked of the engine) and with
    the nearest passing the filters; the page's sources fetched by id."""
    query = plan.query
    window = query.model_copy(update={"page": 1, "size": max(HYBRID_WINDOW, query.offset + query.size)})
    raw = yield Call("execute", (SearchPlan(window, plan.parsed, plan.relaxed, plan.dense, True),))
    if not plan.relaxed and len(plan.parsed.clauses) > 1 and not (yield from _holds_every_word(plan, raw)):
        # No practice has every word: any of them, as lexically.
        raw.counted()  # its helper is busy until then: its counts are waited for, not left running
        plan = SearchPlan(query, plan.parsed, True, plan.dense, True)
        raw = yield Call("execute", (SearchPlan(window, plan.parsed, True, plan.dense, True),))
    with counted_on_error(raw):
        return (yield from _blended(plan, raw, meaning, stemmer))


def _holds_every_word(plan: SearchPlan, raw: RawSearch) -> Steps[bool]:
    """Whether a practice holds every word, whatever the filters: one hit under them scored by its text (those
    matched by meaning alone score 0), else one count of the words alone, without the filters (nor "territories like
    mine", which scores every practice). Decided without the filters, ticking a facet value never widens the search
    to any word: each value's count is what ticking it gives, even one counted with practices matched by meaning
    alone (« mobilité rurale », one practice of a region, four once ticked)."""
    # Sorted otherwise, a hit's "score" is its sort key (the embedded engine's year or date), not its text's.
    if plan.scored and plan.query.like is None and any(score for _, score in raw.hits):
        return True
    update = {"like": None, "filters": SearchFilters(), "page": 1, "size": 0, "facets": False, "year_counts": False}
    return bool((yield Call("execute", (SearchPlan(plan.query.model_copy(update=update), plan.parsed, False),))).total)


def _blended(plan: SearchPlan, raw: RawSearch, meaning: Meaning, stemmer: FrenchStemmer) -> Steps[SearchResult]:
    """The hybrid pass's page: its word matches' scores blended with their cosines, then the answer."""
    query = plan.query
    # A practice matched only by meaning scores 0 on the text (unless "territories like mine" ranks it).
    lexical = [(str(source["id"]), float(score)) for source, score in raw.hits if score]
    unknown = [i for i, _ in lexical if i not in meaning.similarity]
    similarity = {**meaning.similarity, **(yield Call("similarities", (meaning.vector, unknown, query.deadline)))}
    best_matches = [i for i, _ in lexical[:EVIDENCE_HITS]]
    fetched = yield from _fetched(best_matches, query.deadline)
    evidence = text_evidence(plan.parsed, fetched.values(), stemmer)
    blended = blend(lexical, similarity, meaning.shown, meaning.origin, evidence)
    fused = blended[query.offset : query.offset + query.size]
    fetched |= yield from _fetched([i for i, _ in fused if i not in fetched], query.deadline)
    sources = [fetched[i] for i, _ in fused if i in fetched]
    scores = dict(fused)
    highlighter = build_highlighter(plan.parsed, stemmer) if query.highlight else None
    page = _page(query, [(source, scores[str(source["id"])]) for source in sources], highlighter)
    return (yield from _result(plan, raw, page, sources, stemmer))


def _fetched(ids: Sequence[str], deadline: float | None) -> Steps[dict[str, Mapping[str, Any]]]:
    """The sources of these practices by id (no call for none)."""
    return {str(s["id"]): s for s in (yield Call("fetch", (ids, deadline)))} if ids else {}


def _total_without_filters(plan: SearchPlan) -> Steps[int | None]:
    """Nothing matched under filters: how many practices the same search matches without them (one count, no hits):
    the words, and in a hybrid search the practices closest in meaning too."""
    if not plan.query.filters.model_dump(exclude_defaults=True):
        return None
    query = plan.query.model_copy(update={"filters": SearchFilters(), "size": 0, "facets": False, "year_counts": False})
    return (yield Call("execute", (SearchPlan(query, plan.parsed, plan.relaxed, plan.dense),))).total
