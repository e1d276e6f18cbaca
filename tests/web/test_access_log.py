"""Reads of personal data are in the access log; protected-identity items need a permission."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from caserobot import access_log, users
from caserobot.queue import WorkQueue
from caserobot.web.routes.casework import PROTECTED_TEXT
from tests.utils.casework import refer
from tests.web.test_admin import run_with_items  # noqa: F401 (a fixture)


@pytest.fixture
def items(web_db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    queue = WorkQueue(web_db.sessions)
    return {
        "plain": refer(queue, "ES-SK-1"),
        "protected": refer(queue, "ES-SK-SKYDD", reasons=("protected_identity",)),
    }


def _reads(web_db, **filters: Any) -> list[tuple[str, str, str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    return [
        (e.actor, e.action, e.target, e.case_ref, e.client)
        for e in reversed(access_log.entries(web_db.sessions, **filters))
    ]


def test_viewing_items_and_the_queue_is_logged(client, login, web_db, items) -> None:
    login(client, "skolskjuts")
    plain = items["plain"].id
    assert client.get("/casework").status_code == 200
    assert client.get(f"/casework/{plain}").status_code == 200
    assert client.get("/api/casework").status_code == 200
    assert client.get(f"/api/casework/{plain}").status_code == 200
    reads = _reads(web_db, actor="skolskjuts")
    assert [r[1] for r in reads] == [
        "casework.queue.view",
        "casework.item.view",
        "casework.queue.view",
        "casework.item.view",
    ]
    assert reads[1][2:] == (f"exception:{plain}", "ES-SK-1", "testclient")
    [queue_read, *_] = access_log.entries(web_db.sessions, action_prefix="casework.queue")
    assert str(plain) in queue_read.detail and str(items["protected"].id) in queue_read.detail


def test_robot_files_runs_and_the_dashboard_are_logged(
    client,
    login,
    web_db,
    run_with_items,  # noqa: F811
) -> None:
    login(client, "admin")
    assert client.get(f"/admin/runs/{run_with_items}/files/log.html").status_code == 303
    assert client.get(f"/admin/runs/{run_with_items}").status_code == 200
    assert client.get(f"/api/runs/{run_with_items}").status_code == 200
    client.cookies.clear()
    login(client, "chef")
    assert client.get("/dashboard").status_code == 200
    assert client.get("/dashboard/export.xlsx").status_code == 200
    assert client.get("/api/dashboard").status_code == 200
    actions = [(r[0], r[1], r[2].split(":")[0]) for r in _reads(web_db)]
    assert actions == [
        ("admin", "run.file.view", "run"),
        ("admin", "run.view", "run"),
        ("admin", "run.view", "run"),
        ("chef", "dashboard.view", "dashboard"),
        ("chef", "dashboard.export", "dashboard"),
        ("chef", "dashboard.view", "dashboard"),
    ]
    assert _reads(web_db, action_prefix="run.file")[0][2] == f"run:{run_with_items}/log.html"


def test_admins_read_the_access_log_in_the_ui_and_api(client, login, web_db, items) -> None:
    login(client, "skolskjuts")
    client.get(f"/casework/{items['plain'].id}")
    client.cookies.clear()
    login(client, "admin")
    page = client.get("/admin/access-log", params={"case": "ES-SK-1"})
    assert page.status_code == 200
    assert "casework.item.view" in page.text and "skolskjuts" in page.text
    assert 'href="/admin/access-log"' in page.text  # in the admin's menu
    api = client.get("/api/access-log", params={"actor": "skolskjuts"}).json()
    assert [(e["action"], e["case_ref"]) for e in api] == [("casework.item.view", "ES-SK-1")]
    for role in ("skolskjuts", "chef"):
        client.cookies.clear()
        login(client, role)
        assert client.get("/admin/access-log").status_code == 403
        assert client.get("/api/access-log").status_code == 403


def test_the_access_log_cannot_be_changed(web_db, items) -> None:
    access_log.record(web_db.sessions, actor="x", action="casework.item.view", target="e:1")
    with pytest.raises(DBAPIError, match="append-only"), web_db.engine.begin() as conn:
        conn.execute(text("UPDATE access_log SET actor = 'y'"))
    with pytest.raises(DBAPIError, match="append-only"), web_db.engine.begin() as conn:
        conn.execute(text("DELETE FROM access_log"))


# -- protected identity -------------------------------------------------------------------


def test_protected_items_are_listed_without_details_and_refused(
    client, login, web_db, items
) -> None:
    protected = items["protected"].id
    csrf = login(client, "skolskjuts")
    queue = client.get("/casework")
    assert PROTECTED_TEXT in queue.text
    assert "ES-SK-SKYDD" not in queue.text and f'href="/casework/{protected}"' not in queue.text
    api = {e["id"]: e for e in client.get("/api/casework").json()}
    assert api[protected]["application_id"] == PROTECTED_TEXT and api[protected]["detail"] == ""
    assert client.get(f"/casework/{protected}").status_code == 404
    assert client.get(f"/api/casework/{protected}").status_code == 404
    accepted = client.post(f"/api/casework/{protected}/accept", headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 404
    form = client.post(f"/casework/{protected}/accept", data={"csrf_token": csrf})
    assert form.status_code == 404
    denied = _reads(web_db, action_prefix="casework.item.denied")
    assert len(denied) == 4 and {r[2] for r in denied} == {f"exception:{protected}"}
    assert _reads(web_db, action_prefix="casework.item.view") == []


def test_a_granted_caseworker_sees_protected_items(client, login, web_db, items) -> None:
    protected = items["protected"].id
    users.set_may_view_protected(web_db.sessions, "skolskjuts", True, actor="admin")
    login(client, "skolskjuts")
    assert "ES-SK-SKYDD" in client.get("/casework").text
    page = client.get(f"/casework/{protected}")
    assert page.status_code == 200 and "ES-SK-SKYDD" in page.text
    assert _reads(web_db, action_prefix="casework.item.view")[0][3] == "ES-SK-SKYDD"


def test_the_skyddad_identitet_fact_alone_protects_an_item() -> None:
    from caserobot.protected_identity import is_protected

    assert is_protected([], {"facts": {"skyddad_identitet": {"value": True}}, "trace": []})
    assert is_protected([], {"skyddad_identitet": {"value": True, "source": "folkbokföringen"}})
    assert not is_protected([], {"skyddad_identitet": {"value": False}})
    assert not is_protected(["medical_certificate"], {})
