"""Pick the engine from configuration: embedded unless an Elasticsearch URL is given."""

from __future__ import annotations

from indexer.engine import EngineConfig, SearchEngine
from indexer.query import Synonyms


def create_engine(config: EngineConfig) -> SearchEngine:
    """The engine the configuration asks for. The Elasticsearch engine (and its client library) is
    imported only when configured: the embedded default never loads it."""
    synonyms = Synonyms.from_file(config.synonyms_path)
    if config.backend == "elasticsearch":
        from indexer.elasticsearch_engine import ElasticsearchEngine

        return ElasticsearchEngine(config, synonyms)
    from indexer.embedded import EmbeddedEngine

    return EmbeddedEngine(config.index_path, synonyms)
