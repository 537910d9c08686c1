"""Typed dependencies: the store, engine, index sync, embedding worker, the caller's API key and the `If-Match`
version.

The ones that only read `app.state` are `async`: FastAPI would otherwise run each in the
thread pool, a hop that costs more than the work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from api.embedding import EmbeddingSync
from api.errors import DomainError, Forbidden, Unauthorized
from api.http.auth_throttle import FailedAuthThrottle
from api.http.client_address import client_address
from api.indexing import IndexSync
from api.settings import Settings
from api.store import ApiKey, Role, Store
from indexer.engine import SearchEngine


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_engine(request: Request) -> SearchEngine:
    engine: SearchEngine = request.app.state.engine
    return engine


async def get_sync(request: Request) -> IndexSync:
    sync: IndexSync = request.app.state.sync
    return sync


async def get_embedding(request: Request) -> EmbeddingSync | None:
    """The embedding worker's state; None when no embedder is configured (lexical search only)."""
    embedding: EmbeddingSync | None = getattr(request.app.state, "embedding", None)
    return embedding


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
EngineDep = Annotated[SearchEngine, Depends(get_engine)]
SyncDep = Annotated[IndexSync, Depends(get_sync)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
EmbeddingDep = Annotated[EmbeddingSync | None, Depends(get_embedding)]


def optional_key(
    request: Request,
    store: StoreDep,
    x_api_key: Annotated[str | None, Header(description="Your API key.")] = None,
    authorization: Annotated[str | None, Header(description="`Bearer <API key>`, instead of X-API-Key.")] = None,
) -> ApiKey | None:
    """The caller's key if one is sent; a wrong or revoked key is an error, not anonymity.

    Failed keys are throttled per client address and per key id (`api/http/auth_throttle.py`): past a burst,
    429 + Retry-After, and the key is not even checked."""
    plaintext = x_api_key
    if plaintext is None and authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization must be `Bearer <API key>`")
        plaintext = token.strip()
    if plaintext is None:
        return None
    throttle: FailedAuthThrottle | None = getattr(request.app.state, "auth_throttle", None)
    client = client_address(request.scope)
    if throttle is not None:
        throttle.check(client, plaintext)
    key = store.verify_key(plaintext)
    if key is None:
        if throttle is not None:
            throttle.failed(client, plaintext)
        raise Unauthorized("unknown or revoked API key; ask an editor for a new one")
    return key


OptionalKeyDep = Annotated[ApiKey | None, Depends(optional_key)]


def required_key(key: OptionalKeyDep) -> ApiKey:
    if key is None:
        raise Unauthorized("this action needs an API key in the X-API-Key header")
    return key


KeyDep = Annotated[ApiKey, Depends(required_key)]


def editor_key(key: KeyDep) -> ApiKey:
    if key.role != Role.EDITOR:
        raise Forbidden("this action needs an editor key; contributor keys can only submit and edit their own drafts")
    return key


EditorDep = Annotated[ApiKey, Depends(editor_key)]


@dataclass(frozen=True)
class IfMatch:
    """The `If-Match` header: the version (ETag) the caller last read, parsed when a route asks for it."""

    header: str | None

    def version(self) -> int | None:
        """The version named, None without the header or with `*` (any version: RFC 9110); a malformed one is a 400
        that says what to send."""
        if self.header is None or self.header.strip() == "*":
            return None
        match = IF_MATCH_VERSION.fullmatch(self.header)
        if not match:
            raise DomainError('If-Match must hold the version you last read, e.g. "3"')
        return int(match.group(1))


# At most 18 digits: a version, or a proposal's revision (microseconds), fits a 64-bit integer; a longer number is
# malformed (Python would refuse to read one of over 4,300 digits at all).
IF_MATCH_VERSION = re.compile(r'\s*(?:W/)?"?(\d{1,18})"?\s*')


async def if_match(
    if_match: Annotated[
        str | None, Header(description="The version you last read (its ETag); a stale one answers 409.")
    ] = None,
) -> IfMatch:
    return IfMatch(if_match)


IfMatchDep = Annotated[IfMatch, Depends(if_match)]
