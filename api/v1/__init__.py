"""The JSON API under one prefix, set here once: search, facet values, monographs (what moderation reads, the
changes proposed to published ones), referentials, territories (autocomplete), export, health and metrics, keys and
the embed presets API. Each module holds one area's router (its own tags and errors)."""

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
    proposals,
    referentials,
    search,
    suggest,
    territories,
)

API_PREFIX = "/api/v1"

# Each area's router is included by the app under the prefix, not nested in one router of them all: FastAPI
# matches a request through every level of routers, and searches come first.
AREAS: tuple[APIRouter, ...] = (
    search.router,
    facets.router,
    suggest.router,
    monographs.router,
    moderation.router,
    proposals.router,
    referentials.router,
    territories.router,
    export.router,
    health.router,
    keys.router,
    presets.router,
)
