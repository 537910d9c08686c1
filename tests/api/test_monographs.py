from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.store import Role
from api.store.tables import monographs
from schemas.monograph import Monograph
from tests.api.conftest import payload

URL = "/api/v1/monographs"


def test_write_needs_a_key(client: TestClient) -> None:
    response = client.post(URL, json=payload())
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    wrong = client.post(URL, json=payload(), headers={"X-API-Key": "imp_nope"})
    assert wrong.status_code == 401


def test_bearer_header_is_accepted(client: TestClient, contributor: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {contributor['X-API-Key']}"}
    assert client.post(URL, json=payload(), headers=headers).status_code == 201
    assert client.post(URL, json=payload(), headers={"Authorization": "Basic abc"}).status_code == 401


def test_revoked_key_is_refused(client: TestClient) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    key, record = store.create_key("Temporaire", Role.CONTRIBUTOR)
    store.revoke_key(record.id)
    assert client.post(URL, json=payload(), headers={"X-API-Key": key}).status_code == 401


def test_contributor_submission_awaits_moderation(client: TestClient, contributor: dict[str, str]) -> None:
    response = client.post(URL, json=payload(), headers=contributor)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "submitted" and body["version"] == 1
    assert response.headers["Location"] == f"{URL}/{body['id']}"
    assert client.get("/api/v1/search", params={"q": "covoiturage"}).json()["total"] == 0
    # Not public, but visible to its submitter.
    assert client.get(f"{URL}/{body['id']}").status_code == 404
    assert client.get(f"{URL}/{body['id']}", headers=contributor).status_code == 200


def test_contributor_cannot_publish(client: TestClient, contributor: dict[str, str]) -> None:
    response = client.post(URL, json=payload(status="published"), headers=contributor)
    assert response.status_code == 403


def test_editor_publishes_at_once_read_after_write(client: TestClient, editor: dict[str, str]) -> None:
    response = client.post(URL, json=payload(status="published"), headers=editor)
    assert response.status_code == 201
    hits = client.get("/api/v1/search", params={"q": "covoiturage"}).json()["hits"]
    assert [h["id"] for h in hits] == [response.json()["id"]]


def test_external_id_is_idempotent(client: TestClient, contributor: dict[str, str]) -> None:
    first = client.post(URL, json=payload(external_id="reseau-42"), headers=contributor)
    again = client.post(URL, json=payload(external_id="reseau-42"), headers=contributor)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    mine = client.get(URL, headers=contributor).json()
    assert mine["total"] == 1


def test_idempotency_key_header(client: TestClient, contributor: dict[str, str]) -> None:
    headers = contributor | {"Idempotency-Key": "5b1f"}
    first = client.post(URL, json=payload(), headers=headers)
    again = client.post(URL, json=payload(), headers=headers)
    assert again.json()["id"] == first.json()["id"]


def test_a_key_or_external_id_sent_again_with_other_content_is_refused_not_replayed(
    client: TestClient, contributor: dict[str, str]
) -> None:
    """A retry repeats its request: the same key or external id with another body was answered with the first
    practice as a replay, and the new content was lost without a word."""
    headers = contributor | {"Idempotency-Key": "5b1f"}
    first = client.post(URL, json=payload(external_id="reseau-42"), headers=headers).json()
    where = {"id": first["id"], "version": 1, "status": "submitted"}

    reused = client.post(URL, json=payload(title="Une tout autre pratique"), headers=headers)
    taken = client.post(URL, json=payload(external_id="reseau-42", title="Une version corrigée"), headers=contributor)
    retried = client.post(URL, json=payload(external_id="reseau-42"), headers=headers)

    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    assert reused.json()["error"]["details"] == where
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "external_id_taken"
    assert f"PUT /api/v1/monographs/{first['id']}" in taken.json()["error"]["message"]
    assert retried.status_code == 200 and retried.json()["id"] == first["id"]  # the very same request: a replay
    assert client.get(URL, headers=contributor).json()["total"] == 1


def test_a_practice_created_before_fingerprints_is_still_replayed(
    client: TestClient, contributor: dict[str, str]
) -> None:
    """Rows from before migration 0007 have no fingerprint: their retries are answered as before."""
    store = client.app.state.store  # type: ignore[attr-defined]
    first = client.post(URL, json=payload(external_id="reseau-7"), headers=contributor).json()
    with store.engine.begin() as conn:
        conn.execute(sa.update(monographs).where(monographs.c.id == first["id"]).values(request_hash=None))

    again = client.post(URL, json=payload(external_id="reseau-7", title="Une version corrigée"), headers=contributor)

    assert again.status_code == 200 and again.json()["id"] == first["id"]


def test_update_with_version_and_conflict(client: TestClient, contributor: dict[str, str]) -> None:
    created = client.post(URL, json=payload(), headers=contributor).json()
    url = f"{URL}/{created['id']}"
    ok = client.put(url, json=payload(title="Covoiturage solidaire en Maurienne", version=1), headers=contributor)
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.headers["ETag"] == '"2"'
    stale = client.put(url, json=payload(title="Version perdue"), headers=contributor | {"If-Match": '"1"'})
    assert stale.status_code == 409 and stale.json()["error"]["details"]["current_version"] == 2
    assert client.get(url, headers=contributor).json()["title"] == "Covoiturage solidaire en Maurienne"
    missing = client.put(url, json=payload(), headers=contributor)
    assert missing.status_code == 428


def test_contributor_cannot_edit_others_or_moderated(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    other = client.post(URL, json=payload(), headers=editor).json()
    assert client.put(f"{URL}/{other['id']}", json=payload(version=1), headers=contributor).status_code == 404
    mine = client.post(URL, json=payload(), headers=contributor).json()
    client.post(f"{URL}/{mine['id']}/publish", headers=editor)
    assert client.put(f"{URL}/{mine['id']}", json=payload(version=2), headers=contributor).status_code == 403


def test_moderation_flow(client: TestClient, contributor: dict[str, str], editor: dict[str, str]) -> None:
    created = client.post(URL, json=payload(), headers=contributor).json()
    queue = client.get(URL, params={"status": "submitted"}, headers=editor).json()
    assert [m["id"] for m in queue["items"]] == [created["id"]]
    assert client.post(f"{URL}/{created['id']}/publish", headers=contributor).status_code == 403
    published = client.post(f"{URL}/{created['id']}/publish", headers=editor)
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert client.get("/api/v1/search", params={"q": "covoiturage"}).json()["total"] == 1
    assert client.get(f"{URL}/{created['id']}").status_code == 200
    deleted = client.delete(f"{URL}/{created['id']}", headers=editor)
    assert deleted.status_code == 204
    assert client.get("/api/v1/search", params={"q": "covoiturage"}).json()["total"] == 0
    assert client.get(f"{URL}/{created['id']}").status_code == 404


def test_an_archive_with_if_match_archives_only_the_version_read(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    """DELETE took no notice of If-Match: an editor archiving what they read archived a practice changed since."""
    created = client.post(URL, json=payload(), headers=contributor).json()
    published = client.post(f"{URL}/{created['id']}/publish", headers=editor).json()
    stale = client.delete(f"{URL}/{created['id']}", headers=editor | {"If-Match": f'"{created["version"]}"'})
    assert stale.status_code == 409 and stale.json()["error"]["details"]["current_version"] == published["version"]
    assert client.get(f"{URL}/{created['id']}").status_code == 200  # still published
    read = {"If-Match": f'"{published["version"]}"'}
    assert client.delete(f"{URL}/{created['id']}", headers=editor | read).status_code == 204
    assert client.delete(f"{URL}/{created['id']}", headers=editor | read).status_code == 204  # a retry
    assert client.delete(f"{URL}/{created['id']}", headers=editor | {"If-Match": "*"}).status_code == 204  # any
    assert client.get(f"{URL}/{created['id']}").status_code == 404


def test_a_practice_read_again_unchanged_is_a_304(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    """Its ETag (the version) was sent, but If-None-Match always got the whole practice again; and nothing said a
    shared cache must not keep what one key may read."""
    created = client.post(URL, json=payload(status="published"), headers=editor).json()
    first = client.get(f"{URL}/{created['id']}")
    assert first.headers["etag"] == f'"{created["version"]}"' and first.headers["cache-control"] == "private, no-cache"
    assert "X-API-Key" in first.headers["vary"]
    again = client.get(f"{URL}/{created['id']}", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]
    client.put(
        f"{URL}/{created['id']}",
        json=payload(summary="Un résumé tout neuf pour la même pratique du Diois", version=created["version"]),
        headers=editor,
    )
    changed = client.get(f"{URL}/{created['id']}", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.json()["summary"].startswith("Un résumé tout neuf")


def test_the_queue_lists_unresolved_territories_apart(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    valley = client.post(URL, json=payload(territory={"name": "Vallée de la Drôme"}), headers=contributor).json()
    die = client.post(URL, json=payload(territory={"name": "Die", "code": "26113"}), headers=contributor).json()
    assert (valley["territory"]["resolved"], die["territory"]["resolved"]) == (False, True)
    queue = {"status": "submitted", "territory_resolved": "false"}
    unresolved = client.get(URL, params=queue, headers=editor).json()
    assert unresolved["total"] == 1 and [m["id"] for m in unresolved["items"]] == [valley["id"]]
    assert unresolved["items"][0]["territory"]["resolved"] is False  # the marker a queue shows
    resolved = client.get(URL, params=queue | {"territory_resolved": "true"}, headers=editor).json()
    assert [m["id"] for m in resolved["items"]] == [die["id"]]
    assert client.get(URL, params={"status": "submitted"}, headers=editor).json()["total"] == 2
    bad = client.get(URL, params={"territory_resolved": "peut-être"}, headers=editor)
    assert bad.status_code == 422 and "query.territory_resolved" in bad.json()["error"]["message"]


def test_reject_needs_a_reason(client: TestClient, contributor: dict[str, str], editor: dict[str, str]) -> None:
    created = client.post(URL, json=payload(), headers=contributor).json()
    assert client.post(f"{URL}/{created['id']}/reject", json={}, headers=editor).status_code == 422
    rejected = client.post(f"{URL}/{created['id']}/reject", json={"reason": "Résultats non chiffrés"}, headers=editor)
    assert rejected.json()["status"] == "rejected" and rejected.json()["rejection_reason"] == "Résultats non chiffrés"
    again = client.post(f"{URL}/{created['id']}/reject", json={"reason": "Encore"}, headers=editor)
    assert again.status_code == 200 and again.json()["rejection_reason"] == "Encore"  # a new reason replaces it


def test_a_contributor_edits_a_rejected_submission_back_into_moderation(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    created = client.post(URL, json=payload(), headers=contributor).json()
    rejected = client.post(f"{URL}/{created['id']}/reject", json={"reason": "Résultats non chiffrés"}, headers=editor)
    edited = client.put(
        f"{URL}/{created['id']}",
        json=payload(results="Douze emplois créés en deux ans."),
        headers=contributor | {"If-Match": rejected.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["status"], body["rejection_reason"], body["results"]) == (
        "submitted",
        None,
        "Douze emplois créés en deux ans.",
    )
    queue = client.get(URL, params={"status": "submitted"}, headers=editor).json()["items"]
    assert created["id"] in [item["id"] for item in queue]
    # Once published, it is the editors' again.
    published = client.post(f"{URL}/{created['id']}/publish", headers=editor)
    refused = client.put(
        f"{URL}/{created['id']}", json=payload(), headers=contributor | {"If-Match": published.headers["etag"]}
    )
    assert refused.status_code == 403 and "published" in refused.json()["error"]["message"]


def test_similar(client: TestClient, published: list[str]) -> None:
    similar = client.get(f"{URL}/{published[2]}/similar").json()
    assert 0 < len(similar) <= 5 and published[2] not in [s["id"] for s in similar]
    assert client.get(f"{URL}/{published[7]}/similar").status_code == 404


def test_validation_errors_name_field_and_rule(client: TestClient, contributor: dict[str, str]) -> None:
    body = payload(title="", odd=[18], territory_types=["banlieue"], summary="court")
    error = client.post(URL, json=body, headers=contributor).json()["error"]
    locs = {tuple(d["loc"]) for d in error["details"]}
    assert ("body", "title") in locs and ("body", "summary") in locs
    assert ("body", "odd", 0) in locs and ("body", "territory_types", 0) in locs
    assert "at least 3 characters" in error["message"] or "at least 3" in json.dumps(error)


@pytest.mark.parametrize(
    ("changed", "where"),
    [({"odd": [True]}, "body.odd.0"), ({"odd": [2.0]}, "body.odd.0"), ({"year": "2020"}, "body.year")],
)
def test_a_number_written_otherwise_is_refused_not_read_as_one(
    client: TestClient, contributor: dict[str, str], changed: dict[str, Any], where: str
) -> None:
    """`odd: [true]` was stored as ODD 1: a partner's mistake became a wrong theme, silently."""
    answer = client.post(URL, json=payload(**changed), headers=contributor)
    assert answer.status_code == 422
    assert f"{where}: Input should be a valid integer" in answer.json()["error"]["message"]
    assert client.app.state.store.count() == 0  # type: ignore[attr-defined]


def test_a_message_naming_some_problems_says_how_many_more_the_details_list(
    client: TestClient, contributor: dict[str, str]
) -> None:
    error = client.post(URL, json={}, headers=contributor).json()["error"]
    assert len(error["details"]) == 6  # title, summary, territory, territory_types, actor_categories, odd
    assert error["message"].endswith("body.actor_categories: Field required; and 1 more problem (see details)")


def test_a_start_year_after_next_year_is_refused_but_stored_ones_stay_readable(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    next_year = datetime.now(UTC).year + 1
    refused = client.post(URL, json=payload(year=2099), headers=contributor)
    assert refused.status_code == 422
    assert (
        refused.json()["error"]["message"]
        == f"invalid request: body.year: the start year must not be after {next_year}"
    )
    created = client.post(URL, json=payload(year=next_year), headers=contributor)
    assert created.status_code == 201
    # Written before the rule (or under another clock): still read, listed and exported.
    Monograph.model_validate(created.json() | {"year": 2099})
    update = payload(year=2099, version=1)
    assert client.put(f"{URL}/{created.json()['id']}", json=update, headers=contributor).status_code == 422


def test_tags_and_programmes_are_kept_once_whatever_their_case(client: TestClient, contributor: dict[str, str]) -> None:
    body = payload(tags=["Mobilité", "mobilité", "covoiturage", "MOBILITÉ"], programmes=["PVD", "pvd", "LEADER"])
    created = client.post(URL, json=body, headers=contributor).json()
    assert created["tags"] == ["Mobilité", "covoiturage"] and created["programmes"] == ["PVD", "LEADER"]


def test_unknown_field_is_an_error(client: TestClient, contributor: dict[str, str]) -> None:
    response = client.post(URL, json=payload(titre="Faute de frappe"), headers=contributor)
    assert response.status_code == 422 and "titre" in response.text


def test_bad_bodies_answer_cleanly_and_write_nothing(client: TestClient, contributor: dict[str, str]) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    huge = client.post(
        URL,
        content=b'{"title": "' + b"a" * 10_000_000 + b'"}',
        headers=contributor | {"Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    malformed = client.post(URL, content=b'{"title": ', headers=contributor | {"Content-Type": "application/json"})
    assert malformed.status_code == 422
    not_utf8 = client.post(
        URL, content=b'{"title": "\xff\xfe"}', headers=contributor | {"Content-Type": "application/json"}
    )
    assert not_utf8.status_code in (400, 422) and not_utf8.json()["error"]["message"]
    wrong_type = client.post(
        URL, content=b"title=x", headers=contributor | {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert wrong_type.status_code == 415
    not_object = client.post(URL, json=[1, 2], headers=contributor)
    assert not_object.status_code == 422
    assert store.count() == 0


@pytest.mark.parametrize(
    ("field", "raw", "where", "problem"),
    [
        ("title", b"NaN", "body", "not standard JSON"),
        ("title", b"-Infinity", "body", "not standard JSON"),
        ("title", b'"Un atelier \\ud800 partag\u00e9"', "body", "no low surrogate"),
        ("title", b'"Un atelier\\u0000 partag\u00e9"', "body.title", "NUL character"),
        ("actors", b'[{"name": "A", "category": "association", "role": "\\u0000"}]', "body.actors.0.role", "NUL"),
        ("tags", b'["ok", "a\\u0000b"]', "body.tags.1", "NUL character"),
    ],
    ids=["nan", "infinity", "lone-surrogate", "nul", "nested-nul", "nul-in-list"],
)
def test_text_no_database_stores_is_a_422_naming_where(
    client: TestClient, contributor: dict[str, str], field: str, raw: bytes, where: str, problem: str
) -> None:
    """Python's JSON reader takes NaN, Infinity and lone surrogates, which no answer can echo (each was a 500), and
    PostgreSQL refuses the NUL character: refused before any route, the field named."""
    store = client.app.state.store  # type: ignore[attr-defined]
    body = json.dumps(payload() | {field: "__RAW__"}).encode().replace(b'"__RAW__"', raw)

    answer = client.post(URL, content=body, headers=contributor | {"Content-Type": "application/json"})

    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and f"{where}: " in error["message"] and problem in error["message"]
    assert ".".join(str(part) for part in error["details"][0]["loc"]) == where
    assert store.count() == 0


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("Un atelier\u202e partagé", "Un atelier partagé"),  # a bidirectional override could disguise a title
        ("Un atelier \u2066partagé\u2069", "Un atelier partagé"),  # as Outlook and Teams wrap pasted text
        ("Un\u0007 atelier\u0085 partagé", "Un atelier\n partagé"),  # a bell; NEL, a line break
        ("Un atelier\x0bpartagé", "Un atelier\npartagé"),  # Word's Shift+Enter: a line break
        ("Ligne 1\n\tligne 2 : C:\\bin é", "Ligne 1\n\tligne 2 : C:\\bin é"),  # tabs and line feeds stay
    ],
)
def test_invisible_control_characters_are_dropped_and_other_line_breaks_kept(
    client: TestClient, contributor: dict[str, str], written: str, kept: str
) -> None:
    """Control characters and bidirectional controls have no place in a practice. Dropped rather than refused: a
    practice stored with one before still saves once edited, and an export (which writes them) still imports."""
    body = json.dumps(payload(context=written, programmes=[written]), ensure_ascii=True).encode()
    answer = client.post(URL, content=body, headers=contributor | {"Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["context"] == kept and answer.json()["programmes"] == [kept]


def test_decomposed_text_is_stored_composed_and_found_by_its_accented_words(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    """« école » written decomposed (`e` and a combining accent, as some Macs copy it) looked the same but was found
    neither by « école » nor by « ecole », and its highlight was cut in two."""
    decomposed = unicodedata.normalize("NFD", "Une école du numérique ouverte aux habitants du Diois")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    made = client.post(URL, json=payload() | {"summary": decomposed}, headers=contributor).json()
    assert made["summary"] == unicodedata.normalize("NFC", decomposed)
    client.post(f"{URL}/{made['id']}/publish", json={"version": made["version"]}, headers=editor)
    for words in ("école numérique", "ecole", unicodedata.normalize("NFD", "école numérique")):
        found = client.get("/api/v1/search", params={"q": words, "mode": "lexical"}).json()
        assert [hit["id"] for hit in found["hits"]] == [made["id"]], words
    assert "<mark>école</mark>" in found["hits"][0]["highlight"]["summary"]


def test_list_requires_key_and_scopes_contributors(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    assert client.get(URL).status_code == 401
    client.post(URL, json=payload(), headers=editor)
    client.post(URL, json=payload(), headers=contributor)
    assert client.get(URL, headers=contributor).json()["total"] == 1
    assert client.get(URL, headers=editor).json()["total"] == 2


def test_unknown_monograph(client: TestClient) -> None:
    response = client.get(f"{URL}/nexiste-pas")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.get(f"{URL}/BAD ID!").status_code == 422


def test_keys_me(client: TestClient, contributor: dict[str, str], editor: dict[str, str]) -> None:
    assert client.get("/api/v1/keys/me", headers=contributor).json()["role"] == "contributor"
    assert client.get("/api/v1/keys/me", headers=editor).json()["role"] == "editor"
    assert client.get("/api/v1/keys/me").status_code == 401


def test_a_parameter_a_keyed_route_does_not_take_is_a_422_naming_it(client: TestClient, editor: dict[str, str]) -> None:
    """As on /search: `?statut=pending` listed every proposal, `?Status=submitted` the whole queue."""
    for url, name in (
        ("/api/v1/proposals?statut=pending", "statut"),
        (f"{URL}?Status=submitted", "Status"),
        (f"{URL}/some-practice-1/history?size=2&sort=oldest", "sort"),
    ):
        refused = client.get(url, headers=editor)
        assert refused.status_code == 422, url
        (detail,) = refused.json()["error"]["details"]
        assert detail["loc"] == ["query", name] and detail["type"] == "extra_forbidden"
        assert "unknown parameter (this route takes" in refused.json()["error"]["message"]
    assert client.get(URL, params={"status": "submitted", "size": 5}, headers=editor).status_code == 200


def test_a_title_or_reason_without_words_is_refused(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    """Three zero-width spaces made a title, three spaces a reason: neither says anything."""
    blank_title = client.post(URL, json=payload(title="\u200b\u200b\u200b"), headers=contributor)
    assert blank_title.status_code == 422 and "body.title: Value error, must contain words" in blank_title.text
    created = client.post(URL, json=payload(), headers=contributor).json()
    blank_reason = client.post(f"{URL}/{created['id']}/reject", json={"reason": "   "}, headers=editor)
    assert blank_reason.status_code == 422 and "body.reason" in blank_reason.json()["error"]["message"]


def test_a_body_with_a_byte_order_mark_is_read_and_a_deep_one_is_checked_cheaply(
    client: TestClient, contributor: dict[str, str]
) -> None:
    """Windows tools write a UTF-8 BOM, which JSON readers may ignore; a NUL deep in a large body is found, named."""
    headers = contributor | {"Content-Type": "application/json"}
    with_bom = client.post(URL, content=b"\xef\xbb\xbf" + json.dumps(payload()).encode(), headers=headers)
    assert with_bom.status_code == 201, with_bom.text
    tags = ["ok"] * 20_000 + ["a\u0000b"]  # about 200 KB: checked in a worker thread
    deep = client.post(URL, content=json.dumps(payload() | {"tags": tags}).encode(), headers=headers)
    assert deep.status_code == 422 and deep.json()["error"]["details"][0]["loc"] == ["body", "tags", 20_000]
