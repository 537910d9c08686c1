"""The user's territory for "practices from territories like mine": a commune or EPCI code resolved
against the referential (a retired commune code to its successor) into a `TerritoryProfile`."""

from __future__ import annotations

from schemas.like_territory import TerritoryProfile, implied_types
from schemas.monograph import Territory
from schemas.territory import TerritoryKind
from territories.referential import Referential, referential
from territories.resolution import TerritoryError, resolve_territory

# The kinds a territory like mine may be: a commune (or a municipal arrondissement) or an EPCI.
LIKE_KINDS = frozenset({TerritoryKind.COMMUNE, TerritoryKind.ARRONDISSEMENT, TerritoryKind.EPCI})


def territory_profile(code: str, territories: Referential | None = None) -> TerritoryProfile:
    """The profile of a commune (5 characters) or EPCI (9 digits) code.

    :raises TerritoryError: the code designates no commune or EPCI of the 2026 geography.
    """
    territory = resolve_territory(Territory(name=code, code=code), territories or referential())
    if territory.kind not in LIKE_KINDS:
        raise TerritoryError("code", f"{code} is a {territory.kind}; send a commune or EPCI code")
    return TerritoryProfile(territory=territory, territory_types=implied_types(territory))
