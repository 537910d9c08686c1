"""Elasticsearch index settings, mappings and documents, versioned in code."""

from __future__ import annotations

from typing import Any

import numpy as np

from indexer.documents import facet_fields, hit_source, likeness_fields, published_micros, texts
from indexer.embedder import E5_DIMENSIONS, Vector
from indexer.french import STOPWORDS, FrenchStemmer, prepare_for_index
from indexer.relevance import TEXT_FIELDS
from schemas.facets import FACETS, YEAR, FacetKind
from schemas.like_territory import LIKE_FIELDS
from schemas.monograph import Monograph

# Bump when settings or mappings change: the engine then builds a new index and moves the alias.
# 2: `version` field, external versioning, longer gc_deletes; 3: `published`; 4: `sont` a stopword; 5: `epci` facet;
# 6: "territories like mine" features; 7: `vector` (hybrid search); 8: département name and territory types in
# the keywords text (documents change: a new index is filled)
MAPPING_VERSION = 8
# Writes carry the monograph's version (`version_type: external_gte`), deletes too; the node
# remembers a deleted document's version (its tombstone) only `index.gc_deletes` long, after
# which an older write of a removed monograph would be accepted again. The default (60s) is
# shorter than a slow writer's retries (bulk backoff up to 30s, a stalled process, a long
# rebuild's catch-up); an hour covers them at the cost of a few tombstones kept in memory.
GC_DELETES = "1h"

# A published practice's embedding (`indexer/vectors.py`), for kNN search. Cosine rather than dot_product,
# although the vectors are unit length and both then rank and score alike: dot_product rejects a document
# whose vector is not unit length to 1e-4, and one such vector from the store would dead-letter its
# practice; cosine accepts any non-zero vector (the node normalises it once, at index time). Plain float
# HNSW, not the default, which changes with versions (quantised: bbq_hnsw on our 9.5 node at 384
# dimensions): at our sizes (thousands to tens of thousands of practices, 1.5 kB each) memory is no
# concern, and unquantised vectors give the embedded engine's cosines, on every version.
VECTOR_FIELD = "vector"
VECTOR_MAPPING = {
    "type": "dense_vector",
    "dims": E5_DIMENSIONS,
    "index": True,
    "similarity": "cosine",
    "index_options": {"type": "hnsw"},
}

FRENCH_ELISIONS = ["l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu"]

# The French chain wherever the node has the analysis-common module…
FRENCH_CHAIN = "french (elision, lowercase, stop, light_french stemmer, asciifolding)"
# …and what core Elasticsearch alone offers (the minimal distribution has no analysis-common).
HUNSPELL_CHAIN = "hunspell fr_FR (standard, lowercase, stop, hunspell)"


def analysis_settings(has_analysis_common: bool) -> dict[str, Any]:
    """The `impact_text` analyzer for the prose fields and `impact_stems` for application stems."""
    stop = {"type": "stop", "stopwords": sorted(STOPWORDS), "ignore_case": True}
    if has_analysis_common:
        filters = {
            "fr_elision": {"type": "elision", "articles_case": True, "articles": FRENCH_ELISIONS},
            "fr_stop": stop,
            "fr_stemmer": {"type": "stemmer", "language": "light_french"},
        }
        text_chain = ["fr_elision", "lowercase", "fr_stop", "fr_stemmer", "asciifolding"]
    else:
        filters = {"fr_stop": stop, "fr_hunspell": {"type": "hunspell", "locale": "fr_FR", "dedup": True}}
        text_chain = ["lowercase", "fr_stop", "fr_hunspell"]
    return {
        "filter": filters,
        "analyzer": {
            "impact_text": {"type": "custom", "tokenizer": "standard", "filter": text_chain},
            # Stems come ready-made from the application: only split them.
            "impact_stems": {"type": "custom", "tokenizer": "standard", "filter": []},
        },
    }


def index_settings(has_analysis_common: bool, shards: int = 1, replicas: int = 0) -> dict[str, Any]:
    return {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "refresh_interval": "1s",
        "max_result_window": 10_000,
        "gc_deletes": GC_DELETES,
        "analysis": analysis_settings(has_analysis_common),
    }


def mappings() -> dict[str, Any]:
    text = {"type": "text", "analyzer": "impact_text"}
    stems = {"type": "text", "analyzer": "impact_stems"}
    # `version` mirrors the document's external `_version` (the monograph's store version).
    properties: dict[str, Any] = {"id": {"type": "keyword"}, "version": {"type": "long"}}
    for field in TEXT_FIELDS:
        properties[field] = text
        properties[f"{field}_stems"] = stems
    for facet in (*FACETS, YEAR):
        properties[facet.field] = {"type": "keyword" if facet.kind == FacetKind.KEYWORD else "integer"}
    properties |= {field: {"type": "keyword"} for field in LIKE_FIELDS}
    properties |= {
        # When it was published, µs since the epoch (the same key as the embedded engine's): feeds sort by it.
        "published": {"type": "long"},
        VECTOR_FIELD: VECTOR_MAPPING,
        # Display-only data, kept in _source and never indexed.
        "display": {"type": "object", "enabled": False},
    }
    return {"dynamic": "strict", "_meta": {"mapping_version": MAPPING_VERSION}, "properties": properties}


def cosine(score: float) -> float:
    """The cosine similarity behind a kNN score: the node scores cosine `c` as `(1 + c) / 2`."""
    return 2.0 * score - 1.0


def stored_vector(source: dict[str, Any]) -> Vector | None:
    """The vector a document's `_source` holds, if any."""
    values = source.get(VECTOR_FIELD)
    return None if values is None else np.asarray(values, dtype=np.float32)


def document(monograph: Monograph, stemmer: FrenchStemmer, vector: Vector | None = None) -> dict[str, Any]:
    """The indexed form of a published monograph, with its vector when it has one stored."""
    doc: dict[str, Any] = {"id": monograph.id, "version": monograph.version}
    for field, value in texts(monograph).items():
        # The prose field is read by the node's French chain; elisions are dropped here because
        # the standard tokenizer keeps "l'innovation" whole.
        doc[field] = value if field != "keywords" else prepare_for_index(value)
        doc[f"{field}_stems"] = stemmer.text(value)
    doc |= facet_fields(monograph)
    doc |= likeness_fields(monograph)
    doc |= {
        "published": published_micros(monograph),
        "display": hit_source(monograph),
    }
    if vector is not None:
        doc[VECTOR_FIELD] = vector.tolist()
    return doc
