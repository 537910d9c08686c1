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
