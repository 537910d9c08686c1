"""A contributor proposes a change to their published practice; search keeps the published one until an editor
accepts it (then it is searchable at once) or declines it with a reason the contributor reads. On both stores."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.store import Role
from tests.api.conftest import payload

URL = "/api/v1/monographs"
TITLE = "Covoiturage solidaire en Maurienne"


def published_by(client: TestClient, contributor: dict[str, str], editor: dict[str, str]) -> dict[str, Any]:
    """A contributor's submission, published by an editor."""
    created = client.post(URL, json=payload(title=TITLE), headers=contributor).json()
    done = client.post(f"{URL}/{created['id']}/publish", headers=editor)
    assert done.status_code == 200, done.text
    published: dict[str, Any] = done.json()
    return published


def proposed(client: TestClient, practice: dict[str, Any], headers: dict[str, str], **changes: Any) -> Any:
    body = payload(title=TITLE) | changes | {"version": practice["version"]}
    return client.put(f"{URL}/{practice['id']}/proposal", json=body, headers=headers)


def titles_found(client: TestClient, q: str) -> list[str]:
    return [hit["title"] for hit in client.get("/api/v1/search", params={"q": q}).json()["hits"]]


def test_a_proposal_waits_and_search_keeps_the_published_practice(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)

    answer = proposed(client, practice, contributor, title="Covoiturage et autopartage en Maurienne", year=2019)

    assert answer.status_code == 202, answer.text
    proposal = answer.json()
    assert proposal["status"] == "pending" and proposal["title"] == TITLE
    assert proposal["changed_fields"] == ["title", "year"]
    assert proposal["base_version"] == proposal["current_version"] == practice["version"]
    assert client.get(f"{URL}/{practice['id']}").json()["title"] == TITLE
    assert titles_found(client, "autopartage") == []
    assert client.get(f"{URL}/{practice['id']}/proposal", headers=editor).json() == proposal
    assert client.get(f"{URL}/{practice['id']}/proposal", headers=contributor).json() == proposal
    # Nobody else reads it.
    assert client.get(f"{URL}/{practice['id']}/proposal").status_code == 401
    other_key, _ = client.app.state.store.create_key("Autre réseau", Role.CONTRIBUTOR)  # type: ignore[attr-defined]
    assert client.get(f"{URL}/{practice['id']}/proposal", headers={"X-API-Key": other_key}).status_code == 404


def test_an_editor_accepts_and_the_change_is_searchable_at_once(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, title="Covoiturage et autopartage en Maurienne")
    queue = client.get("/api/v1/proposals", params={"status": "pending"}, headers=editor).json()
    assert queue["total"] == 1 and queue["items"][0]["monograph_id"] == practice["id"]

    accepted = client.post(f"{URL}/{practice['id']}/proposal/accept", headers=editor)

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["title"] == "Covoiturage et autopartage en Maurienne"
    assert accepted.json()["status"] == "published" and accepted.json()["version"] == practice["version"] + 1
    assert accepted.headers["ETag"] == f'"{practice["version"] + 1}"'
    assert titles_found(client, "autopartage") == ["Covoiturage et autopartage en Maurienne"]
    assert client.get(f"{URL}/{practice['id']}/proposal", headers=contributor).status_code == 404
    assert client.get("/api/v1/proposals", headers=editor).json()["total"] == 0
    history = client.app.state.store.history(practice["id"])  # type: ignore[attr-defined]
    assert [e["action"] for e in history][-2:] == ["propose", "proposal_accepted"]


def test_an_editor_declines_with_a_reason_the_contributor_reads(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, summary="Un résumé trop court mais valide pour le test.")

    assert client.post(f"{URL}/{practice['id']}/proposal/decline", json={}, headers=editor).status_code == 422
    declined = client.post(
        f"{URL}/{practice['id']}/proposal/decline", json={"reason": "Le résumé perd les chiffres."}, headers=editor
    )

    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined" and declined.json()["reason"] == "Le résumé perd les chiffres."
    own = client.get("/api/v1/proposals", headers=contributor).json()
    assert [(p["status"], p["reason"]) for p in own["items"]] == [("declined", "Le résumé perd les chiffres.")]
    assert client.get(f"{URL}/{practice['id']}").json()["summary"] == practice["summary"]
    assert client.get(f"{URL}/{practice['id']}").json()["version"] == practice["version"]
    # A declined proposal cannot be accepted; proposing again makes it pending, with no reason.
    assert client.post(f"{URL}/{practice['id']}/proposal/accept", headers=editor).status_code == 404
    again = proposed(client, practice, contributor, summary="Un résumé repris, avec ses chiffres : 40 trajets.")
    assert again.json()["status"] == "pending" and again.json()["reason"] is None


def test_only_the_submitter_proposes_and_only_editors_decide(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    other_key, _ = client.app.state.store.create_key("Autre réseau", Role.CONTRIBUTOR)  # type: ignore[attr-defined]

    assert proposed(client, practice, {"X-API-Key": other_key}, year=2019).status_code == 404
    assert proposed(client, practice, {}, year=2019).status_code == 401
    assert proposed(client, practice, contributor, year=2019).status_code == 202
    assert client.post(f"{URL}/{practice['id']}/proposal/accept", headers=contributor).status_code == 403
    assert (
        client.post(f"{URL}/{practice['id']}/proposal/decline", json={"reason": "non"}, headers=contributor).status_code
        == 403
    )
    # Other contributors' proposals are not in a contributor's list.
    assert client.get("/api/v1/proposals", headers={"X-API-Key": other_key}).json()["total"] == 0


def test_an_edit_of_a_published_practice_points_to_proposals(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)

    edit = client.put(f"{URL}/{practice['id']}", json=payload(version=practice["version"]), headers=contributor)

    assert edit.status_code == 403
    assert f"PUT /api/v1/monographs/{practice['id']}/proposal" in edit.json()["error"]["message"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [("stale", 409), ("unchanged", 422), ("no_version", 428), ("pending_practice", 409), ("bad_field", 422)],
)
def test_a_proposal_that_cannot_be_taken_says_why_and_changes_nothing(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str], case: str, expected: int
) -> None:
    practice = published_by(client, contributor, editor)
    url = f"{URL}/{practice['id']}/proposal"
    body = payload(title=TITLE, year=2019) | {"version": practice["version"]}
    if case == "stale":
        body["version"] = practice["version"] - 1
    elif case == "unchanged":
        body = payload(title=TITLE) | {"version": practice["version"]}
    elif case == "no_version":
        del body["version"]
    elif case == "pending_practice":
        pending = client.post(URL, json=payload(title="Une autre fiche en attente"), headers=contributor).json()
        url, body["version"] = f"{URL}/{pending['id']}/proposal", 1
    elif case == "bad_field":
        body["odd"] = [18]

    answer = client.put(url, json=body, headers=contributor)

    assert answer.status_code == expected, answer.text
    assert answer.json()["error"]["message"]
    assert client.get("/api/v1/proposals", headers=editor).json()["total"] == 0


def test_a_practice_edited_after_the_proposal_cannot_take_it(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, title="Covoiturage et autopartage en Maurienne")
    edited = client.put(
        f"{URL}/{practice['id']}", json=payload(title=TITLE, year=2018, version=practice["version"]), headers=editor
    )
    assert edited.status_code == 200

    refused = client.post(f"{URL}/{practice['id']}/proposal/accept", headers=editor)

    assert refused.status_code == 409 and "edited after this proposal" in refused.json()["error"]["message"]
    now = client.get(f"{URL}/{practice['id']}").json()
    assert (now["title"], now["year"]) == (TITLE, 2018)
    assert client.get(f"{URL}/{practice['id']}/proposal", headers=editor).json()["current_version"] == now["version"]


def test_a_contributor_withdraws_a_proposal(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, year=2019)

    assert client.delete(f"{URL}/{practice['id']}/proposal", headers=contributor).status_code == 204

    assert client.get(f"{URL}/{practice['id']}/proposal", headers=contributor).status_code == 404
    assert client.delete(f"{URL}/{practice['id']}/proposal", headers=contributor).status_code == 404
    assert client.post(f"{URL}/{practice['id']}/proposal/accept", headers=editor).status_code == 404


def test_a_proposal_replaced_after_the_editor_read_it_is_not_lost(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    """The store settles the proposal it read: one replaced in between is a conflict, never dropped."""
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, year=2019)
    store = client.app.state.store  # type: ignore[attr-defined]
    read = store.proposal(practice["id"])
    proposed(client, practice, contributor, year=2020)
    original = store.proposal
    store.proposal = lambda monograph_id: read  # the editor's read, from before the replacement
    try:
        refused = client.post(f"{URL}/{practice['id']}/proposal/accept", headers=editor)
    finally:
        store.proposal = original

    assert refused.status_code == 409
    assert store.proposal(practice["id"]).content.year == 2020
    assert client.get(f"{URL}/{practice['id']}").json()["version"] == practice["version"]
