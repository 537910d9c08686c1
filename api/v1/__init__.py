"""The JSON API under one prefix, set here once: search, facet values, monographs (and what moderation reads),
referentials, territories (autocomplete), export, health and metrics, keys and the embed presets API. Each module
holds one area's router (its own tags and errors)."""

from __future__ import annotations

from fastapi import APIRouter

from api.v1 import (
    export,
    facets,
    health,
    keys,
    moderation,
    monographs,
    presets,
    referentials,
    search,
    suggest,
    territories,
)

API_PREFIX = "/api/v1"

router = APIRouter(prefix=API_PREFIX)
for area in (search, facets, suggest, monographs, moderation, referentials, territories, export, health, keys, presets):
    router.include_router(area.router)
