from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from api.store import Role
from benchmarks.measure import call_places
from tests.api.conftest import payload


def test_health(client: TestClient, published: list[str]) -> None:
    body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["engine"]["backend"] == "embedded" and body["engine"]["documents"] == 7
    assert body["store"]["monographs"]["published"] == 7 and body["store"]["monographs"]["submitted"] == 1
    assert body["index"]["backlog"] == 0


def test_metrics(client: TestClient, published: list[str]) -> None:
    client.get("/api/v1/search", params={"q": "eau"})
    text = client.get("/api/v1/metrics").text
    assert 'impact_http_requests_total{method="GET",route="/api/v1/search",status="200"}' in text
    assert "impact_search_engine_seconds_bucket" in text and "impact_index_backlog 0.0" in text
    # Where the search's one engine call ran (`api/engine_calls.py`): the event loop's thread or a worker.
    places = call_places(text)
    assert set(places) == {"loop", "thread"} and sum(places.values()) == 1


def test_metrics_count_answers_as_sent_refusals_and_revalidations_included(client: TestClient) -> None:
    """What every answer carries is set in one place (`api/http/answers.py`), outside the request checks: a request
    refused before any route (an unknown host) carries the security headers and is counted, and a revalidated
    search is counted as the 304 it was answered."""
    refused = client.get("/api/v1/search", headers={"host": "attacker.example"})
    assert refused.status_code == 400
    assert refused.headers["x-content-type-options"] == "nosniff" and refused.headers["x-frame-options"] == "DENY"
    first = client.get("/api/v1/search", params={"q": "eau"})
    again = client.get("/api/v1/search", params={"q": "eau"}, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]
    assert again.headers["x-content-type-options"] == "nosniff"
    text = client.get("/api/v1/metrics").text
    assert 'impact_http_requests_total{method="GET",route="unmatched",status="400"} 1.0' in text
    assert 'impact_http_requests_total{method="GET",route="/api/v1/search",status="200"} 1.0' in text
    assert 'impact_http_requests_total{method="GET",route="/api/v1/search",status="304"} 1.0' in text


def test_an_unexpected_error_is_a_json_500_with_the_security_headers(settings: Settings) -> None:
    """Answered by Starlette's outermost middleware, outside the one setting every answer's headers: still
    `nosniff`, never framed, and counted as the 500 it is."""
    app = create_app(settings)

    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/boom")
        text = client.get("/api/v1/metrics").text
    assert answer.status_code == 500 and answer.json()["error"]["code"] == "internal_error"
    assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert 'impact_http_requests_total{method="GET",route="/api/v1/boom",status="500"} 1.0' in text


def test_metrics_count_unusual_methods_as_one(client: TestClient) -> None:
    """A client chooses the method: those outside HTTP's usual ones share one label, so its values stay few."""
    for method in ("FROB", "XYZZY", "GET"):
        client.request(method, "/api/v1/health")
    text = client.get("/api/v1/metrics").text
    assert 'method="OTHER",route="/api/v1/health"' in text and 'method="GET",route="/api/v1/health"' in text
    assert "FROB" not in text and "XYZZY" not in text


def test_metrics_count_by_the_whole_route_template(client: TestClient, published: list[str]) -> None:
    """Routes are declared in routers included under `/api/v1`: the label is still the path they answer at,
    with the id as a placeholder (never the id itself)."""
    monograph_id = client.get("/api/v1/search").json()["hits"][0]["id"]
    assert client.get(f"/api/v1/monographs/{monograph_id}").status_code == 200
    client.get("/widget.js")
    text = client.get("/api/v1/metrics").text
    assert 'route="/api/v1/monographs/{monograph_id}",status="200"' in text
    assert 'route="/widget.js",status="200"' in text and monograph_id not in text


def test_export_jsonl_and_csv(client: TestClient, published: list[str]) -> None:
    lines = client.get("/api/v1/export", params={"format": "jsonl"}).text.splitlines()
    assert len(lines) == 7 and all(json.loads(line)["status"] == "published" for line in lines)
    filtered = client.get("/api/v1/export", params={"format": "jsonl", "region": "Bretagne"}).text.splitlines()
    assert len(filtered) == 2
    by_text = client.get("/api/v1/export", params={"q": "covoiturage"}).text.splitlines()
    assert len(by_text) == 1
    csv_text = client.get("/api/v1/export", params={"format": "csv"})
    assert csv_text.headers["content-type"].startswith("text/csv")
    assert csv_text.text.splitlines()[0].startswith("id,status,title,summary")
    assert client.get("/api/v1/export", params={"format": "xml"}).status_code == 422


def test_export_csv_for_french_excel(client: TestClient, published: list[str]) -> None:
    """Semicolons, a byte order mark (Excel otherwise reads UTF-8 accents as Latin-1), labels, French dates."""
    response = client.get("/api/v1/export", params={"format": "csv-excel"})
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    machine = list(csv.DictReader(io.StringIO(client.get("/api/v1/export", params={"format": "csv"}).text)))
    assert len(rows) == len(machine) == 7 and [r["id"] for r in rows] == [r["id"] for r in machine]
    odd_labels = {label for r in rows for label in r["odd"].split(" | ")}
    assert odd_labels and all(label.startswith("ODD ") and " : " in label for label in odd_labels)
    assert any("Outre-mer" in r["territory_types"] or "Rural" in r["territory_types"] for r in rows)
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", rows[0]["created_at"])
    # The machine CSV keeps codes and ISO dates.
    assert all(c.isdigit() for r in machine for c in r["odd"].split(" | ")) and "T" in machine[0]["created_at"]


def test_export_csv_cells_never_run_as_spreadsheet_formulas(client: TestClient, editor: dict[str, str]) -> None:
    """A contributor's text starting like a formula (`=HYPERLINK(…)`, `+cmd|…`, `@SUM`, `-2+3`) is exported as text
    in both CSV formats (a leading `'`); the JSON Lines export keeps it as written."""
    hostile = payload(
        title='=HYPERLINK("http://evil.example","clic")',
        summary="+cmd|' /C calc'!A0 puis une pratique de mobilité rurale décrite en détail pour le test",
        tags=["-2+3", "mobilité"],
        status="published",
    )
    hostile["territory"] = hostile["territory"] | {"name": "@SUM(1+1)"}
    assert client.post("/api/v1/monographs", json=hostile, headers=editor).status_code == 201
    machine = next(csv.DictReader(io.StringIO(client.get("/api/v1/export", params={"format": "csv"}).text)))
    excel_text = client.get("/api/v1/export", params={"format": "csv-excel"}).content.decode("utf-8-sig")
    excel = next(csv.DictReader(io.StringIO(excel_text), delimiter=";"))
    for row in (machine, excel):
        assert row["title"] == '\'=HYPERLINK("http://evil.example","clic")'
        assert row["summary"].startswith("'+cmd|") and row["tags"].startswith("'-2+3")
        assert row["territory_name"] == "'@SUM(1+1)"
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values() if cell)
    exported = json.loads(client.get("/api/v1/export", params={"format": "jsonl"}).text.splitlines()[0])
    assert exported["title"].startswith("=HYPERLINK") and exported["tags"][0] == "-2+3"


def test_openapi_documents_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/search" in spec["paths"] and "/api/v1/monographs" in spec["paths"]
    assert "tiers-lieux" in json.dumps(spec)


def test_openapi_documents_the_error_body_every_route_answers(client: TestClient) -> None:
    """`/keys/me` and `/presets` documented FastAPI's `{"detail": [...]}` for their 422, which the API never sends."""
    spec = client.get("/openapi.json").json()
    documented = {
        f"{method.upper()} {path}": json.dumps(operation.get("responses", {}))
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }
    assert [name for name, responses in documented.items() if "HTTPValidationError" in responses] == []
    assert "ErrorResponse" in documented["GET /api/v1/keys/me"] and "ErrorResponse" in documented["GET /api/v1/presets"]


def test_openapi_submission_example_is_valid(client: TestClient, contributor: dict[str, str]) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/v1/monographs"]["post"]["requestBody"]["content"]["application/json"]
    example = body["examples"]["tiers-lieu"]["value"]
    assert client.post("/api/v1/monographs", json=example, headers=contributor).status_code == 201


@contextmanager
def counting_statements(client: TestClient) -> Iterator[list[str]]:
    """The store's statements that count monographs per status, as they run."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "GROUP BY monographs.status" in statement:
            seen.append(statement)

    engine = client.app.state.store.engine  # type: ignore[attr-defined]
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def test_health_counts_the_store_once_however_often_it_is_called(settings: Settings) -> None:
    """The monographs per status are a count of the whole table: a flood of /health calls (a load balancer,
    a script, an attacker) counts once per `IMPACT_HEALTH_COUNTS_MAX_AGE`, the calls meanwhile answer it."""
    with TestClient(create_app(settings.model_copy(update={"health_counts_max_age": 3600}))) as client:
        key, _ = client.app.state.store.create_key("Éditeur", Role.EDITOR)  # type: ignore[attr-defined]
        client.post("/api/v1/monographs", json=payload(status="published"), headers={"X-API-Key": key})
        with counting_statements(client) as counted, ThreadPoolExecutor(8) as pool:
            bodies = list(pool.map(lambda _: client.get("/api/v1/health").json(), range(24)))
            assert len(counted) == 1
            assert {body["store"]["monographs"]["published"] for body in bodies} == {1}
            client.post("/api/v1/monographs", json=payload(status="published"), headers={"X-API-Key": key})
            assert client.get("/api/v1/health").json()["store"]["monographs"]["published"] == 1  # the recent count
            assert len(counted) == 1


def test_health_counts_again_once_they_are_older_than_the_max_age(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"health_counts_max_age": 0.3}))) as client:
        key, _ = client.app.state.store.create_key("Éditeur", Role.EDITOR)  # type: ignore[attr-defined]
        with counting_statements(client) as counted:
            assert client.get("/api/v1/health").json()["store"]["monographs"]["published"] == 0
            client.post("/api/v1/monographs", json=payload(status="published"), headers={"X-API-Key": key})
            time.sleep(0.35)
            assert client.get("/api/v1/health").json()["store"]["monographs"]["published"] == 1
            assert len(counted) == 2
