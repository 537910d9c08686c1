"""The current search (text, facets, years, sort, page, my territory), kept in the URL so a link restores
the view.

The URL is the source of truth when it holds search parameters; otherwise the last search of
the session is restored (coming back from a practice page, or switching pages). Widgets only
call the callbacks below; each run copies the state into the widgets before drawing them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import streamlit as st

from schemas.facets import FACET_BY_NAME, FACET_NAMES, FACETS
from schemas.search import LIKE_TERRITORY_CODE, MAX_RESULT_WINDOW, SORT_LABELS, SearchMode, Sort

PAGE_SIZE = 10
YEAR_MIN = 2000
YEAR_MAX = date.today().year
MAX_PAGE = MAX_RESULT_WINDOW // PAGE_SIZE
SESSION_KEY = "current_search"
UNDERSTOOD_KEY = "understood_search"
# Facets whose values may all be required (`Facet.mode_field`, e.g. `actor_mode=all`: an alliance).
MODE_FIELDS = {f.name: f.mode_field for f in FACETS if f.mode_field}
# `like_territory` ("Mon territoire") ranks the results; only `/search` takes it, not exports or feeds.
LIKE_TERRITORY = "like_territory"
# `mode=lexical`: the words only ("Mots exacts uniquement"); by default the search finds by meaning too.
SEARCH_MODE = "mode"
URL_PARAMS = (
    "q",
    *FACET_NAMES,
    *MODE_FIELDS.values(),
    "year_from",
    "year_to",
    "sort",
    "page",
    LIKE_TERRITORY,
    SEARCH_MODE,
)
MISSING = object()


@dataclass(frozen=True)
class SearchState:
    q: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {name: () for name in FACET_NAMES})
    year_from: int | None = None
    year_to: int | None = None
    sort: str = Sort.RELEVANCE.value
    page: int = 1
    # Facets (names) whose selected values must all be present rather than any of them.
    all_of: frozenset[str] = frozenset()
    # "Mon territoire": a commune or EPCI code; practices from territories like it come first.
    like_territory: str = ""
    # The words only, not their meaning (`mode=lexical`).
    words_only: bool = False

    @classmethod
    def from_params(cls, get_all: Callable[[str], list[str]]) -> SearchState:
        """Read a query string leniently: unknown values are dropped, never an error page."""
        filters = {}
        for name in FACET_NAMES:
            allowed = list(FACET_BY_NAME[name].values)
            chosen = [v for v in get_all(name) if v in allowed]
            filters[name] = tuple(sorted(set(chosen), key=allowed.index))
        year_from = _year(get_all("year_from"))
        year_to = _year(get_all("year_to"))
        if year_from is not None and year_to is not None and year_from > year_to:
            year_from, year_to = year_to, year_from
        sort = _last(get_all("sort"))
        like = (_last(get_all(LIKE_TERRITORY)) or "").strip().upper()
        return cls(
            q=(_last(get_all("q")) or "").strip()[:500],
            filters=filters,
            year_from=None if year_from is None or year_from <= YEAR_MIN else year_from,
            year_to=None if year_to is None or year_to >= YEAR_MAX else year_to,
            sort=sort if sort in SORT_LABELS else Sort.RELEVANCE.value,
            page=min(max(_int(get_all("page")) or 1, 1), MAX_PAGE),
            all_of=frozenset(name for name, mode in MODE_FIELDS.items() if _last(get_all(mode)) == "all"),
            like_territory=like if LIKE_TERRITORY_CODE.match(like) else "",
            words_only=_last(get_all(SEARCH_MODE)) == SearchMode.LEXICAL,
        )

    def to_params(self) -> dict[str, str | list[str]]:
        """The query string of this view, without defaults, so links stay short."""
        params: dict[str, str | list[str]] = {}
        if self.q:
            params["q"] = self.q
        for name in FACET_NAMES:
            if self.filters[name]:
                params[name] = list(self.filters[name])
            if name in self.all_of:
                params[MODE_FIELDS[name]] = "all"
        if self.year_from is not None:
            params["year_from"] = str(self.year_from)
        if self.year_to is not None:
            params["year_to"] = str(self.year_to)
        if self.sort != Sort.RELEVANCE:
            params["sort"] = self.sort
        if self.page != 1:
            params["page"] = str(self.page)
        if self.like_territory:
            params[LIKE_TERRITORY] = self.like_territory
        if self.words_only:
            params[SEARCH_MODE] = SearchMode.LEXICAL.value
        return params

    def api_params(self, size: int = PAGE_SIZE, paged: bool = True) -> list[tuple[str, str]]:
        """The same view as `/export`, `/search/stats` or feed parameters (the filters: my territory only ranks)."""
        pairs = [
            (name, value)
            for name, values in self.to_params().items()
            if name not in ("page", LIKE_TERRITORY)
            for value in ([values] if isinstance(values, str) else values)
        ]
        if paged:
            pairs += [("page", str(self.page)), ("size", str(size))]
        return pairs

    def search_params(self, size: int = PAGE_SIZE) -> list[tuple[str, str]]:
        """The view as `/search` parameters: `api_params` and my territory."""
        like = [(LIKE_TERRITORY, self.like_territory)] if self.like_territory else []
        return self.api_params(size) + like

    @property
    def active_filters(self) -> list[tuple[str, str]]:
        return [(name, value) for name in FACET_NAMES for value in self.filters[name]]

    @property
    def has_years(self) -> bool:
        return self.year_from is not None or self.year_to is not None

    @property
    def has_filters(self) -> bool:
        return bool(self.active_filters) or self.has_years

    def with_changes(self, **changes: Any) -> SearchState:
        """A copy with some fields changed; any change but the page itself goes back to page 1."""
        changes.setdefault("page", 1)
        return dataclasses.replace(self, **changes)

    def toggled(self, facet: str, value: str) -> SearchState:
        return self.choosing(facet, set(self.filters[facet]) ^ {value})

    def choosing(self, facet: str, values: Iterable[str]) -> SearchState:
        """A copy where `facet` holds `values` (unknown ones dropped), in the referential's order."""
        allowed = list(FACET_BY_NAME[facet].values)
        chosen = sorted(set(values) & set(allowed), key=allowed.index)
        return self.with_changes(filters={**self.filters, facet: tuple(chosen)})


def _last(values: list[str]) -> str | None:
    return values[-1] if values else None


def _int(values: list[str]) -> int | None:
    value = _last(values)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _year(values: list[str]) -> int | None:
    year = _int(values)
    return year if year is not None and 1950 <= year <= 2100 else None


def current() -> SearchState:
    """The search shown by this run: from the URL if it holds one, else the session's last one."""
    if any(name in st.query_params for name in URL_PARAMS):
        return SearchState.from_params(st.query_params.get_all)
    remembered = st.session_state.get(SESSION_KEY)
    return remembered if isinstance(remembered, SearchState) else SearchState()


def remember(state: SearchState) -> None:
    """Make `state` the current search, in the session and in the URL (a shareable link)."""
    st.session_state[SESSION_KEY] = state
    wanted = {name: [v] if isinstance(v, str) else v for name, v in state.to_params().items()}
    # Rewritten only when different: a hand-edited link then shows in its clean form.
    if set(st.query_params) != set(wanted) or any(st.query_params.get_all(k) != v for k, v in wanted.items()):
        st.query_params.from_dict(state.to_params())


# The page the last run drew, and whether this run draws another one (`note_page`).
PAGE_KEY, NEW_PAGE_KEY = "_impact_page", "_impact_new_page"


def note_page(page: str) -> None:
    """Record the page this run draws (before it draws): `sync_widget` then knows whether it changed."""
    st.session_state[NEW_PAGE_KEY] = st.session_state.get(PAGE_KEY) != page
    st.session_state[PAGE_KEY] = page


def sync_widget(key: str, value: Any) -> None:
    """Show `value` in the widget `key` (before it is drawn), touching the session only on change, or always on
    another page than the last run's: the pages share their controls' keys, but Streamlit keeps a widget's value per
    page, so a control drawn anew on another page showed its default (an empty box under a search counted with
    words) and ignored a first click, unless its key was written again."""
    if st.session_state.get(NEW_PAGE_KEY, False) or st.session_state.get(key, MISSING) != value:
        st.session_state[key] = value


# Widget callbacks: each reads its widget, changes one field, and makes the result current.


def on_query_change() -> None:
    remember(current().with_changes(q=str(st.session_state.get("search_q", "")).strip()[:500]))


def on_facet_toggle(facet: str, value: str) -> None:
    remember(current().toggled(facet, value))


def on_facet_choice(facet: str, key: str) -> None:
    """A list of values chosen at once (a long facet's searchable list)."""
    remember(current().choosing(facet, st.session_state.get(key) or ()))


def on_years_change() -> None:
    low, high = st.session_state.get("search_years", (YEAR_MIN, YEAR_MAX))
    remember(
        current().with_changes(
            year_from=None if low <= YEAR_MIN else int(low), year_to=None if high >= YEAR_MAX else int(high)
        )
    )


def on_all_of_change(facet: str, key: str) -> None:
    """The "every one of them" switch of a facet with a mode (an alliance of actor categories)."""
    search = current()
    chosen = search.all_of | {facet} if st.session_state.get(key) else search.all_of - {facet}
    remember(search.with_changes(all_of=frozenset(chosen)))


def on_words_only_change() -> None:
    remember(current().with_changes(words_only=bool(st.session_state.get("search_words_only"))))


def on_sort_change() -> None:
    remember(current().with_changes(sort=st.session_state.get("search_sort", Sort.RELEVANCE.value)))


def go_to_page(page: int) -> None:
    remember(current().with_changes(page=min(max(page, 1), MAX_PAGE)))


def clear_years() -> None:
    remember(current().with_changes(year_from=None, year_to=None))


def clear_filters() -> None:
    search = current()
    remember(SearchState(q=search.q, sort=search.sort, like_territory=search.like_territory))


def search_for(words: str) -> None:
    """A new search for `words`, without filters (a suggested theme), still ranked by my territory."""
    remember(SearchState(q=words, like_territory=current().like_territory))


def search_instead(words: str) -> None:
    """The same search (filters, sort, territory) with other words: a corrected spelling."""
    remember(current().with_changes(q=words))


def as_understood(typed: SearchState, understood: Mapping[str, Any]) -> SearchState:
    """The search the API read (`understood`: words typed as filters, « ODD 13 »), made current: its words
    left and the ODD it named selected, so the filters show them and remove them; the search as typed kept
    for `search_words_as_typed`."""
    odd = {*typed.filters["odd"], *(str(n) for n in understood["odd"])}
    read = typed.choosing("odd", odd).with_changes(q=understood["q"], page=typed.page)
    remember(read)
    st.session_state[UNDERSTOOD_KEY] = (read, typed, understood)
    return read


def understood_now() -> tuple[SearchState, Mapping[str, Any]] | None:
    """The search as typed and what was read from it, while the search read is the current one."""
    kept = st.session_state.get(UNDERSTOOD_KEY)
    if kept is None or kept[0] != current():
        return None
    return kept[1], kept[2]


def search_words_as_typed(typed: SearchState, literal: str) -> None:
    """The search as typed, its words read as filters quoted instead: searched in the text."""
    st.session_state.pop(UNDERSTOOD_KEY, None)
    remember(typed.with_changes(q=literal))


def clear_query() -> None:
    remember(current().with_changes(q=""))
