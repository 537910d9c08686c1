"""A monograph's territory checked against the referential and completed from it (`resolve`).

A known code fills the official name, département, région, EPCI (and its nature), population and zone (a
more precise place the contributor named is kept as `place`: « Mafate » in Saint-Paul);
a retired commune code resolves to its successor (and `resolution_note` says so); a département or
région given by name or code is normalised (département: its code; région: its official name); an
inconsistent combination, an unknown code or name is a `TerritoryError` naming the field. A DROM or COM
territory adds `outre-mer` to the territory types. Name-only territories stay allowed, unresolved.
"""

from __future__ import annotations

import re
from typing import TypeVar

from schemas.monograph import MonographContent, Territory
from schemas.referentials import REGION_NAMES, TerritoryType
from schemas.territory import OVERSEAS_ZONES, EpciNature, TerritoryKind
from territories.autocomplete import territory_index
from territories.names import name_words
from territories.referential import Referential, TerritoryRecord, referential

Content = TypeVar("Content", bound=MonographContent)

# What a code's length says it designates, most likely first (2 or 3 characters: département or région).
KINDS_BY_LENGTH = {
    9: (TerritoryKind.EPCI,),
    5: (TerritoryKind.COMMUNE, TerritoryKind.ARRONDISSEMENT),
}
AREA_KINDS = (TerritoryKind.DEPARTEMENT, TerritoryKind.REGION)
# A code among a name's words (`26`, `26113`, `2a004`, a SIREN): it names no place.
CODE_WORD = re.compile(r"\d[0-9ab]?\d*")
# Words of a territory's name that say what kind of territory it is, or link the others (`name_words`, folded):
# a name given with a code that adds only these to the official one's words names no other place.
NOT_A_PLACE = frozenset(
    {"commune", "communes", "ville", "village", "mairie", "municipalite", "cc", "ca", "cu", "communaute", "agglo"}
    | {"agglomeration", "metropole", "epci", "departement", "region", "arrondissement"}
    | {"de", "du", "des", "la", "le", "les", "l", "d", "et", "en", "a", "au", "aux"}
)


class TerritoryError(ValueError):
    """A territory the referential contradicts; `field` is the `territory` field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"territory.{field}: {message}")
        self.field = field
        self.message = message


def resolve(content: Content, territories: Referential | None = None) -> Content:
    """The content with its territory resolved (and `outre-mer` added to its types when it is overseas)."""
    territory = resolve_territory(content.territory, territories or referential())
    types = list(content.territory_types)
    if territory.zone in OVERSEAS_ZONES and TerritoryType.OUTRE_MER not in types:
        types.append(TerritoryType.OUTRE_MER)
    return content.model_copy(update={"territory": territory, "territory_types": types})


def resolve_territory(territory: Territory, territories: Referential) -> Territory:
    department = _area(territories, TerritoryKind.DEPARTEMENT, territory.department, "department")
    region = _area(territories, TerritoryKind.REGION, territory.region, "region")
    code = _code(territory)
    if code is None:
        return _name_only(territories, territory, department, region)
    record, note = _lookup(territories, code, territory.kind)
    departments, regions = territories.areas(record)
    for given, field, within in ((department, "department", departments), (region, "region", regions)):
        if given is not None and given.code not in within:
            raise TerritoryError(
                field, f"{record.describe()} is in {_names(territories, field, within)}, not in {given.describe()}"
            )
    if record.kind == TerritoryKind.EPCI:
        department = department or territories.get(TerritoryKind.DEPARTEMENT, record.department)
        region = region or territories.get(TerritoryKind.REGION, record.region)
    else:
        department = territories.get(TerritoryKind.DEPARTEMENT, record.department)
        region = territories.get(TerritoryKind.REGION, record.region)
    is_commune = record.kind in (TerritoryKind.COMMUNE, TerritoryKind.ARRONDISSEMENT)
    epci = territories.get(TerritoryKind.EPCI, record.epci) if is_commune and record.epci else record
    return territory.model_copy(
        update={
            "name": record.name,
            "place": _place(territory, record),
            "code": record.code,
            "kind": record.kind,
            "insee_code": record.code if is_commune else None,
            "department": department.code if department else None,
            "region": _region_name(region),
            "epci": record.code if record.kind == TerritoryKind.EPCI else record.epci or None,
            "epci_nature": EpciNature(epci.nature) if epci is not None and epci.nature else None,
            "population": record.population,
            "zone": record.zone,
            "resolved": True,
            "resolution_note": note,
        }
    )


def _place(territory: Territory, record: TerritoryRecord) -> str | None:
    """The place the contributor named within the official territory (« Mafate » in Saint-Paul, « Les Hauts de
    Saint-Paul »), kept when the official name replaces it: `place` as given, else the name given. None when
    that name is the official one, said shortly or with words that only say what kind of territory it is
    (« st paul », « Commune de Die », « Die (26) », « Briançonnais » for the Communauté de communes du
    Briançonnais), or is only a code."""
    given = territory.place or territory.name
    official = set(name_words(record.name))
    if all(word in official or word in NOT_A_PLACE or CODE_WORD.fullmatch(word) for word in name_words(given)):
        return None
    return given


def _code(territory: Territory) -> str | None:
    code = territory.code.upper() if territory.code else None
    insee = territory.insee_code.upper() if territory.insee_code else None
    if code and insee and code != insee:
        raise TerritoryError("insee_code", f"{insee} differs from territory.code {code}; send one of them")
    if insee and territory.kind not in (None, TerritoryKind.COMMUNE, TerritoryKind.ARRONDISSEMENT):
        raise TerritoryError("insee_code", f"is a commune code, but territory.kind is {territory.kind}")
    return code or insee


def _lookup(territories: Referential, code: str, kind: TerritoryKind | None) -> tuple[TerritoryRecord, str | None]:
    """The territory a code designates, and a note when it is a retired code."""
    kinds = (kind,) if kind else KINDS_BY_LENGTH.get(len(code), AREA_KINDS)
    found = [record for k in kinds if (record := territories.get(k, code)) is not None]
    if len(found) > 1:
        both = " and ".join(f"{record.kind.word} ({record.name})" for record in found)
        raise TerritoryError("kind", f"code {code} is both a {both}; say which with territory.kind")
    if found:
        return found[0], None
    former = territories.former(code) if TerritoryKind.COMMUNE in kinds else None
    if former is None:
        what = kind.word if kind else " or ".join(k.word for k in kinds)
        raise TerritoryError("code", f"{code} is not the code of any {what} (2026 geography)")
    successors = [territories.get(TerritoryKind.COMMUNE, successor) for successor in former.successors]
    named = f"{code} ({former.name})" if former.name else code
    if len(successors) != 1 or successors[0] is None:
        options = ", ".join(f"{s.code} ({s.name})" for s in successors if s)
        raise TerritoryError("code", f"the retired commune code {named} was split between {options}; send one")
    successor = successors[0]
    return successor, f"the retired commune code {named} now belongs to {successor.name} ({successor.code})"


def _area(territories: Referential, kind: TerritoryKind, text: str | None, field: str) -> TerritoryRecord | None:
    """A département or région given by code or name, or a `TerritoryError` naming the field."""
    if text is None:
        return None
    found = territories.find(kind, text)
    if found is None:
        example = "26 or Drôme" if kind == TerritoryKind.DEPARTEMENT else "84 or Auvergne-Rhône-Alpes"
        raise TerritoryError(field, f"{text!r} is not a {kind.word} code or name (for example {example})")
    return found


def _name_only(
    territories: Referential, territory: Territory, department: TerritoryRecord | None, region: TerritoryRecord | None
) -> Territory:
    if department is not None and region is not None and department.region != region.code:
        raise TerritoryError("region", f"{department.describe()} is not in {region.describe()}")
    if department is not None and region is None:
        region = territories.get(TerritoryKind.REGION, department.region)
    area = department or region
    zone = area.zone if area is not None else None
    return territory.model_copy(
        update={
            "kind": None,
            "department": department.code if department else None,
            "region": _region_name(region),
            "epci": None,
            "epci_nature": None,
            "population": None,
            "zone": zone,
            "resolved": False,
            "resolution_note": None,
        }
    )


def _names(territories: Referential, field: str, codes: frozenset[str]) -> str:
    kind = TerritoryKind.DEPARTEMENT if field == "department" else TerritoryKind.REGION
    records = sorted(filter(None, (territories.get(kind, code) for code in codes)), key=lambda r: r.code)
    return " and ".join(record.describe() for record in records) or f"no {kind.word}"


def _region_name(region: TerritoryRecord | None) -> str | None:
    """The official name the `region` facet files practices under (none for TAAF and Clipperton)."""
    return region.name if region is not None and region.name in REGION_NAMES else None


def proposals(territory: Territory, limit: int = 3) -> list[TerritoryRecord]:
    """Official communes and EPCI an unresolved territory may be, by its name (in its département when known)."""
    territories = referential()
    candidates = territory_index().search(territory.name, (TerritoryKind.COMMUNE, TerritoryKind.EPCI), 20)
    if territory.department:
        candidates = [r for r in candidates if territory.department in territories.areas(r)[0]]
    return candidates[:limit]
