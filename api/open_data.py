"""Open-data formats: JSON Lines (the round-trip format), CSV (machine-friendly, or for French Excel),
and reading JSON Lines back."""

from __future__ import annotations

import csv
import io
import json
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from api.errors import describe_validation_error
from api.http.json_body import json_problems
from schemas.facets import FACETS, Facet
from schemas.monograph import Actor, Monograph, MonographContent, MonographCreate, Status
from territories.resolution import resolve

# The record's identity leads each row; the moderator's note to the contributor is never open data.
IDENTITY = ("id", "status")
PRIVATE = frozenset({"rejection_reason"})
LIST_SEPARATOR = " | "
# Fields a submission adds to the content (its external id), then those the store records (version, dates).
SUBMITTED = tuple(
    n for n in MonographCreate.model_fields if n not in MonographContent.model_fields and n not in IDENTITY
)
RECORDED = tuple(
    n for n in Monograph.model_fields if n not in {*MonographContent.model_fields, *IDENTITY, *SUBMITTED, *PRIVATE}
)
FIELDS = (*IDENTITY, *MonographContent.model_fields, *SUBMITTED, *RECORDED)


def nested_model(name: str) -> type[BaseModel] | None:
    """The model a content field holds (the territory, the contact), None for plain values and lists."""
    annotation = MonographContent.model_fields[name].annotation if name in MonographContent.model_fields else None
    if typing.get_origin(annotation) is list:
        return None
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


UNPREFIXED_TERRITORY_COLUMNS = frozenset({"insee_code", "department", "region"})


def nested_column(parent: str, name: str) -> str:
    """The territory's INSEE code, department and region keep their own names (the first columns of the export);
    every other field of the territory and the contact is prefixed with its parent's (`territory_name`,
    `territory_code`, `contact_email`)."""
    return name if parent == "territory" and name in UNPREFIXED_TERRITORY_COLUMNS else f"{parent}_{name}"


def columns(name: str) -> list[str]:
    model = nested_model(name)
    return [name] if model is None else [nested_column(name, sub) for sub in model.model_fields]


CSV_COLUMNS: tuple[str, ...] = (*(column for name in FIELDS for column in columns(name)), "url")


def to_jsonl(monograph: Monograph, url: str | None = None) -> str:
    data = monograph.model_dump(mode="json", exclude=set(PRIVATE))
    if url:
        data["url"] = url
    return json.dumps(data, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class CsvStyle:
    """How a CSV is written: for programs (commas, codes, ISO dates) or for French spreadsheets
    (semicolons, a UTF-8 byte order mark so Excel reads the accents, labels, French dates)."""

    delimiter: str = ","
    byte_order_mark: bool = False
    labels: bool = False


MACHINE_CSV = CsvStyle()
EXCEL_FR_CSV = CsvStyle(delimiter=";", byte_order_mark=True, labels=True)
# Columns holding facet codes, shown by their labels in a spreadsheet (`Drôme (26)`, `ODD 3 : …`).
LABELLED_COLUMNS: dict[str, Facet] = {f.field: f for f in FACETS if f.labeller}


def _item(value: Any, style: CsvStyle, facet: Facet | None = None) -> str:
    if isinstance(value, Actor):
        category = LABELLED_COLUMNS["actor_categories"].label(value.category) if style.labels else value.category
        return f"{value.name} ({category}{': ' + value.role if value.role else ''})"
    if facet is not None and style.labels:
        return facet.label(_cell(value, style))
    return str(_cell(value, style))


def _cell(value: Any, style: CsvStyle = MACHINE_CSV, column: str = "") -> Any:
    """A value as CSV shows it: lists joined, dates in ISO 8601 (or French), enums by their value, and
    facet codes by their labels for spreadsheets."""
    facet = LABELLED_COLUMNS.get(column)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_item(v, style, facet) for v in value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if style.labels else value.isoformat()
    if isinstance(value, Enum):
        value = value.value
    if facet is not None and style.labels and value is not None:
        return facet.label(value)
    return value


# A cell a spreadsheet would read as a formula starts with one of these (OWASP, "CSV injection"): contributors write
# the text, and `=HYPERLINK(…)` or `+cmd|…` must not run in the spreadsheet of whoever opens the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a leading `'` (which
    spreadsheets hide, and which marks the cell as text); other values as they are."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def to_csv_row(monograph: Monograph, url: str | None = None, style: CsvStyle = MACHINE_CSV) -> dict[str, Any]:
    """One row of `CSV_COLUMNS`: the territory and contact spread over their own columns, every text cell
    `inert`."""
    row: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(monograph, name)
        model = nested_model(name)
        if model is None:
            row[name] = inert(_cell(value, style, name))
        else:
            row.update(
                {
                    (column := nested_column(name, sub)): inert(_cell(getattr(value, sub, None), style, column))
                    for sub in model.model_fields
                }
            )
    row["url"] = url
    return row


def csv_lines(rows: Iterable[dict[str, Any]], style: CsvStyle = MACHINE_CSV) -> Iterator[str]:
    """CSV text, a line at a time (header first), for streaming."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", delimiter=style.delimiter)
    if style.byte_order_mark:
        buffer.write("\ufeff")
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
    # An export's publication date, kept when the line creates a published monograph (a re-import, the seed).
    published_at: datetime | None = None


@dataclass
class ImportErrors:
    errors: list[tuple[int, str]] = field(default_factory=list)


# What an export line carries besides the content: ignored on import (the store decides them).
_NOT_CONTENT = frozenset(Monograph.model_fields.keys() - MonographContent.model_fields.keys()) | {"url"}


def read_jsonl(lines: Iterable[str], report: ImportErrors) -> Iterator[ImportRecord]:
    """Valid records of a JSON Lines export, territories resolved; a bad line is reported and skipped, never
    half-read."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        problems = json_problems(raw.encode())  # as an API body: standard JSON, text that can be stored
        if problems:
            report.errors.append((number, "; ".join(_located(problem) for problem in problems)))
            continue
        try:
            data = orjson.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("a line must hold one JSON object")
            content = MonographContent.model_validate({k: v for k, v in data.items() if k not in _NOT_CONTENT})
            content = resolve(content)  # a territory the referential contradicts is a `ValueError`
            status = Status(data["status"]) if data.get("status") else None
            published_at = _published_at(data.get("published_at"))
        except ValidationError as exc:
            report.errors.append((number, describe_validation_error(exc)))
            continue
        except ValueError as exc:
            report.errors.append((number, str(exc)))
            continue
        yield ImportRecord(number, content, data.get("id"), data.get("external_id"), status, published_at)


def _located(problem: dict[str, Any]) -> str:
    """A body problem (`json_problems`) said of an import line: `actors.0.name: …` (the line itself: `line: …`)."""
    where = ".".join(str(part) for part in problem["loc"][1:])
    return f"{where or 'line'}: {problem['msg']}"


def _published_at(value: Any) -> datetime | None:
    """An export's `published_at` (ISO 8601 with its time zone), not in the future; absent or null: None."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ValueError(f"published_at: {value!r} is not a date and time with its time zone (2025-03-14T09:00:00Z)")
    if at > datetime.now(UTC):
        raise ValueError(f"published_at: {value!r} is in the future")
    return at
