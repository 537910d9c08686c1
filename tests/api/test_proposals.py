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


def decided(client: TestClient, practice: dict[str, Any], action: str, headers: dict[str, str], **body: Any) -> Any:
    """An editor's decision on the proposal as they read it now (its revision as If-Match)."""
    read = client.get(f"{URL}/{practice['id']}/proposal", headers=headers)
    assert read.status_code == 404 or read.headers["ETag"] == f'"{read.json()["revision"]}"'
    revision = read.headers.get("ETag", '"1"')  # none to review: any revision
    return client.post(
        f"{URL}/{practice['id']}/proposal/{action}", json=body or None, headers=headers | {"If-Match": revision}
    )


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
    assert client.get(f"{URL}/{practice['id']}/proposal", headers={"X-API-Key": other_key}).status_code == 403


def test_an_editor_accepts_and_the_change_is_searchable_at_once(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, title="Covoiturage et autopartage en Maurienne")
    queue = client.get("/api/v1/proposals", params={"status": "pending"}, headers=editor).json()
    assert queue["total"] == 1 and queue["items"][0]["monograph_id"] == practice["id"]

    accepted = decided(client, practice, "accept", editor)

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

    assert decided(client, practice, "decline", editor).status_code == 422
    declined = decided(client, practice, "decline", editor, reason="Le résumé perd les chiffres.")

    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined" and declined.json()["reason"] == "Le résumé perd les chiffres."
    own = client.get("/api/v1/proposals", headers=contributor).json()
    assert [(p["status"], p["reason"]) for p in own["items"]] == [("declined", "Le résumé perd les chiffres.")]
    assert client.get(f"{URL}/{practice['id']}").json()["summary"] == practice["summary"]
    assert client.get(f"{URL}/{practice['id']}").json()["version"] == practice["version"]
    # A declined proposal cannot be accepted; proposing again makes it pending, with no reason.
    assert decided(client, practice, "accept", editor).status_code == 404
    again = proposed(client, practice, contributor, summary="Un résumé repris, avec ses chiffres : 40 trajets.")
    assert again.json()["status"] == "pending" and again.json()["reason"] is None


def test_only_the_submitter_proposes_and_only_editors_decide(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    other_key, _ = client.app.state.store.create_key("Autre réseau", Role.CONTRIBUTOR)  # type: ignore[attr-defined]

    assert proposed(client, practice, {"X-API-Key": other_key}, year=2019).status_code == 403
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
    assert client.get(f"{URL}/{practice['id']}").json()["version"] == practice["version"]


def test_an_editor_edit_since_the_proposal_is_kept_when_it_is_accepted(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    """A proposal holds only the fields its author changed: accepting it applies them to the current sheet."""
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, title="Covoiturage et autopartage en Maurienne")
    edited = client.put(
        f"{URL}/{practice['id']}", json=payload(title=TITLE, year=2018, version=practice["version"]), headers=editor
    )
    assert edited.status_code == 200
    read = client.get(f"{URL}/{practice['id']}/proposal", headers=editor).json()
    assert read["changed_fields"] == ["title"] and read["published_values"] == {"title": TITLE}
    assert (read["base_version"], read["current_version"]) == (practice["version"], edited.json()["version"])

    accepted = decided(client, practice, "accept", editor)

    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["title"], accepted.json()["year"]) == ("Covoiturage et autopartage en Maurienne", 2018)


def test_a_decision_is_on_the_proposal_the_editor_reviewed(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    reviewed = proposed(client, practice, contributor, year=2019).json()["revision"]
    proposed(client, practice, contributor, year=2020, title="Covoiturage solidaire et gratuit en Maurienne")
    url = f"{URL}/{practice['id']}/proposal"

    unseen = client.post(f"{url}/accept", headers=editor | {"If-Match": f'"{reviewed}"'})
    wrong_reason = client.post(
        f"{url}/decline", json={"reason": "Non."}, headers=editor | {"If-Match": f'"{reviewed}"'}
    )
    blind = client.post(f"{url}/accept", headers=editor)

    assert unseen.status_code == wrong_reason.status_code == 409, unseen.text
    assert "proposed again since you read it" in unseen.json()["error"]["message"]
    assert blind.status_code == 428 and "If-Match" in blind.json()["error"]["message"]
    assert client.get(f"{URL}/{practice['id']}").json()["version"] == practice["version"]
    assert client.get(url, headers=editor).json()["status"] == "pending"


def test_a_contributor_withdraws_a_proposal(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, year=2019)

    assert client.delete(f"{URL}/{practice['id']}/proposal", headers=contributor).status_code == 204

    assert client.get(f"{URL}/{practice['id']}/proposal", headers=contributor).status_code == 404
    assert client.delete(f"{URL}/{practice['id']}/proposal", headers=contributor).status_code == 404
    assert decided(client, practice, "accept", editor).status_code == 404


def test_a_proposal_replaced_while_accepted_is_not_lost(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    """The store settles the proposal it read: one replaced between its read and its write is a conflict, never
    dropped (the read is made to return the older one, as a replacement landing in between would)."""
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, year=2019)
    store = client.app.state.store  # type: ignore[attr-defined]
    read = store.proposal(practice["id"])
    proposed(client, practice, contributor, year=2020)
    original = store.proposal
    store.proposal = lambda monograph_id: read
    try:
        refused = client.post(
            f"{URL}/{practice['id']}/proposal/accept", headers=editor | {"If-Match": f'"{read.revision}"'}
        )
    finally:
        store.proposal = original

    assert refused.status_code == 409
    assert store.proposal(practice["id"]).content.year == 2020
    assert client.get(f"{URL}/{practice['id']}").json()["version"] == practice["version"]


def test_a_practice_leaving_publication_declines_its_pending_proposal(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, year=2019)

    assert client.delete(f"{URL}/{practice['id']}", headers=editor).status_code == 204

    own = client.get(f"{URL}/{practice['id']}/proposal", headers=contributor).json()
    assert own["status"] == "declined" and own["practice_status"] == "archived"
    assert "n'est plus publiée" in own["reason"]
    assert client.get("/api/v1/proposals", params={"status": "pending"}, headers=editor).json()["total"] == 0


def test_another_keys_practice_is_refused_and_an_unpublished_one_answers_as_an_unknown_one(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    """A published practice is public: another key is told only its submitter proposes changes (a 404 made people
    think it was gone). An unpublished one stays unknown to others."""
    practice = published_by(client, contributor, editor)
    pending = client.post(URL, json=payload(title="Une autre fiche en attente"), headers=contributor).json()
    other_key, _ = client.app.state.store.create_key("Autre réseau", Role.CONTRIBUTOR)  # type: ignore[attr-defined]
    other = {"X-API-Key": other_key}

    refused = proposed(client, practice, other, year=2019)
    theirs = client.get(f"{URL}/{pending['id']}/proposal", headers=other)
    unknown = client.get(f"{URL}/nope-1234/proposal", headers=other)

    assert refused.status_code == 403 and "only the key that submitted" in refused.json()["error"]["message"]
    assert client.delete(f"{URL}/{practice['id']}/proposal", headers=editor).status_code == 403
    assert "accepts or declines" in client.delete(f"{URL}/{practice['id']}/proposal", headers=editor).text
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["error"]["message"].replace(pending["id"], "X") == unknown.json()["error"]["message"].replace(
        "nope-1234", "X"
    )


def test_a_stale_edit_of_a_sheet_published_since_is_a_conflict(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    created = client.post(URL, json=payload(title=TITLE), headers=contributor).json()
    client.post(f"{URL}/{created['id']}/publish", headers=editor)

    stale = client.put(f"{URL}/{created['id']}", json=payload(version=created["version"]), headers=contributor)

    assert stale.status_code == 409 and stale.json()["error"]["details"]["status"] == "published"


def test_the_history_says_what_happened_newest_first(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, year=2019)
    decided(client, practice, "decline", editor, reason="Sans source pour cette date.")
    url = f"{URL}/{practice['id']}/history"

    seen_by_editor = client.get(url, headers=editor).json()
    seen_by_author = client.get(url, headers=contributor).json()

    steps = [(e["action"], e["status"], e["reason"], e["by"]) for e in seen_by_editor["items"]]
    assert steps == [
        ("proposal_declined", "published", "Sans source pour cette date.", "Éditeur test"),
        ("propose", "published", None, "Contributeur test"),
        ("published", "published", None, "Éditeur test"),
        ("create", "submitted", None, "Contributeur test"),
    ]
    assert seen_by_editor["total"] == 4
    # Its author reads the same steps, the editors' not named.
    assert [e["by"] for e in seen_by_author["items"]] == [None, "Contributeur test", None, "Contributeur test"]
    assert client.get(url, params={"size": 1, "page": 2}, headers=editor).json()["items"][0]["action"] == "propose"
    other_key, _ = client.app.state.store.create_key("Autre réseau", Role.CONTRIBUTOR)  # type: ignore[attr-defined]
    assert client.get(url, headers={"X-API-Key": other_key}).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get(url, params={"size": 101}, headers=editor).status_code == 422


def test_a_field_an_editor_also_changed_is_named_and_the_reviewed_version_is_checked(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, year=2019, title="Covoiturage et autopartage en Maurienne")
    edited = client.put(
        f"{URL}/{practice['id']}", json=payload(title=TITLE, year=2018, version=practice["version"]), headers=editor
    ).json()
    read = client.get(f"{URL}/{practice['id']}/proposal", headers=editor).json()
    assert read["changed_fields"] == ["title", "year"] and read["conflicting_fields"] == ["year"]
    url, revision = f"{URL}/{practice['id']}/proposal/accept", {"If-Match": f'"{read["revision"]}"'}

    stale = client.post(url, json={"version": practice["version"]}, headers=editor | revision)
    accepted = client.post(url, json={"version": edited["version"]}, headers=editor | revision)

    assert stale.status_code == 409 and "edited since you compared" in stale.json()["error"]["message"]
    assert accepted.status_code == 200 and accepted.json()["year"] == 2019


def test_a_proposal_the_practice_already_holds_is_closed_as_accepted(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, year=2019)
    applied = client.put(
        f"{URL}/{practice['id']}", json=payload(title=TITLE, year=2019, version=practice["version"]), headers=editor
    ).json()
    assert client.get(f"{URL}/{practice['id']}/proposal", headers=editor).json()["changed_fields"] == []

    accepted = decided(client, practice, "accept", editor)

    assert accepted.status_code == 200 and accepted.json()["version"] == applied["version"]
    assert client.get(f"{URL}/{practice['id']}/proposal", headers=editor).status_code == 404
    history = client.app.state.store.history(practice["id"])  # type: ignore[attr-defined]
    assert history[-1]["action"] == "proposal_accepted" and history[-1]["version"] == applied["version"]


def test_unpublishing_records_why_the_proposal_was_declined(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, year=2019)

    client.delete(f"{URL}/{practice['id']}", headers=editor)

    steps = client.get(f"{URL}/{practice['id']}/history", headers=contributor).json()["items"]
    assert [(e["action"], e["status"]) for e in steps[:2]] == [
        ("proposal_declined", "archived"),
        ("archived", "archived"),
    ]
    assert "n'est plus publiée" in steps[0]["reason"]


def test_a_proposal_racing_an_archive_is_refused(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    """The proposal is written only if the practice is still published at the version read: here it was read
    published (the read is made stale, as an archive landing in between would) and is archived."""
    practice = published_by(client, contributor, editor)
    store = client.app.state.store  # type: ignore[attr-defined]
    read = store.get(practice["id"])
    client.delete(f"{URL}/{practice['id']}", headers=editor)
    original = store.get
    store.get = lambda monograph_id: read
    try:
        refused = proposed(client, practice, contributor, year=2019)
    finally:
        store.get = original

    assert refused.status_code == 409
    assert store.proposal(practice["id"]) is None


def test_a_withdrawal_takes_back_only_the_proposal_shown(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    shown = proposed(client, practice, contributor, year=2019).json()["revision"]
    proposed(client, practice, contributor, year=2020)
    url = f"{URL}/{practice['id']}/proposal"

    stale = client.delete(url, headers=contributor | {"If-Match": f'"{shown}"'})

    assert stale.status_code == 409
    assert client.get(url, headers=contributor).json()["content"]["year"] == 2020


@pytest.mark.parametrize("header", ['"' + "9" * 5000 + '"', '"12345678901234567890"', "soon"])
def test_a_malformed_if_match_is_a_clear_400(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str], header: str
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, year=2019)

    answer = client.post(f"{URL}/{practice['id']}/proposal/accept", headers=editor | {"If-Match": header})

    assert answer.status_code == 400 and "If-Match" in answer.json()["error"]["message"]


def test_an_editors_note_on_publishing_is_not_told_to_the_submitter(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    created = client.post(URL, json=payload(title=TITLE), headers=contributor).json()
    client.post(
        f"{URL}/{created['id']}/publish", json={"reason": "Note interne : vérifié par téléphone."}, headers=editor
    )
    url = f"{URL}/{created['id']}/history"

    assert client.get(url, headers=editor).json()["items"][0]["reason"] == "Note interne : vérifié par téléphone."
    assert client.get(url, headers=contributor).json()["items"][0]["reason"] is None


def test_an_editor_is_told_when_the_proposing_key_was_revoked(
    client: TestClient, contributor: dict[str, str], editor: dict[str, str]
) -> None:
    practice = published_by(client, contributor, editor)
    proposed(client, practice, contributor, year=2019)
    assert client.get(f"{URL}/{practice['id']}/proposal", headers=editor).json()["author_revoked"] is False
    key_id = client.get("/api/v1/keys/me", headers=contributor).json()["id"]

    client.app.state.store.revoke_key(key_id)  # type: ignore[attr-defined]

    read = client.get(f"{URL}/{practice['id']}/proposal", headers=editor).json()
    assert (read["author"], read["author_revoked"]) == ("Contributeur test", True)
