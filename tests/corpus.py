"""A small corpus built to exercise each search behaviour, shared by engine and API tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from schemas.monograph import Monograph, MonographCreate
from territories.resolution import resolve

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def monograph(id: str, title: str, summary: str, **fields: Any) -> Monograph:
    data: dict[str, Any] = {
        "id": id,
        "status": "published",
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
        "title": title,
        "summary": summary,
        "territory": {"name": "Die", "department": "26", "region": "Auvergne-Rhône-Alpes"},
        "territory_types": ["rural"],
        "actor_categories": ["association"],
        "odd": [17],
    }
    data.update(fields)
    return Monograph(**data)


CORPUS: list[Monograph] = [
    monograph(
        "tiers-lieu-diois",
        "Un tiers-lieu nourricier dans l'ancienne gare du Diois",
        "La communauté de communes et une association ouvrent un tiers-lieu dédié à l'alimentation locale.",
        approach="Les habitants, la SCIC et la collectivité ont construit ensemble un café associatif.",
        territory={"name": "Die", "department": "26", "region": "Auvergne-Rhône-Alpes", "epci": "242600534"},
        territory_types=["rural", "montagne"],
        actor_categories=["collectivite", "association", "citoyens"],
        odd=[2, 11, 17],
        year=2019,
    ),
    monograph(
        "ess-bretagne",
        "Un pôle de coopération pour l'économie circulaire",
        "Entreprises et acteurs de l'économie sociale et solidaire mutualisent déchets et savoir-faire.",
        results="Trente emplois créés et 400 tonnes de matériaux réemployées chaque année.",
        territory={"name": "Lorient", "department": "56", "region": "Bretagne", "epci": "200042174"},
        territory_types=["urbain", "littoral"],
        actor_categories=["entreprise", "ess"],
        odd=[8, 12, 17],
        year=2016,
        programmes=["PTCE"],
    ),
    monograph(
        "mobilite-vallee",
        "Mobilités partagées dans une vallée de montagne",
        "Covoiturage solidaire et transport à la demande pour désenclaver les villages de la vallée.",
        context="Sans voiture, pas d'accès à l'emploi ni aux soins dans la vallée.",
        territory={"name": "Vallée de la Maurienne", "department": "73", "region": "Auvergne-Rhône-Alpes"},
        territory_types=["montagne", "rural"],
        actor_categories=["collectivite", "entreprise"],
        odd=[11, 13],
        year=2021,
    ),
    monograph(
        "pvd-centre-bourg",
        "Revitaliser un centre-bourg avec Petites Villes de Demain",
        "Une commune lauréate du programme mobilise commerçants et habitants autour des vitrines vides.",
        territory={"name": "Pontivy", "department": "56", "region": "Bretagne", "epci": "245614433"},
        territory_types=["urbain"],
        actor_categories=["collectivite", "entreprise", "citoyens"],
        odd=[11],
        year=2022,
        programmes=["Petites Villes de Demain"],
    ),
    monograph(
        "innovation-sociale-qpv",
        "Un laboratoire d'innovation sociale dans un quartier prioritaire",
        "Fondation, université et centre social expérimentent l'accompagnement des jeunes vers l'emploi.",
        outlook="Essaimage prévu dans trois autres quartiers de la métropole.",
        territory={"name": "Lyon", "department": "69", "region": "Auvergne-Rhône-Alpes"},
        territory_types=["metropole", "urbain"],
        actor_categories=["fondation", "recherche", "association"],
        odd=[4, 8, 10],
        year=2018,
    ),
    monograph(
        "eau-reunion",
        "Préserver la ressource en eau sur les hauts de La Réunion",
        "Agriculteurs, office de l'eau et chercheurs testent des pratiques économes en eau.",
        territory={"name": "Saint-Joseph", "place": "Grand Coude", "department": "974", "region": "La Réunion"},
        territory_types=["outre-mer", "montagne"],
        actor_categories=["etat", "recherche", "entreprise"],
        odd=[6, 15],
        year=2020,
    ),
    monograph(
        "xss",
        "<script>alert('x')</script> Mobilité et <img src=x onerror=alert(1)>",
        "Une fiche piégée pour vérifier que la mobilité s'affiche sans jamais exécuter <b>de balise</b>.",
        territory={"name": "Nantes", "region": "Pays de la Loire"},
        territory_types=["periurbain"],
        actor_categories=["citoyens"],
        odd=[16],
        year=2010,
    ),
    monograph(
        "brouillon",
        "Une pratique encore en modération sur la mobilité",
        "Ce brouillon parle de mobilité mais ne doit apparaître dans aucune recherche publique.",
        status="submitted",
        year=2024,
    ),
]


def by_id(monograph_id: str) -> Monograph:
    return next(m for m in CORPUS if m.id == monograph_id)


SEED = Path(__file__).resolve().parent.parent / "seed" / "monographs.jsonl"


@lru_cache(maxsize=1)
def seed_corpus() -> tuple[Monograph, ...]:
    """The seed monographs as `impact seed` stores them: territories resolved, published, ids `seed-001`…"""
    corpus = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        record.pop("published_at", None)  # the tests' own clock (`NOW`) dates them
        content = resolve(MonographCreate.model_validate(record))
        data = content.model_dump(exclude={"status"}) | {"id": content.external_id, "status": "published"}
        corpus.append(Monograph(**data, version=1, created_at=NOW, updated_at=NOW))
    return tuple(corpus)
