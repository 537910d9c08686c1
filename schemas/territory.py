"""Official French territories: their kinds and zones, the autocomplete query and its answer."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class TerritoryKind(StrEnum):
    COMMUNE = "commune"
    ARRONDISSEMENT = "arrondissement"  # municipal arrondissement of Paris, Lyon or Marseille
    EPCI = "epci"
    DEPARTEMENT = "departement"
    REGION = "region"

    @property
    def word(self) -> str:
        """How a message names this kind: « département 26 », not the code value `departement`."""
        return _KIND_WORDS.get(self, self.value)


_KIND_WORDS = {TerritoryKind.EPCI: "EPCI", TerritoryKind.DEPARTEMENT: "département", TerritoryKind.REGION: "région"}


class Zone(StrEnum):
    METRO = "metro"
    DROM = "drom"  # overseas départements and regions
    COM = "com"  # overseas collectivities


class EpciNature(StrEnum):
    """The legal nature of an EPCI."""

    CC = "CC"  # communauté de communes
    CA = "CA"  # communauté d'agglomération
    CU = "CU"  # communauté urbaine
    ME = "ME"  # métropole


# Zones whose practices belong under the `outre-mer` territory type.
OVERSEAS_ZONES: frozenset[str] = frozenset({Zone.DROM, Zone.COM})

AUTOCOMPLETE_MAX_LIMIT = 20


def place_name(name: str | None, place: str | None) -> str:
    """A practice's territory as a reader sees it: « Mafate (Saint-Paul) » when its contributor named a place
    within the official territory, else the territory's name."""
    if place and name:
        return f"{place} ({name})"
    return place or name or ""


class TerritoryQuery(BaseModel):
    """`GET /territories`: what the user has typed so far."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    q: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="Name or code, as typed: accents, case, hyphens and `st`/`ste` for saint/sainte do not "
        "matter, each word may be the start of a word, small typos are forgiven.",
        examples=["st denis"],
    )
    kind: list[TerritoryKind] = Field(
        default_factory=list, max_length=len(TerritoryKind), description="Only these kinds (OR); default: all."
    )
    limit: int = Field(default=10, ge=1, le=AUTOCOMPLETE_MAX_LIMIT, description="Suggestions at most.")


class TerritorySuggestion(BaseModel):
    """One official territory, with what a user needs to tell homonyms apart."""

    code: str = Field(description="INSEE code (SIREN for an EPCI).", examples=["26113"])
    kind: TerritoryKind
    name: str = Field(examples=["Die"])
    department: str | None = Field(default=None, description="Département code.", examples=["26"])
    department_name: str | None = Field(default=None, examples=["Drôme"])
    region: str | None = Field(default=None, description="Région code.", examples=["84"])
    region_name: str | None = Field(default=None, examples=["Auvergne-Rhône-Alpes"])
    zone: Zone
    population: int | None = None
    epci: str | None = Field(default=None, description="SIREN of the commune's EPCI.", examples=["242600534"])
    epci_name: str | None = Field(
        default=None, description="Name of the commune's EPCI.", examples=["Communauté de communes du Diois"]
    )
    epci_nature: str | None = Field(
        default=None, description="EPCI nature (a commune's: its EPCI's): CC, CA, CU or ME.", examples=["CC"]
    )


class TerritorySuggestions(BaseModel):
    items: list[TerritorySuggestion]
