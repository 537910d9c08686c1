"""The département map of one search (`/api/v1/search/map`, `/embed?map=1`): counts from the search's
`department` facet, which engines count for every département, and links that toggle a département."""

from __future__ import annotations

from markupsafe import Markup

from api.embed.page_view import Links
from schemas.facets import DEPARTMENT
from schemas.search import SearchResult
from territories.choropleth import MapEntry, department_map, map_entries


def search_map(result: SearchResult, links: Links) -> tuple[Markup, list[MapEntry]]:
    """The SVG and the same départements as a list; each links to the search with it toggled."""
    values = result.facets.get(DEPARTMENT.name, [])
    entries = map_entries(
        {v.value: v.count for v in values},
        lambda code: links.toggle(DEPARTMENT.name, code),
        {v.value for v in values if v.selected},
    )
    return department_map(entries), entries
