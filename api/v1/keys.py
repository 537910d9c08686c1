"""`GET /keys/me`: what the caller's API key is (never its secret)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import KeyDep
from api.http.load_shedding import SheddingRoute
from schemas.api import KeyInfo, error_responses

router = APIRouter(route_class=SheddingRoute, prefix="/keys", tags=["keys"], responses=error_responses(401, 422, 429))


@router.get("/me", response_model=KeyInfo, summary="Ma clé d'API")
def me(key: KeyDep) -> KeyInfo:
    """The id, name and role of the key sent, so clients can show the right actions."""
    return KeyInfo(id=key.id, name=key.name, role=key.role.value)
