"""Pick the engine from configuration: embedded unless an Elasticsearch URL is given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.engine import SearchEngine
from indexer.query import DEFAULT_SYNONYMS_PATH, Synonyms


@dataclass(frozen=True)
class EngineConfig:
    backend: str = "embedded"
    index_path: Path | None = None
    synonyms_path: Path = DEFAULT_SYNONYMS_PATH
    elasticsearch_url: str | None = None
    elasticsearch_api_key: str | None = None
    elasticsearch_username: str | None = None
    elasticsearch_password: str | None = None
    elasticsearch_ca_certs: str | None = None
    elasticsearch_index_prefix: str = "impact-monographs"
    elasticsearch_timeout: float = 10.0
    elasticsearch_replicas: int = 0

    @property
    def elasticsearch_hosts(self) -> list[str]:
        """The nodes to talk to: one URL, or several comma-separated (a cluster)."""
        hosts = [u.strip() for u in (self.elasticsearch_url or "").split(",") if u.strip()]
        return hosts or ["http://127.0.0.1:9200"]


def create_engine(config: EngineConfig) -> SearchEngine:
    """The engine the configuration asks for; the Elasticsearch client is imported only if used."""
    synonyms = Synonyms.from_file(config.synonyms_path)
    if config.backend == "elasticsearch":
        from indexer.elasticsearch_engine import ElasticsearchEngine

        return ElasticsearchEngine(config, synonyms)
    from indexer.embedded import EmbeddedEngine

    return EmbeddedEngine(config.index_path, synonyms)
