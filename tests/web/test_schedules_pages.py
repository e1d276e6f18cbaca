"""The administrator's schedules and credentials pages and their JSON API, on real Prefect."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from caserobot import audit, scheduling
from caserobot.db import Database
from caserobot.settings import Settings

SECRET = "Webb-Hemligt-123"


@pytest.fixture
def admin_client(
    scheduling_settings: Settings, client: TestClient, login
) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    return client, login(client, "admin")


def test_only_admins_see_schedules(
    scheduling_settings: Settings, client: TestClient, login
) -> None:  # type: ignore[no-untyped-def]
    login(client, "skolskjuts")
    assert client.get("/admin/schedules", follow_redirects=False).status_code == 403
    assert client.get("/api/schedules").status_code == 403


def test_create_pause_run_delete_through_the_page(admin_client, web_db: Database) -> None:  # type: ignore[no-untyped-def]
    client, token = admin_client
    page = client.get("/admin/schedules")
    assert page.status_code == 200 and "Nytt schema" in page.text

    created = client.post(
        "/admin/schedules",
        data={"robot": "skolskjuts", "cron": "0 6 * * 1-5", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Schemat skolskjuts är skapat" in created.text
    [schedule] = scheduling.list_schedules()
    assert f"/deployments/deployment/{schedule.id}" in created.text
    assert "vardagar kl. 06:00" in created.text and "Aktivt" in created.text

    paused = client.post(
        "/admin/schedules/skolskjuts/pause", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Pausat" in paused.text and scheduling.get_schedule("skolskjuts").paused
    client.post(
        "/admin/schedules/skolskjuts/run", data={"csrf_token": token}, follow_redirects=True
    )
    assert len(scheduling.get_schedule("skolskjuts").last_runs) == 1
    bad = client.post(
        "/admin/schedules",
        data={"robot": "skolskjuts", "cron": "0 25 * * *", "csrf_token": token},
        follow_redirects=True,
    )
    assert "timme" in bad.text
    client.post(
        "/admin/schedules/skolskjuts/delete", data={"csrf_token": token}, follow_redirects=True
    )
    assert scheduling.list_schedules() == []

    actions = [e.action for e in audit.entries(web_db.sessions, actor="admin")]
    assert {"schedule.create", "schedule.pause", "schedule.run", "schedule.delete"} <= set(actions)
    assert client.post("/admin/schedules/skolskjuts/pause").status_code == 403  # no CSRF


def test_api_and_credentials_never_send_the_password_back(admin_client, web_db: Database) -> None:  # type: ignore[no-untyped-def]
    client, token = admin_client
    headers = {"X-CSRF-Token": token}
    created = client.post(
        "/api/schedules", json={"robot": "skolskjuts", "cron": "0 6 * * *"}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert client.post("/api/schedules/skolskjuts/pause", headers=headers).json()["paused"]
    run = client.post("/api/schedules/skolskjuts/run", headers=headers)
    assert run.status_code == 200 and run.json()["flow_run_id"]
    assert [s["name"] for s in client.get("/api/schedules").json()] == ["skolskjuts"]
    bad = client.post("/api/schedules", json={"robot": "x", "cron": "0 6 * * *"}, headers=headers)
    assert bad.status_code == 422

    stored = client.put(
        "/api/credentials/arendesystem",
        json={"username": "robot07", "password": SECRET},
        headers=headers,
    )
    assert stored.status_code == 200 and SECRET not in stored.text
    listed = client.get("/api/credentials")
    assert [c["username"] for c in listed.json()] == ["robot07"] and SECRET not in listed.text
    client.post(
        "/admin/credentials/arendesystem",
        data={"username": "robot08", "password": SECRET, "csrf_token": token},
    )
    page = client.get("/admin/schedules")
    assert "lagrade" in page.text and "robot08" in page.text and SECRET not in page.text
    entries = audit.entries(web_db.sessions, action_prefix="credentials.")
    assert len(entries) == 2 and all(e.after["password"] == "***" for e in entries)
