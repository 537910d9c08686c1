"""What every engine indexes of a monograph, and the typo tolerance they share."""

from __future__ import annotations

from typing import Any

from schemas.facets import DEPARTMENT_NAMES, FACETS, YEAR
from schemas.like_territory import territory_features
from schemas.monograph import SECTION_FIELDS, Monograph
from schemas.referentials import TERRITORY_TYPE_LABELS
from schemas.search import SearchHit

# What a results list shows of a practice: the hit's fields but those a search computes (score, highlights,
# why its territory is like the one asked).
HIT_FIELDS = set(SearchHit.model_fields) - {"score", "highlight", "similarity_reasons"}


def fuzziness(term: str) -> int:
    """Edits allowed for a term, like Elasticsearch's `AUTO:5,9`."""
    return 0 if len(term) < 5 else 1 if len(term) < 9 else 2


def hit_source(monograph: Monograph) -> dict[str, Any]:
    """What an index keeps of a monograph to answer a results list without the store."""
    data = monograph.model_dump(mode="json", include=HIT_FIELDS)
    data["sections"] = {name: getattr(monograph, name) for name in SECTION_FIELDS if getattr(monograph, name)}
    return data


def texts(monograph: Monograph) -> dict[str, str]:
    """The text of each searched field (`indexer/relevance.py TEXT_FIELDS`), before analysis."""
    return {
        "title": monograph.title,
        "summary": monograph.summary,
        "keywords": keywords_text(monograph),
        "sections": sections_text(monograph),
    }


def facet_fields(monograph: Monograph) -> dict[str, list[str] | list[int]]:
    """The value of every facet's index field (`schemas/facets.py`), start years included."""
    return {facet.field: facet.of(monograph) for facet in (*FACETS, YEAR)}


def likeness_fields(monograph: Monograph) -> dict[str, list[str]]:
    """What "territories like mine" compares beside the facet fields (`schemas/like_territory.py LIKE_FIELDS`)."""
    return territory_features(monograph.territory)


def keywords_text(monograph: Monograph) -> str:
    """Short fields worth finding: territory, actors, programmes, tags."""
    territory = monograph.territory
    # Where it is as people name it: its département's name (« Drôme ») and territory types (« Outre-mer »:
    # found by « DOM-TOM » through the synonyms), which its own text may never write.
    department = DEPARTMENT_NAMES.get(territory.department or "", "")
    types = [TERRITORY_TYPE_LABELS[t] for t in monograph.territory_types]
    parts = [territory.place or "", territory.name, department, territory.region or "", *types]
    parts += [*monograph.programmes, *monograph.tags]
    parts += [f"{actor.name} {actor.role or ''}" for actor in monograph.actors]
    return "\n".join(p for p in parts if p)


def published_micros(monograph: Monograph) -> int:
    """When a practice was published, as an integer sort key (µs since the epoch; the last update
    for a row without a publication date), the same in every engine."""
    return int((monograph.published_at or monograph.updated_at).timestamp() * 1_000_000)


def sections_text(monograph: Monograph) -> str:
    """The long sections, one after the other."""
    return "\n".join(getattr(monograph, name) or "" for name in SECTION_FIELDS)
