""" "Practices from territories like mine", engine-neutral: the boosts a `like_territory` search adds
(each engine renders them as constant-score optional clauses: nothing is filtered out), and why a hit
ranked so (`similarity_reasons`, in French), read from the hit against the same features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexer.relevance import (
    LIKE_DEPARTMENT,
    LIKE_NATURE,
    LIKE_NEAR_SIZE,
    LIKE_REGION,
    LIKE_SIZE,
    LIKE_TYPE,
    LIKE_ZONE,
)
from schemas.facets import DEPARTMENT, REGION, TERRITORY_TYPE
from schemas.like_territory import (
    EPCI_NATURE_LABELS,
    POPULATION_BOUNDS,
    ZONE_LABELS,
    TerritoryProfile,
    territory_features,
)
from schemas.monograph import Territory
from schemas.territory import Zone


@dataclass(frozen=True)
class Boost:
    """A practice with any of `values` in `field` scores `weight` more."""

    field: str
    values: tuple[str, ...]
    weight: float


def likeness_boosts(profile: TerritoryProfile) -> list[Boost]:
    """One optional clause per feature of the user's territory (and per implied territory type)."""
    territory = profile.territory
    features = territory_features(territory)
    boosts = [Boost("like_zone", tuple(features["like_zone"]), LIKE_ZONE)]
    boosts += [Boost(TERRITORY_TYPE.field, (str(t),), LIKE_TYPE) for t in profile.territory_types]
    band = profile.band
    if band is not None:
        near = tuple(str(b) for b in (band - 1, band + 1) if 0 <= b <= len(POPULATION_BOUNDS))
        boosts += [Boost("like_size", (str(band),), LIKE_SIZE), Boost("like_size", near, LIKE_NEAR_SIZE)]
    boosts.append(Boost("like_nature", tuple(features["like_nature"]), LIKE_NATURE))
    if territory.department:
        boosts.append(Boost(DEPARTMENT.field, (territory.department,), LIKE_DEPARTMENT))
    if territory.region:
        boosts.append(Boost(REGION.field, (territory.region,), LIKE_REGION))
    return [boost for boost in boosts if boost.values]


def similarity_reasons(profile: TerritoryProfile, theirs: Territory, territory_types: Sequence[str]) -> list[str]:
    """What a practice's territory (and its territory types) shares with the user's, most telling first, in
    French."""
    mine = profile.territory
    reasons = []
    shared = [t for t in profile.territory_types if str(t) in territory_types]
    if shared:
        labels = ", ".join(TERRITORY_TYPE.label(str(t)).lower() for t in shared)
        reasons.append(f"même type de territoire ({labels})")
    size = size_likeness(mine.population, theirs.population)
    if size is not None:
        reasons.append(f"{size} (≈ {about(theirs.population or 0)} hab.)")
    if mine.epci_nature and mine.epci_nature == theirs.epci_nature:
        reasons.append(f"même nature d'intercommunalité ({EPCI_NATURE_LABELS[mine.epci_nature]})")
    if mine.department and mine.department == theirs.department:
        reasons.append("même département")
    elif mine.region and mine.region == theirs.region:
        reasons.append("même région")
    if mine.zone and mine.zone == theirs.zone and (reasons or mine.zone != Zone.METRO):
        # Metropolitan France alone says nothing of a territory (Nantes was « comparable » to a village for it).
        reasons.append(f"même zone ({ZONE_LABELS[mine.zone]})")
    return reasons


# Two populations this many times apart at most are of a comparable size, or a close one; further apart, their
# size is not a reason (ranking compares size bands, `population_band`: neighbouring bands can be ten times apart).
COMPARABLE_SIZE, CLOSE_SIZE = 2.5, 3.5


def size_likeness(mine: int | None, theirs: int | None) -> str | None:
    """« taille comparable », « taille proche » or None (unknown, or too far apart to say)."""
    if not mine or not theirs:
        return None
    ratio = max(mine, theirs) / min(mine, theirs)
    return "taille comparable" if ratio <= COMPARABLE_SIZE else "taille proche" if ratio <= CLOSE_SIZE else None


def about(population: int) -> str:
    """A population to two significant figures, French style: `4 800`, `160 000`."""
    digits = len(str(population))
    rounded = round(population, 2 - digits) if digits > 2 else population
    return f"{rounded:,}".replace(",", "\u202f")
