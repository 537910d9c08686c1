"""What each path of the app is: a public read, cacheable, frameable, an HTML page, and the rate-limit class
it counts in. The middleware of `api/http/stack.py` asks these questions; the answers live only here."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

from api.v1 import API_PREFIX

T = TypeVar("T")

# Each question's answers for the last `PATHS_REMEMBERED` paths of at most `REMEMBERED_PATH_LENGTH` characters
# (every request asks several of them, each walking its list of roots): about 2 MB at most for the six of them.
PATHS_REMEMBERED = 2048
REMEMBERED_PATH_LENGTH = 200


def remembered(question: Callable[[str], T]) -> Callable[[str], T]:
    """`question` of a path, its answer for a short path remembered (a longer one, which clients choose, asked
    again each time)."""
    cached = lru_cache(maxsize=PATHS_REMEMBERED)(question)

    @wraps(question)
    def asked(path: str) -> T:
        return cached(path) if len(path) <= REMEMBERED_PATH_LENGTH else question(path)

    return asked


# Route classes of the rate limit (see `rate_class`).
READS, WRITES, KEYS, OPERATIONS, DOCS, EXPORT = "reads", "writes", "keys", "operations", "docs", "export"


def _under(path: str, *roots: str) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


@remembered
def is_public_read(path: str) -> bool:
    """Anonymous reads any origin may make: what the widget and partners' scripts call."""
    roots = ("search", "facets", "suggest", "referentials", "territories", "presets")
    return _under(path, *(f"{API_PREFIX}/{root}" for root in roots), "/feeds") or (
        path.startswith(f"{API_PREFIX}/monographs/") or path == "/widget.js"
    )


@remembered
def is_json_api(path: str) -> bool:
    """The JSON API, whatever its version: what is written there is sent as JSON."""
    return path.startswith("/api/")


def is_docs(path: str) -> bool:
    return path in ("/", "/openapi.json") or _under(path, "/docs", "/redoc")


@remembered
def is_operations(path: str) -> bool:
    """`/health` and `/metrics`: a busy instance must still say how it is."""
    return path in (f"{API_PREFIX}/health", f"{API_PREFIX}/metrics")


def rate_class(method: str, path: str) -> str:
    """Every request belongs to one class, each with its own limits per client."""
    if is_docs(path):
        return DOCS
    if method not in ("GET", "HEAD", "OPTIONS"):
        return WRITES
    if _under(path, f"{API_PREFIX}/keys"):
        return KEYS
    if is_operations(path):
        return OPERATIONS
    if _under(path, f"{API_PREFIX}/export"):
        return EXPORT
    # search, facets, monographs, referentials, territories, presets, embed, feeds, widget and assets, unknown paths
    return READS


@remembered
def is_cacheable(path: str) -> bool:
    return path == "/widget.js" or _under(
        path,
        f"{API_PREFIX}/search",
        f"{API_PREFIX}/facets",
        f"{API_PREFIX}/suggest",
        f"{API_PREFIX}/referentials",
        f"{API_PREFIX}/territories",
        f"{API_PREFIX}/presets",
        "/embed",
        "/feeds",
        "/static",
        "/docs/assets",
    )


@remembered
def is_frameable(path: str) -> bool:
    """The iframe pages only: not the builder, not the API."""
    return path == "/embed" or path.startswith("/embed/p/")


@remembered
def is_html(path: str) -> bool:
    return _under(path, "/embed", "/feeds")
