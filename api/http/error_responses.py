"""The one error shape of the API, `{"error": {"code", "message", "details"}}`, and the handlers that give
every error (domain, validation, engine, HTTP, unexpected) that shape."""

from __future__ import annotations

import logging
import math
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import DomainError
from api.http.security_headers import secured
from indexer.engine import EngineError, EngineUnavailable, SearchTimeout, UnknownMonograph

log = logging.getLogger(__name__)
# Problems named in a validation error's message; `details` lists every one.
SUMMARISED = 5


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details}}, status_code=status, headers=headers
    )


def _plain(value: Any) -> Any:
    # Validation contexts may hold exceptions or bytes; keep the answer JSON-safe (no NaN, no lone surrogate).
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def validation_details(errors: list[Any]) -> list[dict[str, Any]]:
    details = []
    for error in errors:
        item = {
            "loc": _plain(list(error.get("loc", ()))),
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        if "input" in error and error.get("type") != "missing":
            value = _plain(error["input"])
            item["input"] = value if len(str(value)) <= 200 else str(value)[:200] + "…"
        details.append(item)
    return details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = validation_details(list(exc.errors()))
        summary = "; ".join(f"{'.'.join(str(p) for p in d['loc'])}: {d['msg']}" for d in details[:SUMMARISED])
        if len(details) > SUMMARISED:
            more = len(details) - SUMMARISED
            summary += f"; and {more} more problem{'s' if more > 1 else ''} (see details)"
        return error_response(422, "validation_error", f"invalid request: {summary}", details)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return error_response(exc.status_code, exc.code, exc.message, exc.details, headers=headers)

    @app.exception_handler(UnknownMonograph)
    async def _unknown(_: Request, exc: UnknownMonograph) -> JSONResponse:
        return error_response(404, "not_found", str(exc))

    @app.exception_handler(EngineUnavailable)
    async def _unavailable(_: Request, exc: EngineUnavailable) -> JSONResponse:
        if isinstance(exc, SearchTimeout):  # the engine answers, but not in time: the service is busy
            return error_response(
                503,
                "search_busy",
                f"the search is busy and could not finish in time ({exc})",
                {"retry_after": 2},
                headers={"Retry-After": "2"},
            )
        return error_response(
            503,
            "search_unavailable",
            f"the search engine is unavailable, retry shortly ({exc})",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(sa.exc.TimeoutError)
    async def _store_busy(_: Request, exc: sa.exc.TimeoutError) -> JSONResponse:
        # Every store connection stayed busy for the pool's whole wait (`api/store/database.py`).
        log.warning("store busy: %s", exc)
        return error_response(503, "store_busy", "the database is busy, retry shortly", headers={"Retry-After": "2"})

    @app.exception_handler(EngineError)
    async def _engine(_: Request, exc: EngineError) -> JSONResponse:
        log.exception("engine error")
        return error_response(502, "search_error", f"the search engine failed: {exc}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error"
        )
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        response = error_response(500, "internal_error", "an unexpected error occurred; it has been logged")
        # Sent by Starlette's outermost middleware, outside `Answers`: the security headers set here.
        response.raw_headers = secured(response.raw_headers, frameable=False, frame_ancestors="")
        return response
