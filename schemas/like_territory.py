""" "Practices from territories like mine": what makes two territories alike (zone, population band, EPCI
nature, territory types, département, région), the same for a practice's territory and the user's.

A practice's features come from its resolved territory (`territory_features`) and its declared types;
the user's territory is resolved from its code (`territories/like_territory.py`) into a
`TerritoryProfile` whose types are implied by the referential (`implied_types`): it holds no
mountain or coast classification, so `montagne` and `littoral` are never implied.
"""

from __future__ import annotations

from bisect import bisect_right

from pydantic import BaseModel, Field

from schemas.monograph import Territory
from schemas.referentials import TerritoryType
from schemas.territory import OVERSEAS_ZONES, EpciNature, TerritoryKind, Zone

# Population bands (inhabitants): below 2,000, 2,000 to 5,000, … 500,000 and more.
POPULATION_BOUNDS: tuple[int, ...] = (2_000, 5_000, 20_000, 100_000, 500_000)
# Below this a commune is rural (INSEE's former threshold of an urban unit).
RURAL_BELOW = 2_000
# From this a commune is urban whatever its EPCI.
URBAN_FROM = 10_000

ZONE_LABELS: dict[str, str] = {
    Zone.METRO: "France métropolitaine",
    Zone.DROM: "outre-mer, DROM",
    Zone.COM: "outre-mer, COM",
}
EPCI_NATURE_LABELS: dict[str, str] = {
    EpciNature.CC: "communauté de communes",
    EpciNature.CA: "communauté d'agglomération",
    EpciNature.CU: "communauté urbaine",
    EpciNature.ME: "métropole",
}


def population_band(population: int | None) -> int | None:
    """The band of a population (0: below 2,000 … 5: 500,000 and more), None when unknown."""
    return None if population is None else bisect_right(POPULATION_BOUNDS, population)


# The index fields (keywords, in every engine) of the features `territory_features` computes.
LIKE_FIELDS: tuple[str, ...] = ("like_zone", "like_size", "like_nature")


def territory_features(territory: Territory) -> dict[str, list[str]]:
    """The features a territory is compared by, beside its types, département and région (facet fields)."""
    band = population_band(territory.population)
    return {
        "like_zone": [str(territory.zone)] if territory.zone else [],
        "like_size": [str(band)] if band is not None else [],
        "like_nature": [str(territory.epci_nature)] if territory.epci_nature else [],
    }


def implied_types(territory: Territory) -> list[TerritoryType]:
    """The territory types the referential implies for a commune or an EPCI.

    Overseas → outre-mer; in (or being) a métropole → metropole; a commune below 2,000 inhabitants is
    rural, from 10,000 urban (and rural too in a communauté de communes: the town at the centre of a rural
    intercommunality, Pontivy, works with its countryside), in between rural in a communauté de communes and
    periurban otherwise; an EPCI is rural when a communauté de communes, urban otherwise.
    """
    types: list[TerritoryType] = []
    nature = territory.epci_nature
    population = territory.population or 0
    if territory.kind == TerritoryKind.EPCI:
        types.append(TerritoryType.RURAL if nature == EpciNature.CC else TerritoryType.URBAIN)
    elif population < RURAL_BELOW:
        types.append(TerritoryType.RURAL)
    elif population >= URBAN_FROM:
        types.append(TerritoryType.URBAIN)
        if nature == EpciNature.CC:
            types.append(TerritoryType.RURAL)
    else:
        types.append(TerritoryType.RURAL if nature in (None, EpciNature.CC) else TerritoryType.PERIURBAIN)
    if nature == EpciNature.ME:
        types.append(TerritoryType.METROPOLE)
    if territory.zone in OVERSEAS_ZONES:
        types.append(TerritoryType.OUTRE_MER)
    return types


class TerritoryProfile(BaseModel):
    """The user's territory as "territories like mine" compares it (`like_territory`)."""

    territory: Territory = Field(description="The official territory the code designates (resolved).")
    territory_types: list[TerritoryType] = Field(description="Types the referential implies for it.")

    @property
    def band(self) -> int | None:
        return population_band(self.territory.population)
