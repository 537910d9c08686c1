"""What an embedded results list shows, from one search: hits, facet toggles, pages and theme."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from markupsafe import Markup, escape

from api.embed.html import marked
from schemas.api import EmbedTheme
from schemas.facets import FACET_BY_NAME, FACET_NAMES, FACETS
from schemas.referentials import ACTOR_CATEGORY_LABELS, ODD_BY_NUMBER, ODD_LIST, TERRITORY_TYPE_LABELS
from schemas.search import MAX_RESULT_WINDOW, SearchHit, SearchMode, SearchParams, SearchResult
from schemas.understood import Understood
from territories.choropleth import MapEntry

# Facet values shown before the rest fold under « Afficher plus ».
VISIBLE_VALUES = 8
DARK_TEXT = "#1A1A1A"


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two #RRGGBB colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def theme_css(theme: EmbedTheme) -> str:
    """The page's variable part: accent colours that keep text readable (WCAG AA), ODD colours."""
    on_accent = "#FFFFFF" if contrast_ratio(theme.accent, "#FFFFFF") >= 4.5 else DARK_TEXT
    link = theme.accent if contrast_ratio(theme.accent, "#FFFFFF") >= 4.5 else DARK_TEXT
    odd = "".join(f".odd-{o.number}{{background:{o.colour};color:{o.text_colour}}}" for o in ODD_LIST)
    return f":root{{--accent:{theme.accent};--on-accent:{on_accent};--link:{link}}}{odd}"


def describe_search(params: SearchParams) -> str:
    """The search in a French sentence fragment, for headings and feed titles."""
    parts = [f"« {params.q.strip()} »"] if params.q.strip() else []
    for facet in FACETS:
        values = params.selected(facet.name)
        if values:
            parts.append((" et " if params.requires_all(facet) else " ou ").join(facet.label(v) for v in values))
    if params.year_from and params.year_to:
        parts.append(f"de {params.year_from} à {params.year_to}")
    elif params.year_from:
        parts.append(f"depuis {params.year_from}")
    elif params.year_to:
        parts.append(f"jusqu'en {params.year_to}")
    return ", ".join(parts) or "toutes les pratiques"


@dataclass
class Links:
    """Links within the embed: the visitor's current choices with one change, page reset to 1."""

    state: dict[str, list[str]]

    def href(self, **changes: list[str]) -> str:
        merged = {k: v for k, v in (self.state | changes).items() if v}
        return "?" + urlencode([(k, v) for k, values in merged.items() for v in values])

    def toggle(self, facet: str, value: str) -> str:
        current = self.state.get(facet, [])
        toggled = [v for v in current if v != value] if value in current else [*current, value]
        return self.href(**{facet: toggled, "page": []})

    def page(self, number: int) -> str:
        return self.href(page=[str(number)] if number > 1 else [])

    def as_understood(self, read: Understood) -> Links:
        """The links of the search as it was read: the words left, the ODD the words named selected (so that
        removing them is a click on the filter, not words that would name them again)."""
        odd = self.state.get("odd", [])
        changes = {"odd": [*odd, *(str(n) for n in read.odd if str(n) not in odd)]}
        if "q" in self.state:
            changes["q"] = [read.q] if read.q else []
        return Links(self.state | changes)

    def without_filters(self) -> str:
        """The same words and display, with every filter the visitor chose removed."""
        modes = (f.mode_field for f in FACETS if f.mode_field)
        return self.href(**{name: [] for name in (*FACET_NAMES, *modes, "year_from", "year_to", "page")})


@dataclass
class FacetLink:
    label: str
    count: int
    selected: bool
    href: str


@dataclass
class FacetGroup:
    name: str
    title: str
    values: list[FacetLink]
    more: list[FacetLink] = field(default_factory=list)


@dataclass
class HitView:
    title: Markup
    summary: Markup
    snippet: Markup | None
    url: str
    place: str
    year: int | None
    odd: list[tuple[int, str]]
    tags: list[str]
    # Why the practice's territory is like the one asked (`like_territory`), in French; empty otherwise.
    likeness: str = ""


@dataclass
class Pager:
    page: int
    pages: int
    previous: str | None
    next: str | None


@dataclass
class MapView:
    svg: Markup
    entries: list[MapEntry]


@dataclass
class EmbedView:
    heading: str
    logo: str
    total: int
    relaxed: bool
    # Ranked by the words and their meaning: practices close to the need appear even without its words.
    hybrid: bool
    # A typo corrected: the words typed (the practices shown are those they reach despite it), the corrected
    # words, and the link searching them instead.
    corrected: tuple[str, str, str] | None
    # Words read as filters (« ODD 6 »): what was typed, the filters' labels, the link searching the words instead.
    understood: tuple[str, str, str] | None
    # Nothing under the visitor's filters: how many practices the words alone match, and the link there.
    unfiltered: tuple[int, str] | None
    hits: list[HitView]
    facets: list[FacetGroup]
    pager: Pager
    target_blank: bool
    density: str
    map: MapView | None = None
    # A page past the last one (`?page=999` of 66 practices): the link back to the first page.
    first_page: str | None = None

    @property
    def filtered(self) -> bool:
        """Whether a facet value is selected (removing one could widen an empty answer)."""
        return any(value.selected for group in self.facets for value in (*group.values, *group.more))


def hit_view(hit: SearchHit, url: str) -> HitView:
    light = hit.highlight
    place = hit.territory.where()
    tags = [TERRITORY_TYPE_LABELS.get(t, t) for t in hit.territory_types]
    tags += [ACTOR_CATEGORY_LABELS.get(a, a) for a in hit.actor_categories]
    return HitView(
        title=marked(light.title) if light.title else escape(hit.title),
        summary=marked(light.summary) if light.summary else escape(hit.summary),
        snippet=marked(light.sections[0]) if light.sections else None,
        url=url,
        place=place,
        year=hit.year,
        odd=[(n, ODD_BY_NUMBER[n].title) for n in hit.odd if n in ODD_BY_NUMBER],
        tags=tags,
        likeness=", ".join(hit.similarity_reasons),
    )


def facet_groups(result: SearchResult, shown: Iterable[str], links: Links) -> list[FacetGroup]:
    groups = []
    for name in shown:
        values = [
            FacetLink(v.label, v.count, v.selected, links.toggle(name, v.value))
            for v in result.facets.get(name, [])
            if v.count or v.selected
        ]
        if values:
            groups.append(FacetGroup(name, FACET_BY_NAME[name].title, values[:VISIBLE_VALUES], values[VISIBLE_VALUES:]))
    return groups


def pager(params: SearchParams, total: int, links: Links) -> Pager:
    pages = max(1, math.ceil(min(total, MAX_RESULT_WINDOW) / params.size))
    return Pager(
        page=params.page,
        pages=pages,
        previous=links.page(min(params.page - 1, pages)) if params.page > 1 else None,
        next=links.page(params.page + 1) if params.page < pages else None,
    )


def build_view(
    params: SearchParams,
    result: SearchResult,
    theme: EmbedTheme,
    heading: str,
    shown_facets: Iterable[str],
    links: Links,
    urls: dict[str, str],
    offer_unfiltered: bool = True,
) -> EmbedView:
    """Everything the template needs; `urls` maps each hit id to its practice page. A preset's fixed
    filters are not the visitor's to remove (`offer_unfiltered=False`)."""
    unfiltered = result.total_without_filters if offer_unfiltered else None
    read, typed_links = result.understood, links
    if read is not None:
        links = links.as_understood(read)
    return EmbedView(
        heading=heading,
        logo=theme.logo,
        total=result.total,
        relaxed=result.relaxed,
        hybrid=result.mode == SearchMode.HYBRID,
        corrected=(params.q, result.corrected_query, links.href(q=[result.corrected_query], page=[]))
        if result.corrected_query
        else None,
        understood=(
            " ".join(f"« {m} »" for m in read.mentions),
            " ; ".join(read.labels()),
            typed_links.href(q=[read.literal_query()], page=[]),
        )
        if read is not None
        else None,
        unfiltered=(unfiltered, links.without_filters()) if unfiltered else None,
        hits=[hit_view(hit, urls[hit.id]) for hit in result.hits],
        facets=facet_groups(result, shown_facets, links),
        pager=pager(params, result.total, links),
        target_blank=theme.target == "blank",
        density=theme.density,
        first_page=links.page(1) if result.total and not result.hits else None,
    )
