"""The one place the UI talks to the API, over HTTP."""

from __future__ import annotations

import os
from typing import Any

import httpx


class ApiUnavailable(Exception):
    """The API did not answer; the page shows a French message instead of a traceback."""


def base_url() -> str:
    return os.environ.get("IMPACT_API_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def get(path: str, params: Any = None, api_key: str | None = None, timeout: float = 10.0) -> Any:
    headers = {"X-API-Key": api_key} if api_key else {}
    try:
        response = httpx.get(f"{base_url()}/api/v1{path}", params=params, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise ApiUnavailable(str(exc)) from exc
    response.raise_for_status()
    return response.json()
