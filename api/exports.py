"""Open-data formats: JSON Lines (the round-trip format) and CSV, and reading JSON Lines back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from schemas.monograph import SECTION_FIELDS, Monograph, MonographContent, Status

CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "status",
    "title",
    "summary",
    *SECTION_FIELDS,
    "territory_name",
    "insee_code",
    "department",
    "region",
    "territory_types",
    "actor_categories",
    "actors",
    "odd",
    "year",
    "programmes",
    "tags",
    "contact_name",
    "contact_organisation",
    "contact_email",
    "contact_url",
    "sources",
    "external_id",
    "version",
    "created_at",
    "updated_at",
    "published_at",
    "url",
)
LIST_SEPARATOR = " | "


def to_jsonl(monograph: Monograph, url: str | None = None) -> str:
    data = monograph.model_dump(mode="json", exclude={"rejection_reason"})
    if url:
        data["url"] = url
    return json.dumps(data, ensure_ascii=False) + "\n"


def to_csv_row(monograph: Monograph, url: str | None = None) -> dict[str, Any]:
    contact = monograph.contact
    row: dict[str, Any] = {
        "id": monograph.id,
        "status": monograph.status.value,
        "title": monograph.title,
        "summary": monograph.summary,
        "territory_name": monograph.territory.name,
        "insee_code": monograph.territory.insee_code,
        "department": monograph.territory.department,
        "region": monograph.territory.region,
        "territory_types": LIST_SEPARATOR.join(monograph.territory_types),
        "actor_categories": LIST_SEPARATOR.join(monograph.actor_categories),
        "actors": LIST_SEPARATOR.join(
            f"{a.name} ({a.category.value}{': ' + a.role if a.role else ''})" for a in monograph.actors
        ),
        "odd": LIST_SEPARATOR.join(str(o) for o in monograph.odd),
        "year": monograph.year,
        "programmes": LIST_SEPARATOR.join(monograph.programmes),
        "tags": LIST_SEPARATOR.join(monograph.tags),
        "contact_name": contact.name if contact else None,
        "contact_organisation": contact.organisation if contact else None,
        "contact_email": contact.email if contact else None,
        "contact_url": contact.url if contact else None,
        "sources": LIST_SEPARATOR.join(monograph.sources),
        "external_id": monograph.external_id,
        "version": monograph.version,
        "created_at": monograph.created_at.isoformat(),
        "updated_at": monograph.updated_at.isoformat(),
        "published_at": monograph.published_at.isoformat() if monograph.published_at else None,
        "url": url,
    }
    row.update({name: getattr(monograph, name) for name in SECTION_FIELDS})
    return row


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text, a line at a time (header first), for streaming."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()


@dataclass
class ImportRecord:
    """One valid line of an import: the content and what identifies it."""

    line: int
    content: MonographContent
    monograph_id: str | None
    external_id: str | None
    status: Status | None


@dataclass
class ImportErrors:
    errors: list[tuple[int, str]] = field(default_factory=list)


def describe_validation_error(error: ValidationError) -> str:
    """Plain words: `field.path: rule` for each problem."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(document)'}: {e['msg']}" for e in error.errors(include_url=False)
    )


_SYSTEM_FIELDS = {
    "id",
    "status",
    "version",
    "created_at",
    "updated_at",
    "published_at",
    "external_id",
    "url",
    "rejection_reason",
}


def read_jsonl(lines: Iterable[str], report: ImportErrors) -> Iterator[ImportRecord]:
    """Valid records of a JSON Lines export; a bad line is reported and skipped, never half-read."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("a line must hold one JSON object")
            content = MonographContent.model_validate({k: v for k, v in data.items() if k not in _SYSTEM_FIELDS})
            status = Status(data["status"]) if data.get("status") else None
        except ValidationError as exc:
            report.errors.append((number, describe_validation_error(exc)))
            continue
        except ValueError as exc:
            report.errors.append((number, str(exc)))
            continue
        yield ImportRecord(number, content, data.get("id"), data.get("external_id"), status)
