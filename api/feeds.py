"""RSS 2.0 and Atom feeds of a search: the most recently published practices that match it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from markupsafe import Markup

from api.settings import Settings, practice_url
from api.store import Store
from indexer.engine import SearchEngine
from schemas.monograph import Monograph, Status
from schemas.referentials import ODD_BY_NUMBER, TERRITORY_TYPE_LABELS
from schemas.search import SearchParams, Sort

# Characters XML 1.0 forbids; a stray control character in a monograph must not break the feed.
_XML_FORBIDDEN = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def xml_text(text: str) -> str:
    return text.translate(_XML_FORBIDDEN)


def newest_matching(
    params: SearchParams, store: Store, engine: SearchEngine, limit: int, deadline: float | None = None
) -> list[Monograph]:
    """Published monographs matching `params`, most recently published first, at most `limit` (≤ 100).

    Bounded work whatever the store's size: one engine search (two when no practice has every word)
    sorted by publication date, then one store read of at most `limit` ids.
    """
    query = params.model_copy(update={"page": 1, "size": limit, "sort": Sort.PUBLISHED}).to_query(
        facets=False, deadline=deadline
    )
    query.highlight = False
    ids = [hit.id for hit in engine.search(query).hits]
    found = store.get_many(ids)
    # The index follows the store through the outbox: a practice unpublished meanwhile is left out.
    return [found[i] for i in ids if i in found and found[i].status == Status.PUBLISHED]


def is_web_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@dataclass
class FeedEntry:
    id: str
    title: str
    url: str
    summary: str
    content_html: str
    published: datetime
    updated: datetime
    categories: list[str]
    sources: list[str]
    authors: list[str]

    @property
    def published_rfc822(self) -> str:
        return format_datetime(self.published)


def entry_html(monograph: Monograph, sources: list[str]) -> str:
    """The entry as HTML (the feed then escapes it once more as XML text): escaped prose, http(s) links."""
    parts = [Markup("<p>{}</p>").format(monograph.summary)]
    place = ", ".join(p for p in (monograph.territory.name, monograph.territory.region) if p)
    parts.append(Markup("<p>{}</p>").format(place + (f" · depuis {monograph.year}" if monograph.year else "")))
    if sources:
        items = Markup("").join(Markup('<li><a href="{0}">{0}</a></li>').format(url) for url in sources)
        parts.append(Markup("<p>Sources :</p><ul>{}</ul>").format(items))
    return xml_text(str(Markup("").join(parts)))


def feed_entry(monograph: Monograph, settings: Settings) -> FeedEntry:
    sources = [url for url in monograph.sources if is_web_link(url)]
    categories = [TERRITORY_TYPE_LABELS.get(t, t) for t in monograph.territory_types]
    categories += [f"ODD {n} : {ODD_BY_NUMBER[n].title}" for n in monograph.odd if n in ODD_BY_NUMBER]
    if monograph.territory.region:
        categories.append(monograph.territory.region)
    return FeedEntry(
        id=f"urn:impact-pratiques:monograph:{monograph.id}",
        title=xml_text(monograph.title),
        url=practice_url(settings, monograph.id),
        summary=xml_text(monograph.summary),
        content_html=entry_html(monograph, sources),
        published=monograph.published_at or monograph.updated_at,
        updated=monograph.updated_at,
        categories=[xml_text(c) for c in categories],
        sources=sources,
        authors=[xml_text(a.name) for a in monograph.actors[:3]] or ["IMPACT-Pratiques"],
    )
