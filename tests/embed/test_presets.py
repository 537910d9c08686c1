"""Embed presets: CRUD and roles over the JSON API, durability, and the `/embed/p/{slug}` page."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from api.store.tables import embed_presets
from tests.embed.conftest import assert_inert, count_shown, result_links

PRESET: dict[str, Any] = {
    "title": "Tiers-lieux et mobilités en milieu rural",
    "filters": {"territory_type": ["rural"], "sort": "recent", "size": 5},
    "facets": ["odd", "region"],
    "theme": {"accent": "#A21942", "density": "compact", "logo": "Réseau rural", "target": "blank"},
}


def test_editor_creates_then_replaces(client: TestClient, editor: dict[str, str]) -> None:
    created = client.put("/api/v1/presets/reseau-rural", json=PRESET, headers=editor)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["slug"] == "reseau-rural" and body["version"] == 1 and body["embed_path"] == "/embed/p/reseau-rural"
    assert body["theme"]["accent"] == "#A21942" and body["filters"]["territory_type"] == ["rural"]
    assert created.headers["location"] == "/api/v1/presets/reseau-rural" and created.headers["etag"] == '"1"'
    replaced = client.put("/api/v1/presets/reseau-rural", json=PRESET | {"title": "Nouveau titre"}, headers=editor)
    assert replaced.status_code == 200 and replaced.json()["version"] == 2
    assert replaced.json()["created_at"] == body["created_at"]


def test_reading_is_public_and_listed(client: TestClient, editor: dict[str, str]) -> None:
    for slug in ("b-reseau", "a-reseau"):
        client.put(f"/api/v1/presets/{slug}", json=PRESET, headers=editor)
    listed = client.get("/api/v1/presets").json()
    assert listed["total"] == 2 and [p["slug"] for p in listed["items"]] == ["a-reseau", "b-reseau"]
    assert client.get("/api/v1/presets", params={"size": 1, "page": 2}).json()["items"][0]["slug"] == "b-reseau"
    # A page is read from the store as a page (the whole table was read, then sliced: work growing with it).
    store = client.app.state.store  # type: ignore[attr-defined]
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        assert len(client.get("/api/v1/presets", params={"size": 1}).json()["items"]) == 1
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)
    (read,) = [s for s in statements if "FROM embed_presets" in s and "count(" not in s]
    assert "LIMIT" in read.upper()
    one = client.get("/api/v1/presets/a-reseau")
    assert one.status_code == 200 and one.json()["title"] == PRESET["title"] and one.headers["etag"] == '"1"'
    assert client.get("/api/v1/presets/a-reseau", headers={"If-None-Match": '"1"'}).status_code == 304


def test_roles(client: TestClient, editor: dict[str, str], contributor: dict[str, str]) -> None:
    anonymous = client.put("/api/v1/presets/reseau", json=PRESET)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
    refused = client.put("/api/v1/presets/reseau", json=PRESET, headers=contributor)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert client.put("/api/v1/presets/reseau", json=PRESET, headers=editor).status_code == 201
    assert client.delete("/api/v1/presets/reseau").status_code == 401
    assert client.delete("/api/v1/presets/reseau", headers=contributor).status_code == 403
    assert client.delete("/api/v1/presets/reseau", headers=editor).status_code == 204
    gone = client.get("/api/v1/presets/reseau")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert client.delete("/api/v1/presets/reseau", headers=editor).status_code == 404


def test_if_match_guards_against_lost_updates(client: TestClient, editor: dict[str, str]) -> None:
    client.put("/api/v1/presets/reseau", json=PRESET, headers=editor)
    ok = client.put("/api/v1/presets/reseau", json=PRESET, headers=editor | {"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = client.put("/api/v1/presets/reseau", json=PRESET, headers=editor | {"If-Match": '"1"'})
    assert stale.status_code == 409 and stale.json()["error"]["details"] == {"current_version": 2}
    bad = client.put("/api/v1/presets/reseau", json=PRESET, headers=editor | {"If-Match": "latest"})
    assert bad.status_code == 400
    missing = client.put("/api/v1/presets/nouveau", json=PRESET, headers=editor | {"If-Match": '"3"'})
    assert missing.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (PRESET | {"theme": {"accent": "red"}}, "accent"),
        (PRESET | {"theme": {"density": "tight"}}, "density"),
        (PRESET | {"facets": ["year"]}, "facets"),
        (PRESET | {"filters": {"region": ["Bourgogne"]}}, "unknown region"),
        (PRESET | {"filters": {"odd": [18]}}, "odd"),
        (PRESET | {"filters": {"territoire": "rural"}}, "territoire"),
        (PRESET | {"facets": ["territory_type"]}, "fixed by the preset's filters"),
        (PRESET | {"title": ""}, "title"),
        (PRESET | {"colour": "#FFFFFF"}, "colour"),
        ({k: v for k, v in PRESET.items() if k != "title"}, "title"),
    ],
)
def test_invalid_presets_are_refused_naming_the_field(
    client: TestClient, editor: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = client.put("/api/v1/presets/reseau", json=body, headers=editor)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error" and field in response.text


@pytest.mark.parametrize("slug", ["Reseau", "-reseau", "reseau-", "r" * 61, "réseau"])
def test_bad_slugs(client: TestClient, editor: dict[str, str], slug: str) -> None:
    assert client.put(f"/api/v1/presets/{slug}", json=PRESET, headers=editor).status_code == 422


def test_presets_are_durable(settings: Settings, client: TestClient, editor: dict[str, str]) -> None:
    client.put("/api/v1/presets/reseau", json=PRESET, headers=editor)
    client.__exit__(None, None, None)
    with TestClient(create_app(settings)) as restarted:
        assert restarted.get("/api/v1/presets/reseau").json()["title"] == PRESET["title"]


def test_preset_embed_applies_filters_and_theme(
    client: TestClient, published: list[str], editor: dict[str, str]
) -> None:
    client.put("/api/v1/presets/reseau-rural", json=PRESET, headers=editor)
    page = client.get("/embed/p/reseau-rural")
    assert page.status_code == 200 and "frame-ancestors *" in page.headers["content-security-policy"]
    api = client.get("/api/v1/search", params={"territory_type": "rural", "sort": "recent", "size": 5}).json()
    assert count_shown(page.text) == api["total"] == 2
    assert result_links(page.text) == [html.escape(h["url"]) for h in api["hits"]]
    assert "<h1>Tiers-lieux et mobilités en milieu rural</h1>" in page.text
    assert '<p class="logo">Réseau rural</p>' in page.text and 'class="density-compact"' in page.text
    assert "--accent:#A21942" in page.text
    offered = re.findall(r'<h2 id="facet-(\w+)">', page.text)
    assert offered == ["odd", "region"]  # only what the preset offers; territory_type is fixed


def test_visitor_refines_with_offered_facets_only(
    client: TestClient, published: list[str], editor: dict[str, str]
) -> None:
    client.put("/api/v1/presets/reseau-rural", json=PRESET, headers=editor)
    first = client.get("/embed/p/reseau-rural").text
    href = html.unescape(re.search(r'<a class="facet-value" href="(\?odd=13)"', first)[1])
    refined = client.get("/embed/p/reseau-rural" + href)
    assert count_shown(refined.text) == 1 and 'aria-current="true"' in refined.text
    for refused in ({"territory_type": "urbain"}, {"q": "eau"}, {"accent": "#000000"}, {"size": 50}):
        response = client.get("/embed/p/reseau-rural", params=refused)
        assert response.status_code == 400 and "n&#39;est pas modifiable dans cette intégration" in response.text
    assert client.get("/embed/p/reseau-rural", params={"odd": 99}).status_code == 400


def test_editor_changes_reach_the_partner_page(
    client: TestClient, published: list[str], editor: dict[str, str]
) -> None:
    client.put("/api/v1/presets/reseau", json=PRESET, headers=editor)
    before = client.get("/embed/p/reseau")
    changed = PRESET | {
        "title": "Littoral",
        "filters": {"territory_type": ["littoral"]},
        "theme": {"accent": "#0A97D9"},
    }
    client.put("/api/v1/presets/reseau", json=changed, headers=editor)
    after = client.get("/embed/p/reseau", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and "<h1>Littoral</h1>" in after.text and "--accent:#0A97D9" in after.text
    assert (
        count_shown(after.text) == client.get("/api/v1/search", params={"territory_type": "littoral"}).json()["total"]
    )


def test_unknown_or_deleted_preset_page(client: TestClient, editor: dict[str, str]) -> None:
    for slug in ("inconnu", "Pas-Un-Slug", "x" * 100):
        response = client.get(f"/embed/p/{slug}")
        assert response.status_code == 404 and "Intégration introuvable" in response.text
        assert response.headers["content-type"].startswith("text/html")


def test_preset_text_is_escaped(client: TestClient, published: list[str], editor: dict[str, str]) -> None:
    hostile = PRESET | {
        "title": '<script>window.__pwned=1</script>"><svg onload=1>',
        "theme": {"logo": "<img src=x onerror=alert(1)>", "accent": "#A21942"},
    }
    client.put("/api/v1/presets/hostile", json=hostile, headers=editor)
    page = client.get("/embed/p/hostile").text
    assert_inert(page)
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_outdated_stored_preset_is_a_clear_409_not_a_500(client: TestClient, editor: dict[str, str]) -> None:
    body = {"title": "Réseau breton", "filters": {"region": ["Bretagne"]}}
    assert client.put("/api/v1/presets/reseau-breton", json=body, headers=editor).status_code == 201
    store = client.app.state.store  # type: ignore[attr-defined]
    with store.engine.begin() as conn:  # a referential renamed since the preset was saved
        conn.execute(
            embed_presets.update()
            .where(embed_presets.c.slug == "reseau-breton")
            .values(content=body | {"filters": {"region": ["Armorique"]}})
        )
    response = client.get("/api/v1/presets/reseau-breton")
    assert response.status_code == 409 and response.json()["error"]["code"] == "preset_outdated"
    page = client.get("/embed/p/reseau-breton")
    assert page.status_code == 409 and "Intégration à mettre à jour" in page.text
