"""The one place the UI talks to the API, over HTTP (plus short-lived caches of repeated reads)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any, Literal

import httpx
import streamlit as st

Params = Sequence[tuple[str, str]]
Outage = Literal["down", "slow", "error", "busy"]
ExportFormat = Literal["csv-excel", "csv", "jsonl"]

TIMEOUT = httpx.Timeout(8.0, connect=3.0)
EXPORT_TIMEOUT = httpx.Timeout(60.0, connect=3.0)
# `/search` parameters a search among facet values does not take.
SEARCH_ONLY = ("sort", "page", "size")


class ApiUnavailable(Exception):
    """The API is down, too slow, failing (5xx) or asking to slow down (429): the page shows a French message, not
    a traceback (nor, for a 429, one blaming the address)."""

    def __init__(self, reason: Outage, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


class ApiError(Exception):
    """A 4xx answer, with the API's error code, message and details (validation errors)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def base_url() -> str:
    return os.environ.get("IMPACT_API_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def _error_from(response: httpx.Response) -> ApiError:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    return ApiError(
        response.status_code, str(error.get("code", "http_error")), str(error.get("message", "")), error.get("details")
    )


def request(
    method: str,
    path: str,
    *,
    params: Params | None = None,
    body: Any = None,
    api_key: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: httpx.Timeout | None = None,
) -> httpx.Response:
    """One call to `/api/v1{path}`; raises `ApiUnavailable` or `ApiError` instead of returning a failure."""
    query: list[tuple[str, str | int | float | bool | None]] = list(params or ())
    sent = dict(headers or {})
    if api_key:
        sent["X-API-Key"] = api_key
    try:
        response = httpx.request(
            method, f"{base_url()}/api/v1{path}", params=query, json=body, headers=sent, timeout=timeout or TIMEOUT
        )
    except httpx.TimeoutException as exc:
        raise ApiUnavailable("slow", str(exc)) from exc
    except httpx.HTTPError as exc:
        raise ApiUnavailable("down", str(exc)) from exc
    if response.status_code >= 500:
        raise ApiUnavailable("error", f"{response.status_code} {response.text[:200]}")
    if response.status_code == 429:
        raise ApiUnavailable("busy", response.headers.get("retry-after", ""))
    if response.status_code >= 400:
        raise _error_from(response)
    return response


def get(path: str, params: Params | None = None, api_key: str | None = None) -> Any:
    return request("GET", path, params=params, api_key=api_key).json()


def post(path: str, body: Any = None, api_key: str | None = None, headers: dict[str, str] | None = None) -> Any:
    return request("POST", path, body=body, api_key=api_key, headers=headers).json()


# Reads: cached briefly, keyed by the API address too so a test (or a redeploy) pointing
# elsewhere never sees another API's answers. Errors are never cached by Streamlit.


@st.cache_data(ttl=300, show_spinner=False)
def _referentials(api: str) -> dict[str, Any]:
    data: dict[str, Any] = get("/referentials")
    return data


def referentials() -> dict[str, Any]:
    """Territory types, actor categories, the 17 ODD (colours, text colours) and regions."""
    return _referentials(base_url())


@st.cache_data(ttl=30, show_spinner=False)
def _search(api: str, params: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    data: dict[str, Any] = get("/search", params)
    return data


def search(params: Params) -> dict[str, Any]:
    """`GET /search` with the given query string (text, facets, years, sort, page, size)."""
    return _search(base_url(), tuple(params))


@st.cache_data(ttl=30, show_spinner=False)
def _facet_values(api: str, facet: str, params: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    data: dict[str, Any] = get(f"/facets/{facet}/values", params)
    return data


def facet_values(facet: str, text: str, search: Params, limit: int = 50) -> dict[str, Any]:
    """`GET /facets/{facet}/values`: the values matching `text`, counted under the search whose `/search`
    parameters are `search` (its words sent as `search`; sort and paging are not the counts' business)."""
    pairs = [("search" if name == "q" else name, value) for name, value in search if name not in SEARCH_ONLY]
    return _facet_values(base_url(), facet, (*pairs, ("q", text), ("limit", str(limit))))


@st.cache_data(ttl=300, show_spinner=False)
def _territories(api: str, q: str, kinds: tuple[str, ...], limit: int) -> list[dict[str, Any]]:
    data: dict[str, Any] = get("/territories", [("q", q), ("limit", str(limit)), *(("kind", k) for k in kinds)])
    return list(data["items"])


def territories(q: str, kinds: Sequence[str] = (), limit: int = 8) -> list[dict[str, Any]]:
    """`GET /territories`: official territories matching what the user typed, a name or code (autocomplete):
    code, kind, name, département…"""
    return _territories(base_url(), q, tuple(kinds), limit)


@st.cache_data(ttl=60, show_spinner=False)
def _monograph(api: str, monograph_id: str) -> dict[str, Any]:
    data: dict[str, Any] = get(f"/monographs/{monograph_id}")
    return data


def monograph(monograph_id: str) -> dict[str, Any]:
    """A published practice sheet."""
    return _monograph(base_url(), monograph_id)


@st.cache_data(ttl=60, show_spinner=False)
def _similar(api: str, monograph_id: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = get(f"/monographs/{monograph_id}/similar")
    return data


def similar(monograph_id: str) -> list[dict[str, Any]]:
    """Up to five published practices close to this one."""
    return _similar(base_url(), monograph_id)


def export(params: Params, export_format: ExportFormat) -> bytes:
    """The whole matching result set, as the API's CSV or JSON Lines file."""
    return request("GET", "/export", params=[*params, ("format", export_format)], timeout=EXPORT_TIMEOUT).content


@st.cache_data(ttl=60, show_spinner=False)
def _years(api: str, params: tuple[tuple[str, str], ...]) -> list[int | None]:
    lines = export(params, "jsonl").decode("utf-8").splitlines()
    return [json.loads(line).get("year") for line in lines if line.strip()]


def years(params: Params) -> list[int | None]:
    """The start year of every practice matching the filters (from the JSON Lines export)."""
    return _years(base_url(), tuple(params))


@st.cache_data(ttl=60, show_spinner=False)
def _stats(api: str, params: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    data: dict[str, Any] = get("/search/stats", params)
    return data


def stats(params: Params) -> dict[str, Any]:
    """`GET /search/stats`: counts of the matching practices per facet value and per start year
    (`facets["year"]`, oldest first), and `undated`: a few hundred bytes, whatever the result set."""
    return _stats(base_url(), tuple(params))


@st.cache_data(ttl=30, show_spinner=False)
def _search_map(api: str, params: tuple[tuple[str, str], ...]) -> str:
    return request("GET", "/search/map", params=params).text


def search_map(params: Params) -> str:
    """`GET /search/map`: the search's practices per département, as an SVG map whose links toggle a département."""
    return _search_map(base_url(), tuple(params))


def clear_caches() -> None:
    """Forget cached reads, after a write that changes what searches return."""
    for cached in (_search, _monograph, _similar, _years, _stats, _search_map):
        cached.clear()


# Writes and key-holder reads: never cached.


def submit(body: dict[str, Any], api_key: str, idempotency_key: str) -> dict[str, Any]:
    """`POST /monographs`: a submission that awaits moderation.

    The same `idempotency_key` sent again (a retry, a second click) returns the first submission
    (200, `Idempotent-Replayed: true`) instead of creating another one.
    """
    data: dict[str, Any] = post("/monographs", body, api_key, headers={"Idempotency-Key": idempotency_key})
    clear_caches()
    return data


def submissions(api_key: str, status: str | None = "submitted", page: int = 1, size: int = 50) -> dict[str, Any]:
    """Monographs by status (any status with None), newest first: every one for an editor, one's own
    for a contributor."""
    params = [("page", str(page)), ("size", str(size))] + ([("status", status)] if status else [])
    data: dict[str, Any] = get("/monographs", params, api_key)
    return data


def submission(monograph_id: str, api_key: str) -> dict[str, Any]:
    """A monograph in any status, as its submitter or an editor reads it (never cached)."""
    data: dict[str, Any] = get(f"/monographs/{monograph_id}", api_key=api_key)
    return data


def _replace(path: str, body: dict[str, Any], api_key: str, version: int) -> dict[str, Any]:
    """A PUT guarded by the version last read (If-Match); `ApiError` 409 when it changed since."""
    headers = {"If-Match": f'"{version}"'}
    data: dict[str, Any] = request("PUT", path, body=body, api_key=api_key, headers=headers).json()
    clear_caches()
    return data


def update(monograph_id: str, body: dict[str, Any], api_key: str, version: int) -> dict[str, Any]:
    """`PUT /monographs/{id}`: an editor's edit, or a contributor's of a submission (pending or rejected)."""
    return _replace(f"/monographs/{monograph_id}", body, api_key, version)


def propose(monograph_id: str, body: dict[str, Any], api_key: str, version: int) -> dict[str, Any]:
    """`PUT /monographs/{id}/proposal`: a contributor's change to their published practice, for an editor to review."""
    return _replace(f"/monographs/{monograph_id}/proposal", body, api_key, version)


def proposals(api_key: str, status: str | None = None, size: int = 50) -> dict[str, Any]:
    """Proposed changes, newest first: every one for an editor (`status="pending"`: the queue), one's own for a
    contributor."""
    params = [("size", str(size))] + ([("status", status)] if status else [])
    data: dict[str, Any] = get("/proposals", params, api_key)
    return data


def accept_proposal(monograph_id: str, api_key: str, revision: int, version: int) -> dict[str, Any]:
    """Accept the proposal reviewed (`revision`) against the practice's `version` compared; `ApiError` 409 when
    either changed since."""
    path = f"/monographs/{monograph_id}/proposal/accept"
    data: dict[str, Any] = post(path, {"version": version}, api_key, headers={"If-Match": f'"{revision}"'})
    clear_caches()
    return data


def decline_proposal(monograph_id: str, api_key: str, reason: str, revision: int) -> dict[str, Any]:
    """Decline the proposal reviewed (`revision`) with a reason; `ApiError` 409 when it was proposed again since."""
    path = f"/monographs/{monograph_id}/proposal/decline"
    data: dict[str, Any] = post(path, {"reason": reason}, api_key, headers={"If-Match": f'"{revision}"'})
    return data


def withdraw_proposal(monograph_id: str, api_key: str, revision: int) -> None:
    """Take back the proposal shown (`revision`); `ApiError` 409 when it was proposed again since."""
    request("DELETE", f"/monographs/{monograph_id}/proposal", api_key=api_key, headers={"If-Match": f'"{revision}"'})


def history(monograph_id: str, api_key: str, size: int = 20) -> dict[str, Any]:
    """A practice's latest steps, newest first (its submitter or an editor)."""
    data: dict[str, Any] = get(f"/monographs/{monograph_id}/history", [("size", str(size))], api_key)
    return data


def submitter(monograph_id: str, api_key: str) -> dict[str, Any] | None:
    """Editors only: the key that submitted a monograph (id, name, role), or None for an imported one."""
    data: dict[str, Any] | None = get(f"/monographs/{monograph_id}/submitter", api_key=api_key)
    return data


def duplicates(monograph_id: str, api_key: str) -> list[dict[str, Any]]:
    """Editors only: published or pending practices that may be the same one (id, title, status, reason, url)."""
    data: list[dict[str, Any]] = get(f"/monographs/{monograph_id}/duplicates", api_key=api_key)
    return data


def publish(monograph_id: str, api_key: str, version: int) -> dict[str, Any]:
    """Publishes the sheet as reviewed at `version` (`ApiError` 409 when it changed since)."""
    data: dict[str, Any] = post(f"/monographs/{monograph_id}/publish", {"version": version}, api_key)
    clear_caches()
    return data


def reject(monograph_id: str, api_key: str, reason: str, version: int) -> dict[str, Any]:
    """Rejects the sheet as reviewed at `version` (`ApiError` 409 when it changed since)."""
    data: dict[str, Any] = post(f"/monographs/{monograph_id}/reject", {"reason": reason, "version": version}, api_key)
    clear_caches()
    return data


@st.cache_data(ttl=300, show_spinner=False)
def _key_role(api: str, api_key: str) -> Literal["editor", "contributor"]:
    role = get("/keys/me", api_key=api_key)["role"]
    return "editor" if role == "editor" else "contributor"


def key_role(api_key: str) -> Literal["editor", "contributor"]:
    """The role of an API key; `ApiError` 401 when the key is unknown or revoked."""
    return _key_role(base_url(), api_key)
