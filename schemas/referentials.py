"""The referentials (territory types, actor categories, ODD, regions) with their French labels.

This module is the single place where these lists are defined; the API, the engines
and the UI all read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TerritoryType(StrEnum):
    RURAL = "rural"
    PERIURBAIN = "periurbain"
    URBAIN = "urbain"
    METROPOLE = "metropole"
    LITTORAL = "littoral"
    MONTAGNE = "montagne"
    OUTRE_MER = "outre-mer"


TERRITORY_TYPE_LABELS: dict[str, str] = {
    TerritoryType.RURAL: "Rural",
    TerritoryType.PERIURBAIN: "Périurbain",
    TerritoryType.URBAIN: "Urbain",
    TerritoryType.METROPOLE: "Métropole",
    TerritoryType.LITTORAL: "Littoral",
    TerritoryType.MONTAGNE: "Montagne",
    TerritoryType.OUTRE_MER: "Outre-mer",
}


class ActorCategory(StrEnum):
    COLLECTIVITE = "collectivite"
    ETAT = "etat"
    ASSOCIATION = "association"
    FONDATION = "fondation"
    ENTREPRISE = "entreprise"
    ESS = "ess"
    RECHERCHE = "recherche"
    CITOYENS = "citoyens"


ACTOR_CATEGORY_LABELS: dict[str, str] = {
    ActorCategory.COLLECTIVITE: "Collectivité",
    ActorCategory.ETAT: "État et établissements publics",
    ActorCategory.ASSOCIATION: "Association",
    ActorCategory.FONDATION: "Fondation",
    ActorCategory.ENTREPRISE: "Entreprise",
    ActorCategory.ESS: "Économie sociale et solidaire",
    ActorCategory.RECHERCHE: "Recherche et enseignement supérieur",
    ActorCategory.CITOYENS: "Citoyens et habitants",
}


DARK_TEXT = "#1A1A1A"


@dataclass(frozen=True)
class Odd:
    number: int
    title: str
    colour: str
    # Text drawn on the ODD colour: white where it reaches the 4.5:1 contrast of WCAG AA,
    # dark text on the lighter colours (2, 3, 5, 6, 7, 9, 11, 12, 14, 15).
    text_colour: str = "#FFFFFF"


ODD_LIST: tuple[Odd, ...] = (
    Odd(1, "Pas de pauvreté", "#E5243B"),
    Odd(2, "Faim « zéro »", "#DDA63A", DARK_TEXT),
    Odd(3, "Bonne santé et bien-être", "#4C9F38", DARK_TEXT),
    Odd(4, "Éducation de qualité", "#C5192D"),
    Odd(5, "Égalité entre les sexes", "#FF3A21", DARK_TEXT),
    Odd(6, "Eau propre et assainissement", "#26BDE2", DARK_TEXT),
    Odd(7, "Énergie propre et d'un coût abordable", "#FCC30B", DARK_TEXT),
    Odd(8, "Travail décent et croissance économique", "#A21942"),
    Odd(9, "Industrie, innovation et infrastructure", "#FD6925", DARK_TEXT),
    Odd(10, "Inégalités réduites", "#DD1367"),
    Odd(11, "Villes et communautés durables", "#FD9D24", DARK_TEXT),
    Odd(12, "Consommation et production responsables", "#BF8B2E", DARK_TEXT),
    Odd(13, "Mesures relatives à la lutte contre les changements climatiques", "#3F7E44"),
    Odd(14, "Vie aquatique", "#0A97D9", DARK_TEXT),
    Odd(15, "Vie terrestre", "#56C02B", DARK_TEXT),
    Odd(16, "Paix, justice et institutions efficaces", "#00689D"),
    Odd(17, "Partenariats pour la réalisation des objectifs", "#19486A"),
)
ODD_BY_NUMBER: dict[int, Odd] = {odd.number: odd for odd in ODD_LIST}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    # "region" for the 18 regions, "com" for the overseas collectivities, which are not
    # regions but still need a stable place to file their practices under.
    kind: str = "region"


REGIONS: tuple[Region, ...] = (
    Region("11", "Île-de-France"),
    Region("24", "Centre-Val de Loire"),
    Region("27", "Bourgogne-Franche-Comté"),
    Region("28", "Normandie"),
    Region("32", "Hauts-de-France"),
    Region("44", "Grand Est"),
    Region("52", "Pays de la Loire"),
    Region("53", "Bretagne"),
    Region("75", "Nouvelle-Aquitaine"),
    Region("76", "Occitanie"),
    Region("84", "Auvergne-Rhône-Alpes"),
    Region("93", "Provence-Alpes-Côte d'Azur"),
    Region("94", "Corse"),
    Region("01", "Guadeloupe"),
    Region("02", "Martinique"),
    Region("03", "Guyane"),
    Region("04", "La Réunion"),
    Region("06", "Mayotte"),
    Region("975", "Saint-Pierre-et-Miquelon", "com"),
    Region("977", "Saint-Barthélemy", "com"),
    Region("978", "Saint-Martin", "com"),
    Region("986", "Wallis et Futuna", "com"),
    Region("987", "Polynésie française", "com"),
    Region("988", "Nouvelle-Calédonie", "com"),
)
REGION_NAMES: frozenset[str] = frozenset(region.name for region in REGIONS)
