"""One settings object for the whole service, read once from `IMPACT_*` environment variables."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.indexing import IndexSync
from api.store import Store
from indexer.engine import SearchEngine
from indexer.factory import EngineConfig
from indexer.query import DEFAULT_SYNONYMS_PATH

# One CSP source expression: a keyword, a scheme, or an origin with optional wildcard subdomain and port.
FRAME_SOURCE = re.compile(
    r"\*|'self'|'none'|https?:|(https?://)?(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:(\d{1,5}|\*))?"
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMPACT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the SQLite store and the embedded index live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the store; defaults to SQLite in the data directory."
    )
    search_backend: Literal["embedded", "elasticsearch"] = Field(
        "embedded", description="Search engine: the embedded tantivy index, or Elasticsearch."
    )
    synonyms_path: Path = Field(DEFAULT_SYNONYMS_PATH, description="Editable synonyms and acronyms list.")
    elasticsearch_url: str | None = Field(None, description="Elasticsearch URL, e.g. http://127.0.0.1:9200.")
    elasticsearch_api_key: str | None = Field(None, description="Elasticsearch API key, if the node needs one.")
    elasticsearch_username: str | None = Field(None, description="Elasticsearch basic-auth user.")
    elasticsearch_password: str | None = Field(None, description="Elasticsearch basic-auth password.")
    elasticsearch_ca_certs: str | None = Field(None, description="CA certificate file for an https node.")
    elasticsearch_index_prefix: str = Field("impact-monographs", description="Prefix of index and alias names.")
    elasticsearch_timeout: float = Field(10.0, gt=0, description="Seconds before an Elasticsearch call fails.")
    api_base_url: str = Field("http://127.0.0.1:8000", description="Where the UI reaches the API.")
    public_base_url: str = Field(
        "http://127.0.0.1:8501", description="Public address of the UI, used to build each result's `url`."
    )
    max_body_bytes: int = Field(1_000_000, gt=0, description="Largest request body accepted (413 above).")
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
    search_concurrency: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1),
        ge=1,
        description="Searches run at once in worker threads; more wait their turn (CPU-bound work gains nothing "
        "from more threads than cores, and latency suffers from the contention).",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed to call the JSON API.")
    # --- partner embeds (iframe, widget, feeds) and public HTTP hygiene -------------------------------
    public_read_cors: bool = Field(
        True,
        description="Let any origin GET the public reads (search, referentials, published monographs, presets) "
        "without credentials; the embeddable widget needs it. Writes still follow IMPACT_CORS_ORIGINS.",
    )
    embed_frame_ancestors: str = Field(
        "*",
        description="CSP frame-ancestors sources allowed to frame /embed pages (space-separated, e.g. "
        "`https://www.reseau.fr https://*.region.fr`); every other page refuses framing.",
    )
    http_cache_max_age: int = Field(
        60, ge=0, description="Seconds browsers and proxies may reuse search, embed and feed answers (ETag after)."
    )
    rate_limit_per_minute: int = Field(
        1200, ge=0, description="Sustained public requests per minute allowed to one client IP (0 disables)."
    )
    rate_limit_burst: int = Field(600, ge=1, description="Public requests one client IP may send at once.")
    # --- end partner embeds ---------------------------------------------------------------------------

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

    def engine_config(self) -> EngineConfig:
        return EngineConfig(
            backend=self.search_backend,
            index_path=self.data_dir / "index",
            synonyms_path=self.synonyms_path,
            elasticsearch_url=self.elasticsearch_url,
            elasticsearch_api_key=self.elasticsearch_api_key,
            elasticsearch_username=self.elasticsearch_username,
            elasticsearch_password=self.elasticsearch_password,
            elasticsearch_ca_certs=self.elasticsearch_ca_certs,
            elasticsearch_index_prefix=self.elasticsearch_index_prefix,
            elasticsearch_timeout=self.elasticsearch_timeout,
        )


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def practice_url(settings: Settings, monograph_id: str) -> str:
    """The public page of a practice in the UI."""
    return f"{settings.public_base_url.rstrip('/')}/fiche?id={monograph_id}"
