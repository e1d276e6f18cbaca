"""A case type's own outcome and nested application on the caseworker's page (issue 8):
Komvux's "Behörig – urval" and its course choices, with no core module naming either."""

from __future__ import annotations

import pytest

from caserobot.queue import WorkQueue
from tests.utils.casework import refer

CHOICE = {
    "priority": 1,
    "course_code": "MATMAT02b",
    "course_name": "Matematik 2b",
    "level": "gymnasial",
    "provider_code": "ANO-116",
    "start_date": "2027-01-18",
}


@pytest.fixture
def item(web_db):  # type: ignore[no-untyped-def]
    return refer(
        WorkQueue(web_db.sessions),
        "ES-KV-1/1",
        case_type="komvux",
        reasons=("foreign_grades",),
        recommended="selection",
        application_fields={"course_choices": [CHOICE], "foreign_grades_attached": True},
    )


def test_the_recommendation_and_the_choices_are_the_case_types(client, login, item):
    login(client, "vuxen")
    text = client.get(f"/casework/{item.id}").text
    assert "Godta rekommendationen (Behörig – urval)" in text
    # The caseworker may decide any of Komvux's outcomes; another than the recommended one
    # is preselected.
    assert '<option value="selection">Behörig – urval</option>' in text
    assert '<option value="granted" selected>Beviljas</option>' in text
    assert '<option value="denied">Avslås</option>' in text
    # A nested application reads as labelled lines, not JSON.
    assert "<dt>Sökta kurser</dt><dd>Prioritet: 1, Kurskod: MATMAT02b, Kurs: Matematik 2b" in text
    assert "<dt>Utländska betyg bifogade</dt><dd>Ja</dd>" in text
    assert "{&#34;" not in text and '{"' not in text


def test_a_caseworker_decides_selection_and_it_is_queued_for_the_robot(
    client, login, item, web_db
):
    token = login(client, "vuxen")
    queue = WorkQueue(web_db.sessions)

    def actions() -> list:  # type: ignore[type-arg]
        return [w for w in queue.items(case_type="komvux") if w.kind == "caseworker_action"]

    # The case system's word is not an outcome: refused, naming the outcomes there are.
    bad = client.post(
        f"/api/casework/{item.id}/decide",
        json={"outcome": "urval", "motivering": "x"},
        headers={"X-CSRF-Token": token},
    )
    assert bad.status_code == 422 and "selection" in bad.text
    assert not actions()
    response = client.post(
        f"/casework/{item.id}/decide",
        data={"outcome": "selection", "motivering": "Behörig; urval.", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    [action] = actions()
    assert action.payload["outcome"] == "selection"
