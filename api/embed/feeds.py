"""`/feeds/search.atom` and `/feeds/search.rss`: the most recently published practices matching a search,
written by `feedgen` (lxml escapes every text; monograph text is never markup)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from markupsafe import Markup

from api.deps import EngineDep, SettingsDep, StoreDep
from api.embed import GET_AND_HEAD
from api.embed.html import error_page
from api.embed.page_view import describe_search
from api.embed.query_strings import InvalidQuery, first_problems, query_dict, query_lists, validate_query
from api.http.load_shedding import SheddingRoute
from api.published import published_matching
from api.settings import Settings, practice_url
from indexer.engine import EngineError
from schemas.monograph import Monograph
from schemas.referentials import ODD_BY_NUMBER, TERRITORY_TYPE_LABELS
from schemas.search import SearchParams, Sort

log = logging.getLogger(__name__)

router = APIRouter(route_class=SheddingRoute, prefix="/feeds", tags=["feeds"], include_in_schema=False)

Kind = Literal["atom", "rss"]
MEDIA_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml"}
SUBTITLE = "Les pratiques publiées les plus récentes qui correspondent à cette recherche."
NAME = "IMPACT-Pratiques"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Characters XML 1.0 forbids (lxml refuses them): a stray control character in a monograph must not break the feed.
_XML_FORBIDDEN = dict.fromkeys(
    [*(c for c in range(32) if c not in (9, 10, 13)), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]
)


def xml_text(text: str) -> str:
    return text.translate(_XML_FORBIDDEN)


def is_web_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class TextTitles(BaseExtension):
    """feedgen extension: Atom titles and subtitles say `type="text"`, so readers show them as written."""

    def extend_atom(self, element: Any) -> Any:
        for name in ("title", "subtitle"):
            child = element.find(name)
            if child is not None:
                child.set("type", "text")
        return element


def entry_html(monograph: Monograph, sources: list[str]) -> str:
    """The entry as HTML (the feed then escapes it once more as XML text): escaped prose, http(s) links."""
    parts = [Markup("<p>{}</p>").format(monograph.summary)]
    place = monograph.territory.where()
    parts.append(Markup("<p>{}</p>").format(place + (f" · depuis {monograph.year}" if monograph.year else "")))
    if sources:
        items = Markup("").join(Markup('<li><a href="{0}">{0}</a></li>').format(url) for url in sources)
        parts.append(Markup("<p>Sources :</p><ul>{}</ul>").format(items))
    return xml_text(str(Markup("").join(parts)))


def categories(monograph: Monograph) -> list[str]:
    labels = [TERRITORY_TYPE_LABELS.get(t, t) for t in monograph.territory_types]
    labels += [f"ODD {n} : {ODD_BY_NUMBER[n].title}" for n in monograph.odd if n in ODD_BY_NUMBER]
    if monograph.territory.region:
        labels.append(monograph.territory.region)
    return labels


class LinkedEntry(FeedEntry):
    """An entry whose Atom links keep their `rel` and `type`: feedgen 1.0.0 drops them (`FeedEntry.atom_entry`
    reads them from the element it has just made instead of the link given), so a source became a second
    `alternate` link, which Atom forbids, and readers could open the source instead of the practice."""

    LINK_ATTRIBUTES = ("rel", "type", "hreflang", "title", "length")

    def atom_entry(self, extensions: bool = True) -> Any:
        element = super().atom_entry(extensions)
        made = [child for child in element if child.tag == "link"]
        for link, given in zip(made, self.link() or [], strict=True):
            for name in self.LINK_ATTRIBUTES:
                if given.get(name):
                    link.attrib[name] = str(given[name])
        return element


def add_entry(feed: FeedGenerator, kind: Kind, monograph: Monograph, settings: Settings) -> None:
    sources = [xml_text(url) for url in monograph.sources if is_web_link(url)]
    entry = feed.add_entry(LinkedEntry(), order="append")
    entry.id(f"urn:impact-pratiques:monograph:{monograph.id}")
    entry.title(xml_text(monograph.title))
    entry.link(href=practice_url(settings, monograph.id), rel="alternate", type="text/html")
    for url in sources:
        entry.link(href=url, rel="related", type="text/html")
    entry.published(monograph.published_at or monograph.updated_at)
    entry.updated(monograph.updated_at)
    for name in [actor.name for actor in monograph.actors[:3]] or [NAME]:
        entry.author(name=xml_text(name))
    for label in categories(monograph):
        entry.category(term=xml_text(label))
    if kind == "atom":
        entry.summary(xml_text(monograph.summary), type="text")
        entry.content(entry_html(monograph, sources), type="html")
    else:
        entry.description(entry_html(monograph, sources))


def feed_document(
    kind: Kind, title: str, self_url: str, monographs: list[Monograph], settings: Settings, page_url: str | None = None
) -> bytes:
    """The feed as XML bytes; it changes only when its entries do (never "now"), so its ETag holds. `page_url`: the
    search it follows on the site (its home page when none is given)."""
    feed = FeedGenerator()
    feed.register_extension("text_titles", TextTitles, TextTitles, rss=False)
    feed.id(self_url)
    feed.title(xml_text(title))
    feed.subtitle(SUBTITLE)
    feed.language("fr-FR")
    feed.updated(max((m.updated_at for m in monographs), default=EPOCH))
    feed.author(name=NAME)
    feed.generator(NAME)
    feed.link(href=self_url, rel="self", type=MEDIA_TYPES[kind])
    # RSS takes the last link: the search on the site, which a reader's « open the website » shows.
    feed.link(href=page_url or settings.public_base_url, rel="alternate", type="text/html")
    for monograph in monographs:
        add_entry(feed, kind, monograph, settings)
    document: bytes = feed.atom_str(pretty=True) if kind == "atom" else feed.rss_str(pretty=True)
    return document


def _feed(kind: Kind, request: Request, engine: EngineDep, store: StoreDep, settings: SettingsDep) -> Response:
    try:
        params = validate_query(SearchParams, query_dict(SearchParams, request.query_params))
    except InvalidQuery as exc:
        return error_page(request, 400, "Paramètres du flux invalides", first_problems(exc.problems))
    newest_first = params.model_copy(update={"sort": Sort.PUBLISHED})
    try:
        monographs = list(published_matching(newest_first, store, engine, params.size, settings.search_deadline))
    except EngineError:
        log.exception("feed search failed")
        return error_page(
            request, 503, "Flux momentanément indisponible", ["Réessayez dans quelques instants."], {"Retry-After": "5"}
        )
    # The feed's own address: the configured public origin (never the request's Host, which a client
    # sets and a shared cache would then serve to everyone) and the search as validated, not as sent.
    query = urlencode([(k, v) for k, values in query_lists(params, exclude={"page", "sort"}).items() for v in values])
    self_url = f"{settings.public_api_url.rstrip('/')}/feeds/search.{kind}" + (f"?{query}" if query else "")
    # The same search on the site (the UI reads these parameters; the feed's size is not one of them).
    shown = urlencode(
        [(k, v) for k, values in query_lists(params, exclude={"page", "sort", "size"}).items() for v in values]
    )
    page_url = f"{settings.public_base_url.rstrip('/')}/" + (f"?{shown}" if shown else "")
    body = feed_document(kind, f"{NAME} : {describe_search(params)}", self_url, monographs, settings, page_url)
    return Response(body, media_type=f"{MEDIA_TYPES[kind]}; charset=utf-8")


@router.api_route("/search.atom", methods=GET_AND_HEAD)
def atom(request: Request, engine: EngineDep, store: StoreDep, settings: SettingsDep) -> Response:
    """Atom 1.0: newest first (sort and page are ignored), `size` entries (20 by default)."""
    return _feed("atom", request, engine, store, settings)


@router.api_route("/search.rss", methods=GET_AND_HEAD)
def rss(request: Request, engine: EngineDep, store: StoreDep, settings: SettingsDep) -> Response:
    """RSS 2.0: newest first (sort and page are ignored), `size` entries (20 by default)."""
    return _feed("rss", request, engine, store, settings)
