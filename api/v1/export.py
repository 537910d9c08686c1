"""`GET /export`: every matching published monograph, streamed as JSON Lines or CSV (open data).

An export reads its whole result set, so it is bounded otherwise: at most `IMPACT_EXPORT_CONCURRENCY`
stream at once (429 + `Retry-After` beyond), and a client that already holds the current version
(`If-None-Match`) gets 304 without a single monograph being read.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import Field
from starlette.types import Receive, Scope, Send

from api.deps import EngineDep, SettingsDep, StoreDep
from api.http.conditional_get import etag_matches
from api.http.error_responses import error_response
from api.http.load_shedding import SheddingRoute
from api.open_data import EXCEL_FR_CSV, MACHINE_CSV, csv_lines, to_csv_row, to_jsonl
from api.published import published_matching
from api.settings import Settings, practice_url
from api.store import Store
from indexer.engine import SearchEngine
from schemas.api import error_responses
from schemas.monograph import Monograph, Status
from schemas.search import MAX_RESULT_WINDOW, SearchParams

router = APIRouter(route_class=SheddingRoute, tags=["export"], responses=error_responses(400, 422, 429, 503))

PAGE = 100
# Seconds a client is asked to wait when every export slot is taken.
RETRY_AFTER = 10
# Caches may keep an export but must check it is still current (a cheap 304) before reusing it.
CACHE_CONTROL = "no-cache"


class ExportParams(SearchParams):
    format: Literal["jsonl", "csv", "csv-excel"] = Field(
        "jsonl",
        description="jsonl (the import format), csv (commas, codes, ISO dates) or csv-excel (for French "
        "spreadsheets: semicolons, UTF-8 byte order mark, labels instead of codes, French dates). In both CSV "
        "formats a text cell starting with =, +, -, @, a tab or a carriage return starts with ' instead, so no "
        "spreadsheet runs it as a formula; jsonl keeps every text as written.",
    )


def _matching(params: SearchParams, store: Store, engine: SearchEngine, budget: float) -> Iterator[Monograph]:
    if params.q.strip():
        # Words need the engine; its result window bounds the export. Each page has `budget` seconds.
        return published_matching(params, store, engine, PAGE, budget, pages=MAX_RESULT_WINDOW // PAGE)
    # No words: the store is the source of truth and has no result window.
    filters = params.filters()
    return (m for m in store.iter_all(Status.PUBLISHED) if filters.matches(m))


def export_etag(params: ExportParams, store: Store, settings: Settings) -> str:
    """The export's version: the store's state (row count, latest write, pending index work: an export
    with words reads the index, which catches up through the outbox; and with words, the vectors saved, which
    change a hybrid answer while no monograph changes), the parameters as validated and the public address its
    links use. Cheap aggregates: no monograph is read."""
    count, latest = store.state()
    vectors, latest_vector = store.vectors_state() if params.q.strip() else (0, None)
    state = [
        count,
        latest.isoformat() if latest else None,
        store.backlog(),
        vectors,
        latest_vector.isoformat() if latest_vector else None,
        params.model_dump(mode="json"),
        settings.public_base_url,
    ]
    digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


class ExportSlots:
    """At most `limit` exports at once; a request that finds none free is refused, never queued."""

    def __init__(self, limit: int) -> None:
        self._semaphore = threading.BoundedSemaphore(limit)

    def try_take(self) -> ExportSlot | None:
        return ExportSlot(self._semaphore) if self._semaphore.acquire(blocking=False) else None


class ExportSlot:
    def __init__(self, semaphore: threading.BoundedSemaphore) -> None:
        self._semaphore: threading.BoundedSemaphore | None = semaphore
        self._lock = threading.Lock()

    def release(self) -> None:
        """Give the slot back (once, whoever calls first)."""
        with self._lock:
            semaphore, self._semaphore = self._semaphore, None
        if semaphore is not None:
            semaphore.release()


_slots_lock = threading.Lock()


def export_slots(request: Request, settings: Settings) -> ExportSlots:
    """The app's export slots, made on first use."""
    with _slots_lock:
        slots: ExportSlots | None = getattr(request.app.state, "export_slots", None)
        if slots is None:
            slots = request.app.state.export_slots = ExportSlots(settings.export_concurrency)
        return slots


class SlotStreamingResponse(StreamingResponse):
    """Streams, then gives its export slot back however the stream ends (done, client gone, error)."""

    def __init__(self, *args: object, slot: ExportSlot, **kwargs: object) -> None:
        self.slot = slot
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()

    def __del__(self) -> None:
        # Never sent at all (an error before the response was called): the slot must not leak.
        self.slot.release()


@router.get(
    "/export",
    summary="Exporter les pratiques (données ouvertes)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One published monograph per line (JSON Lines) or per row (CSV), with an `ETag`.",
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        304: {"description": "Unchanged since the version named in `If-None-Match`."},
    },
)
def export(
    params: Annotated[ExportParams, Query()],
    request: Request,
    store: StoreDep,
    engine: EngineDep,
    settings: SettingsDep,
    if_none_match: Annotated[
        str | None, Header(description="The `ETag` of an export you hold: 304 if it is still current.")
    ] = None,
) -> Response:
    """All published practices matching the same filters as `/search`, streamed.

    At most `IMPACT_EXPORT_CONCURRENCY` exports run at once: beyond, 429 with `Retry-After`.
    Send the `ETag` of a previous export as `If-None-Match` to get 304 while nothing changed.
    """
    etag = export_etag(params, store, settings)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match and etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    slot = export_slots(request, settings).try_take()
    if slot is None:
        return error_response(
            429,
            "too_many_exports",
            f"{settings.export_concurrency} exports are already running; retry in {RETRY_AFTER} seconds "
            "(or narrow the export with filters)",
            headers={"Retry-After": str(RETRY_AFTER)},
        )
    monographs = _matching(params, store, engine, settings.search_deadline)
    if params.format in ("csv", "csv-excel"):
        style = EXCEL_FR_CSV if params.format == "csv-excel" else MACHINE_CSV
        body = csv_lines((to_csv_row(m, practice_url(settings, m.id), style) for m in monographs), style)
        media, name = "text/csv; charset=utf-8", "pratiques.csv"
    else:
        body = (to_jsonl(m, practice_url(settings, m.id)) for m in monographs)
        media, name = "application/x-ndjson; charset=utf-8", "pratiques.jsonl"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return SlotStreamingResponse(body, media_type=media, headers=headers, slot=slot)
