"""What every engine indexes of a monograph, and the typo tolerance they share."""

from __future__ import annotations

from typing import Any

from schemas.monograph import SECTION_FIELDS, Monograph


def fuzziness(term: str) -> int:
    """Edits allowed for a term, like Elasticsearch's `AUTO:5,9`."""
    return 0 if len(term) < 5 else 1 if len(term) < 9 else 2


def hit_source(monograph: Monograph) -> dict[str, Any]:
    """What an index keeps of a monograph to answer a results list without the store."""
    data = monograph.model_dump(
        mode="json",
        include={"id", "title", "summary", "territory", "territory_types", "actor_categories", "odd", "year"},
    )
    data["sections"] = {name: getattr(monograph, name) for name in SECTION_FIELDS if getattr(monograph, name)}
    return data


def keywords_text(monograph: Monograph) -> str:
    """Short fields worth finding: territory, actors, programmes, tags."""
    territory = monograph.territory
    parts = [territory.name, territory.region or "", *monograph.programmes, *monograph.tags]
    parts += [f"{actor.name} {actor.role or ''}" for actor in monograph.actors]
    return "\n".join(p for p in parts if p)


def published_micros(monograph: Monograph) -> int:
    """When a practice was published, as an integer sort key (µs since the epoch; the last update
    for a row without a publication date), the same in every engine."""
    return int((monograph.published_at or monograph.updated_at).timestamp() * 1_000_000)


def sections_text(monograph: Monograph) -> str:
    """The long sections, one after the other."""
    return "\n".join(getattr(monograph, name) or "" for name in SECTION_FIELDS)
