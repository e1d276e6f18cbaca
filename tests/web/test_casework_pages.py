"""The caseworker's pages and API: own unit only, 404 for another unit's item, CSRF on actions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from caserobot import audit, casework
from caserobot.queue import WorkQueue
from tests.utils.casework import refer


@pytest.fixture
def items(web_db):  # type: ignore[no-untyped-def]
    queue = WorkQueue(web_db.sessions)
    return {
        "late": refer(queue, "ES-SK-2", submitted_at="2026-08-10T09:00:00+02:00"),
        "early": refer(
            queue, "ES-SK-1", submitted_at="2026-06-01T09:00:00+02:00", reasons=("taxi_requested",)
        ),
        "eb": refer(queue, "ES-EB-1", case_type="ekonomiskt_bistand", amount=5400),
    }


def test_queue_shows_only_the_units_items_by_due_date(client, login, items):
    login(client, "skolskjuts")
    page = client.get("/casework")
    assert page.status_code == 200
    assert "ES-EB-1" not in page.text
    assert page.text.index("ES-SK-1") < page.text.index("ES-SK-2")
    assert "Taxi begärs" in page.text and "Läkarintyg bifogat" in page.text
    assert "Försenat" in page.text  # ES-SK-1 was due 2026-06-22
    filtered = client.get("/casework", params={"reason": "taxi_requested"})
    assert "ES-SK-1" in filtered.text and "ES-SK-2" not in filtered.text

    api = client.get("/api/casework").json()
    assert [e["application_id"] for e in api] == ["ES-SK-1", "ES-SK-2"]
    assert client.get("/api/casework", params={"reason": "taxi_requested"}).json()[0]["id"] == (
        items["early"].id
    )


def test_item_page_shows_the_basis_and_the_forms(client, login, items):
    login(client, "skolskjuts")
    page = client.get(f"/casework/{items['late'].id}")
    assert page.status_code == 200
    text = page.text
    for expected in (
        "19800101-9803",  # the caseworker's own case: personnummer shown
        "gångavstånd_m",
        "vägtjänsten",
        "2026-08-02T08:00:00+00:00",
        "SL 10 kap. 32 §",
        "Läkarintyg bifogat",
        "Förslag till beslut",
        f'action="/casework/{items["late"].id}/accept"',
        f'action="/casework/{items["late"].id}/decide"',
        f'action="/casework/{items["late"].id}/request-completion"',
    ):
        assert expected in text, expected
    assert text.count('name="csrf_token"') >= 4  # three action forms and the logout form
    # The application under Swedish labels: the core's for every application's fields, the
    # case type's package's for its own.
    assert "<dt>Ansökans id</dt><dd>ES-SK-2</dd>" in text
    assert "<dt>Inlämnad</dt><dd>2026-08-10T09:00:00+02:00</dd>" in text
    assert "<dt>Sökande (vårdnadshavare)</dt>" in text and "<dt>applicant</dt>" not in text
    eb = client.get(f"/casework/{items['eb'].id}")
    assert eb.status_code == 404  # another unit's item
    detail = client.get(f"/api/casework/{items['late'].id}").json()
    assert detail["legacy_case_id"] == "A-1" and detail["trace"][0]["legal_reference"]


def test_another_units_item_is_404_to_see_and_to_act_on(client, login, items):
    csrf = login(client, "skolskjuts")
    eb = items["eb"].id
    assert client.get(f"/casework/{eb}").status_code == 404
    assert client.get(f"/api/casework/{eb}").status_code == 404
    assert client.get("/casework/999999").status_code == 404
    form = {"csrf_token": csrf, "outcome": "granted", "motivering": "x", "amount": "100"}
    assert client.post(f"/casework/{eb}/accept", data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"/casework/{eb}/decide", data=form).status_code == 404
    assert (
        client.post(
            f"/casework/{eb}/request-completion", data={"csrf_token": csrf, "message": "x"}
        ).status_code
        == 404
    )
    headers = {"X-CSRF-Token": csrf}
    assert client.post(f"/api/casework/{eb}/accept", headers=headers).status_code == 404
    body = {"outcome": "granted", "motivering": "x", "amount": 100}
    assert client.post(f"/api/casework/{eb}/decide", json=body, headers=headers).status_code == 404


def test_action_forms_require_the_csrf_token(client, login, items, web_db):
    login(client, "skolskjuts")
    item_id = items["late"].id
    assert client.post(f"/casework/{item_id}/accept", data={}).status_code == 403
    assert (
        client.post(
            f"/casework/{item_id}/decide",
            data={"csrf_token": "wrong", "outcome": "denied", "motivering": "x"},
        ).status_code
        == 403
    )
    assert (
        client.post(f"/casework/{item_id}/request-completion", data={"message": "x"}).status_code
        == 403
    )
    assert client.post(f"/api/casework/{item_id}/accept").status_code == 403
    assert casework.item(web_db.sessions, item_id, ["Skolskjuts"]).actions == []


def test_accept_then_a_second_decision_is_refused(client, login, items, web_db):
    csrf = login(client, "skolskjuts")
    item_id = items["late"].id
    response = client.post(f"/casework/{item_id}/accept", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["location"] == f"/casework/{item_id}"
    page = client.get(f"/casework/{item_id}").text
    assert "Rekommendationen godtagen" in page and "Väntar på roboten" in page
    assert f'action="/casework/{item_id}/decide"' not in page  # no second decision form
    again = client.post(
        f"/casework/{item_id}/decide",
        data={"csrf_token": csrf, "outcome": "denied", "motivering": "Avslås."},
    )
    assert again.status_code == 303
    assert "redan beslutat" in client.get(f"/casework/{item_id}").text
    api = client.post(f"/api/casework/{item_id}/accept", headers={"X-CSRF-Token": csrf})
    assert api.status_code == 409
    [entry] = audit.entries(web_db.sessions, action_prefix="exception.")
    assert (entry.actor, entry.action) == ("skolskjuts", "exception.accept")


def test_written_action_shows_time_and_diarienummer(client, login, items, web_db):
    csrf = login(client, "fsstod")
    eb = items["eb"].id
    bad = client.post(
        f"/api/casework/{eb}/decide",
        json={"outcome": "granted", "motivering": "Beviljas."},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "amount"
    response = client.post(
        f"/casework/{eb}/decide",
        data={
            "csrf_token": csrf,
            "outcome": "granted",
            "motivering": "Beviljas.",
            "amount": "4 800",
        },
    )
    assert response.status_code == 303
    [action] = casework.item(web_db.sessions, eb, ["Försörjningsstöd"]).actions
    assert action.amount == 4800
    queue = WorkQueue(web_db.sessions)
    [work] = [i for i in queue.claim("ekonomiskt_bistand", "robot", lease_seconds=60, limit=5)]
    queue.complete_with(
        work.id,
        "robot",
        lambda s: casework.record_written(
            s,
            action.id,
            legacy_case_id="12",
            diarienummer="EB-2026-00077",
            written_at=datetime(2026, 11, 23, 10, 5, tzinfo=UTC),
            recovered=False,
        ),
    )
    page = client.get(f"/casework/{eb}").text
    assert "skrivet till ärendesystemet 2026-11-23 11:05, diarienummer EB-2026-00077" in page
    api = client.get(f"/api/casework/{eb}").json()
    assert api["actions"][0]["state"] == "written"
    assert api["actions"][0]["diarienummer"] == "EB-2026-00077"


def test_other_roles_cannot_use_casework(client, login, items):
    login(client, "chef")
    assert client.get("/casework").status_code == 403
    assert client.get("/api/casework").status_code == 403
