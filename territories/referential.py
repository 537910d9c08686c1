"""The territories referential loaded once from `seed/territories/` (built by `scripts/build-territories.py`):
records by kind and code, former codes and their successors, départements and régions by name or code."""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from schemas.territory import TerritoryKind, TerritorySuggestion, Zone
from territories.names import name_key

TABLES = Path(__file__).resolve().parent.parent / "seed" / "territories"


@dataclass(frozen=True, slots=True)
class TerritoryRecord:
    kind: TerritoryKind
    code: str
    name: str
    department: str  # codes; empty when none
    region: str
    zone: Zone
    population: int | None
    epci: str  # a commune's (or arrondissement's) EPCI
    nature: str  # an EPCI's: CC, CA, CU, ME
    parent: str  # an arrondissement's commune

    def describe(self) -> str:
        """`Die (commune 26113)`: how messages name it."""
        return f"{self.name} ({self.kind.word} {self.code})"


@dataclass(frozen=True, slots=True)
class FormerCode:
    code: str
    name: str  # the former commune's name, when the source gives it
    successors: tuple[str, ...]  # two or more when the commune was split


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as text:
        yield from csv.DictReader(io.StringIO(text.read()))


class Referential:
    """Every territory, most populous first, with lookups by code and by name."""

    def __init__(self, records: list[TerritoryRecord], former: list[FormerCode]):
        self.records: tuple[TerritoryRecord, ...] = tuple(
            sorted(records, key=lambda r: (-(r.population or 0), r.kind, r.code))
        )
        self._by_key = {(r.kind, r.code): r for r in self.records}
        self._former = {f.code: f for f in former}
        self._by_name: defaultdict[tuple[TerritoryKind, str], list[TerritoryRecord]] = defaultdict(list)
        for record in self.records:
            if record.kind in (TerritoryKind.DEPARTEMENT, TerritoryKind.REGION):
                self._by_name[record.kind, name_key(record.name)].append(record)

    @classmethod
    def load(cls, directory: Path = TABLES) -> Referential:
        records = [
            TerritoryRecord(
                kind=TerritoryKind(row["kind"]),
                code=row["code"],
                name=row["name"],
                department=row["department"],
                region=row["region"],
                zone=Zone(row["zone"]),
                population=int(row["population"]) if row["population"] else None,
                epci=row["epci"],
                nature=row["nature"],
                parent=row["parent"],
            )
            for row in _rows(directory / "territories.csv.gz")
        ]
        successors: defaultdict[str, list[str]] = defaultdict(list)
        names: dict[str, str] = {}
        for row in _rows(directory / "former_codes.csv.gz"):
            successors[row["code"]].append(row["successor"])
            names[row["code"]] = names.get(row["code"]) or row["name"]
        return cls(records, [FormerCode(code, names[code], tuple(s)) for code, s in successors.items()])

    def get(self, kind: TerritoryKind, code: str) -> TerritoryRecord | None:
        return self._by_key.get((kind, code))

    def former(self, code: str) -> FormerCode | None:
        """A retired commune code, with the commune(s) that hold it now."""
        return self._former.get(code)

    def find(self, kind: TerritoryKind, text: str) -> TerritoryRecord | None:
        """A département or région by code (`26`, `2a`) or name (`Drôme`, `drome`), or None."""
        text = text.strip()
        record = self.get(kind, text.upper())
        if record is not None:
            return record
        named = self._by_name.get((kind, name_key(text)), [])
        return named[0] if len(named) == 1 else None

    def suggestion(self, record: TerritoryRecord) -> TerritorySuggestion:
        """A record as the API shows it, with its département's and région's names."""
        department = self.get(TerritoryKind.DEPARTEMENT, record.department) if record.department else None
        region = self.get(TerritoryKind.REGION, record.region) if record.region else None
        epci = self.get(TerritoryKind.EPCI, record.epci) if record.epci else None
        return TerritorySuggestion(
            code=record.code,
            kind=record.kind,
            name=record.name,
            department=record.department or None,
            department_name=department.name if department else None,
            region=record.region or None,
            region_name=region.name if region else None,
            zone=record.zone,
            population=record.population,
            epci=record.epci or None,
            epci_name=epci.name if epci else None,
            # A commune's: its EPCI's (what "territories like mine" compares it by).
            epci_nature=record.nature or (epci.nature if epci else "") or None,
        )

    def areas(self, record: TerritoryRecord) -> tuple[frozenset[str], frozenset[str]]:
        """The départements and régions a territory lies in: several for some EPCI."""
        if record.kind == TerritoryKind.EPCI:
            return self._epci_areas.get(record.code, (frozenset(), frozenset()))
        if record.kind == TerritoryKind.REGION:
            return self._departments_of_region.get(record.code, frozenset()), frozenset({record.code})
        return frozenset({record.department} - {""}), frozenset({record.region} - {""})

    @cached_property
    def _epci_areas(self) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
        departments: defaultdict[str, set[str]] = defaultdict(set)
        regions: defaultdict[str, set[str]] = defaultdict(set)
        for record in self.records:
            if record.kind == TerritoryKind.COMMUNE and record.epci:
                departments[record.epci].add(record.department)
                regions[record.epci].add(record.region)
        return {code: (frozenset(departments[code]), frozenset(regions[code])) for code in departments}

    @cached_property
    def _departments_of_region(self) -> dict[str, frozenset[str]]:
        departments: defaultdict[str, set[str]] = defaultdict(set)
        for record in self.records:
            if record.kind == TerritoryKind.DEPARTEMENT:
                departments[record.region].add(record.code)
        return {code: frozenset(codes) for code, codes in departments.items()}

    @cached_property
    def counts(self) -> dict[TerritoryKind, int]:
        counted: defaultdict[TerritoryKind, int] = defaultdict(int)
        for record in self.records:
            counted[record.kind] += 1
        return dict(counted)


@lru_cache(maxsize=1)
def referential() -> Referential:
    """The referential, loaded on first use (about 0.2 s) and kept for the process."""
    return Referential.load()
