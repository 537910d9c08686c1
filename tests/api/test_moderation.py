"""What editors read while moderating: the submitter, and possible duplicates (same external id, similar title)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.duplicates import similar_titles
from api.store import Role
from schemas.monograph import MonographContent, Status
from tests.api.conftest import payload

URL = "/api/v1/monographs"
TITLE = "Un covoiturage solidaire pour les villages du plateau"


def submit(client: TestClient, headers: dict[str, str], **fields: object) -> dict[str, object]:
    response = client.post(URL, json=payload(**fields), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_similar_titles_share_most_of_their_meaningful_words() -> None:
    assert similar_titles(TITLE, "Le covoiturage solidaire des villages du Plateau")
    assert similar_titles("L'épicerie sociale d'Aubenas", "Une épicerie sociale à Aubenas")
    assert not similar_titles(TITLE, "Un covoiturage pour les salariés de la zone d'activités")
    assert not similar_titles("de la", "de la")  # no meaningful word, nothing in common


def test_the_submitter_is_named_for_editors_only(
    client: TestClient, editor: dict[str, str], contributor: dict[str, str]
) -> None:
    created = submit(client, contributor)

    answer = client.get(f"{URL}/{created['id']}/submitter", headers=editor)

    assert answer.status_code == 200
    assert answer.json()["name"] == "Contributeur test" and answer.json()["role"] == "contributor"
    assert client.get(f"{URL}/{created['id']}/submitter", headers=contributor).status_code == 403
    assert client.get(f"{URL}/{created['id']}/submitter").status_code == 401
    assert client.get(f"{URL}/nope-123/submitter", headers=editor).status_code == 404


def test_a_practice_without_a_submitting_key_has_none(client: TestClient, editor: dict[str, str]) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    monograph, _ = store.create(MonographContent.model_validate(payload()), Status.SUBMITTED, None)

    answer = client.get(f"{URL}/{monograph.id}/submitter", headers=editor)

    assert answer.status_code == 200 and answer.json() is None


def test_the_same_external_id_from_another_key_is_a_possible_duplicate(
    client: TestClient, editor: dict[str, str], contributor: dict[str, str]
) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    other_key, _ = store.create_key("Autre réseau", Role.CONTRIBUTOR)
    published = submit(client, editor, title="Une cantine bio", external_id="reseau-7", status="published")
    pending = submit(client, {"X-API-Key": other_key}, title="Des navettes rurales", external_id="reseau-7")
    unrelated = submit(client, contributor, title="Un atelier vélo", external_id="reseau-8")
    created = submit(client, contributor, title="Un jardin partagé", external_id="reseau-7")

    found = client.get(f"{URL}/{created['id']}/duplicates", headers=editor).json()

    by_id = {d["id"]: d for d in found}
    assert set(by_id) == {published["id"], pending["id"]}
    assert by_id[published["id"]]["reason"] == "external_id"
    assert by_id[published["id"]]["url"] == f"https://pratiques.example/fiche?id={published['id']}"
    assert by_id[pending["id"]]["status"] == "submitted" and by_id[pending["id"]]["url"] is None
    assert unrelated["id"] not in by_id


def test_a_published_practice_with_a_similar_title_is_a_possible_duplicate(
    client: TestClient, editor: dict[str, str], contributor: dict[str, str]
) -> None:
    same = submit(client, editor, title=TITLE, status="published")
    close_words = submit(client, editor, title="Un covoiturage pour les salariés du plateau", status="published")
    created = submit(client, contributor, title="Le covoiturage solidaire des villages du Plateau")

    found = client.get(f"{URL}/{created['id']}/duplicates", headers=editor).json()

    assert [(d["id"], d["title"], d["reason"], d["status"]) for d in found] == [
        (same["id"], TITLE, "title", "published")
    ]
    assert close_words["id"] not in {d["id"] for d in found}
    # A practice is never its own duplicate, once published either.
    client.post(f"{URL}/{created['id']}/publish", headers=editor)
    again = client.get(f"{URL}/{created['id']}/duplicates", headers=editor).json()
    assert created["id"] not in {d["id"] for d in again} and same["id"] in {d["id"] for d in again}


def test_duplicates_are_for_editors(client: TestClient, editor: dict[str, str], contributor: dict[str, str]) -> None:
    created = submit(client, contributor)

    assert client.get(f"{URL}/{created['id']}/duplicates", headers=contributor).status_code == 403
    assert client.get(f"{URL}/nope-123/duplicates", headers=editor).status_code == 404
    bad = client.get(f"{URL}/Pas%20un%20id/duplicates", headers=editor)
    assert bad.status_code == 422 and "monograph_id" in bad.text


def test_a_decision_applies_to_the_version_the_editor_reviewed(
    client: TestClient, editor: dict[str, str], contributor: dict[str, str]
) -> None:
    """A sheet its contributor changed after the editor read it is neither published nor rejected unseen."""
    created = submit(client, contributor)
    changed = client.put(
        f"{URL}/{created['id']}",
        json=payload(title="Un texte remplacé après la relecture"),
        headers=contributor | {"If-Match": '"1"'},
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2

    for path, body, headers in (
        ("publish", {"version": 1}, editor),
        ("publish", None, editor | {"If-Match": '"1"'}),
        ("reject", {"reason": "Merci de chiffrer les résultats.", "version": 1}, editor),
        ("reject", {"reason": "Merci de chiffrer les résultats."}, editor | {"If-Match": '"1"'}),
    ):
        refused = client.post(f"{URL}/{created['id']}/{path}", json=body, headers=headers)
        assert refused.status_code == 409, (path, refused.text)
        assert refused.json()["error"]["details"] == {"current_version": 2, "status": "submitted"}
    stored = client.get(f"{URL}/{created['id']}", headers=editor).json()
    assert (stored["status"], stored["version"]) == ("submitted", 2)

    published = client.post(f"{URL}/{created['id']}/publish", json={"version": 2}, headers=editor)
    assert published.status_code == 200 and published.json()["title"] == "Un texte remplacé après la relecture"


def test_a_decision_taken_twice_changes_nothing_the_second_time(
    client: TestClient, editor: dict[str, str], contributor: dict[str, str]
) -> None:
    """Publishing a published practice would date it again (to the top of every feed); rejecting twice would write
    a second event (but for a new reason); archiving an archived practice is a DELETE repeated: 204, nothing written."""
    published = client.post(f"{URL}/{submit(client, contributor)['id']}/publish", headers=editor).json()
    again = client.post(f"{URL}/{published['id']}/publish", headers=editor)
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    assert "already published" in again.json()["error"]["message"]
    now = client.get(f"{URL}/{published['id']}").json()
    assert (now["version"], now["published_at"]) == (published["version"], published["published_at"])

    rejected = submit(client, contributor)
    reason = {"reason": "Merci de chiffrer les résultats."}
    assert client.post(f"{URL}/{rejected['id']}/reject", json=reason, headers=editor).status_code == 200
    assert client.post(f"{URL}/{rejected['id']}/reject", json=reason, headers=editor).status_code == 409
    # A new reason replaces the one the contributor reads (test_monographs.py).

    assert client.delete(f"{URL}/{published['id']}", headers=editor).status_code == 204
    archived = client.get(f"{URL}/{published['id']}", headers=editor).json()
    assert client.delete(f"{URL}/{published['id']}", headers=editor).status_code == 204
    assert client.get(f"{URL}/{published['id']}", headers=editor).json()["version"] == archived["version"]
    history = client.get(f"{URL}/{published['id']}/history", headers=editor).json()
    assert [event["action"] for event in history["items"]][:2] == ["archived", "published"]


def test_a_decision_with_a_misspelt_field_is_refused(client: TestClient, editor: dict[str, str]) -> None:
    """An unknown field is a 422 naming it, not silently ignored (`Version` would skip the version check)."""
    for path, body in (
        ("publish", {"Version": 1}),
        ("reject", {"reason": "Merci de chiffrer les résultats.", "versoin": 1}),
        ("proposal/accept", {"Version": 1}),
        ("proposal/decline", {"reason": "Merci de chiffrer les résultats.", "version": 1}),
    ):
        refused = client.post(f"{URL}/some-practice-1/{path}", json=body, headers=editor | {"If-Match": '"1"'})
        assert refused.status_code == 422, (path, refused.text)
        (detail,) = refused.json()["error"]["details"]
        assert detail["type"] == "extra_forbidden" and detail["loc"][0] == "body", detail
