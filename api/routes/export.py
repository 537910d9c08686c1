"""`GET /export`: every matching published monograph, streamed as JSON Lines or CSV (open data)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import Field

from api.deps import EngineDep, SettingsDep, StoreDep
from api.exports import csv_lines, to_csv_row, to_jsonl
from api.routes import API_PREFIX
from api.settings import practice_url
from api.store import Store
from indexer.engine import SearchEngine
from schemas.api import error_responses
from schemas.monograph import Monograph, Status
from schemas.search import MAX_RESULT_WINDOW, SearchParams

router = APIRouter(prefix=API_PREFIX, tags=["export"], responses=error_responses(400, 422, 429, 503))


class ExportParams(SearchParams):
    format: Literal["jsonl", "csv"] = Field("jsonl", description="jsonl (the import format) or csv.")


PAGE = 100


def _matching(params: SearchParams, store: Store, engine: SearchEngine) -> Iterator[Monograph]:
    filters = params.filters()
    if not params.q.strip():
        # No words: the store is the source of truth and has no result window.
        yield from (m for m in store.iter_all(Status.PUBLISHED) if filters.matches(m))
        return
    # Words need the engine; its result window bounds the export.
    for page in range(1, MAX_RESULT_WINDOW // PAGE + 1):
        query = params.model_copy(update={"page": page, "size": PAGE}).to_query(facets=False)
        query.highlight = False
        ids = [hit.id for hit in engine.search(query).hits]
        found = store.get_many(ids)
        yield from (found[i] for i in ids if i in found and found[i].status == Status.PUBLISHED)
        if len(ids) < PAGE:
            return


@router.get(
    "/export",
    summary="Exporter les pratiques (données ouvertes)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One published monograph per line (JSON Lines) or per row (CSV).",
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
def export(
    params: Annotated[ExportParams, Query()],
    store: StoreDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> StreamingResponse:
    """All published practices matching the same filters as `/search`, streamed."""
    monographs = _matching(params, store, engine)
    if params.format == "csv":
        body = csv_lines(to_csv_row(m, practice_url(settings, m.id)) for m in monographs)
        media, name = "text/csv; charset=utf-8", "pratiques.csv"
    else:
        body = (to_jsonl(m, practice_url(settings, m.id)) for m in monographs)
        media, name = "application/x-ndjson; charset=utf-8", "pratiques.jsonl"
    return StreamingResponse(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
