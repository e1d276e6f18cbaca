"""The robot administrator's pages and API, over HTTP on a real database (and real Prefect
for the seat limit)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from caserobot import audit, registry
from caserobot.queue import WorkQueue
from caserobot.records import DecisionRecord


@pytest.fixture
def run_with_items(web_db, tmp_path: Path) -> int:
    """A finished skolskjuts run: one item decided, one abandoned; RF output on disk."""
    sessions = web_db.sessions
    registry.register_legacy_system(
        sessions, "arendesystem", "web_ui", "http://127.0.0.1:8702", seat_limit=4
    )
    registry.register_robot(
        sessions, "skolskjuts", "1.0.0", "Team Robot", "skolskjuts", ["arendesystem"]
    )
    run = registry.start_run(sessions, "skolskjuts", trigger="test")
    queue = WorkQueue(sessions)
    queue.enqueue("skolskjuts", "ES-1", {}, run_id=run.id)
    queue.enqueue("skolskjuts", "ES-2", {}, run_id=run.id)
    done, failed = queue.claim("skolskjuts", "r", lease_seconds=60, run_id=run.id, limit=2)
    decision = DecisionRecord(outcome="granted", rule_set="skolskjuts/nacka", as_of=date.today())
    queue.complete(done.id, "r", decision)
    queue.abandon(failed.id, "r", "ärendesystemet svarade inte")
    output = tmp_path / "runs" / f"run-{run.id}"
    output.mkdir(parents=True)
    (output / "log.html").write_text("<html>robotens logg</html>", encoding="utf-8")
    (output / "report.html").write_text("<html>rapport</html>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("hemligt", encoding="utf-8")
    registry.finish_run(sessions, run.id, "completed", {}, output_dir=str(output))
    return run.id


def test_admin_pages_render(client, login, run_with_items) -> None:
    login(client, "admin")
    for path, text in [
        ("/admin/robots", "Team Robot"),
        ("/admin/robots/skolskjuts", "Pausa roboten"),
        ("/admin/legacy-systems", "arendesystem"),
        ("/admin/legacy-systems/arendesystem", "Antal licenser"),
        ("/admin/runs", f"#{run_with_items}"),
        (f"/admin/runs/{run_with_items}", "Försök igen med misslyckade (1)"),
        ("/admin/users", "Lägg till användare"),
        ("/admin/audit", "Granskningslogg"),
    ]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert text in page.text, path
    run_page = client.get(f"/admin/runs/{run_with_items}").text
    assert "ärendesystemet svarade inte" in run_page and "Beviljas" in run_page


@pytest.mark.parametrize("username", ["chef", "skolskjuts"])
def test_other_roles_get_403_on_admin_pages_and_api(client, login, username) -> None:
    csrf = login(client, username)
    for path in ["/admin/robots", "/admin/users", "/admin/audit", "/api/robots", "/api/runs"]:
        assert client.get(path).status_code == 403, path
    headers = {"X-CSRF-Token": csrf}
    assert client.post("/api/runs/1/retry-failed", headers=headers).status_code == 403
    patch = client.patch("/api/legacy-systems/x", json={"seat_limit": 2}, headers=headers)
    assert patch.status_code == 403
    add = client.post("/admin/users", data={"csrf_token": csrf, "username": "x", "role": "admin"})
    assert add.status_code == 403


def test_pause_and_resume_a_robot_is_audited(client, login, web_db, run_with_items) -> None:
    csrf = login(client, "admin")
    r = client.post("/admin/robots/skolskjuts/pause", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert registry.get_robot(web_db.sessions, "skolskjuts").status == "paused"
    assert "pausad" in client.get(r.headers["location"]).text
    client.post("/admin/robots/skolskjuts/resume", data={"csrf_token": csrf})
    assert registry.get_robot(web_db.sessions, "skolskjuts").status == "active"
    actions = [e.action for e in audit.entries(web_db.sessions, target="robot:skolskjuts")]
    assert actions == ["robot.resume", "robot.pause"]


def test_retry_failed_requeues_the_abandoned_items(client, login, web_db, run_with_items) -> None:
    csrf = login(client, "admin")
    r = client.post(f"/admin/runs/{run_with_items}/retry-failed", data={"csrf_token": csrf})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "nästa körning" in page
    counts = WorkQueue(web_db.sessions).counts(run_id=run_with_items)
    assert counts["abandoned"] == 0 and counts["new"] == 1 and counts["done"] == 1
    [entry] = audit.entries(web_db.sessions, action_prefix="run.retry_failed")
    assert entry.actor == "admin" and entry.after["requeued"] == 1
    api = client.post(
        f"/api/runs/{run_with_items}/retry-failed", headers={"X-CSRF-Token": csrf}
    ).json()
    assert api["requeued"] == 0


def test_run_api_lists_items_and_files(client, login, run_with_items) -> None:
    login(client, "admin")
    runs = client.get("/api/runs").json()
    assert [r["id"] for r in runs] == [run_with_items]
    detail = client.get(f"/api/runs/{run_with_items}").json()
    assert {i["state"] for i in detail["items"]} == {"done", "abandoned"}
    assert detail["files"] == ["log.html", "report.html"]
    robot = client.get("/api/robots/skolskjuts").json()
    assert robot["last_run"]["id"] == run_with_items
    assert client.get("/api/robots/nosuch").status_code == 404


def test_run_files_are_served_behind_login_without_traversal(client, login, run_with_items) -> None:
    url = f"/admin/runs/{run_with_items}/files"
    assert client.get(f"{url}/log.html").status_code == 303  # not logged in
    login(client, "admin")
    redirect = client.get(f"{url}/log.html")
    assert redirect.status_code == 303
    signed = redirect.headers["location"]
    assert signed.startswith("/run-files/") and signed.endswith("/log.html")
    log = client.get(signed)
    assert log.status_code == 200 and "robotens logg" in log.text
    for attempt in ["../../secret.txt", "..%2F..%2Fsecret.txt", "%2E%2E%2Fsecret.txt", "x.html"]:
        response = client.get(f"{url}/{attempt}")
        assert response.status_code in (404, 422), attempt  # never the file
        assert "hemligt" not in response.text
        response = client.get(signed.replace("log.html", attempt))
        assert response.status_code in (404, 422), attempt
        assert "hemligt" not in response.text


def test_a_split_logs_parts_and_screens_load_without_the_cookie(
    client, login, run_with_items, web_db
) -> None:
    """log.html runs sandboxed and sends no cookie: its parts come through the signed path."""
    from caserobot import registry

    output = Path(registry.get_run(web_db.sessions, run_with_items).output_dir)
    (output / "log-1.js").write_text("window.fileLoading = 1;", encoding="utf-8")
    (output / "skarm-7-1-sida.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    login(client, "admin")
    signed = client.get(f"/admin/runs/{run_with_items}/files/log.html").headers["location"]
    client.cookies.clear()  # what the sandboxed page sends
    assert client.get(signed.replace("log.html", "log-1.js")).text == "window.fileLoading = 1;"
    assert client.get(signed.replace("log.html", "skarm-7-1-sida.png")).status_code == 200
    # Not without a valid token, and not through the cookie route either.
    token = signed.split("/")[2]
    assert client.get(f"/run-files/{token[:-2]}xx/log-1.js").status_code == 404
    login(client, "admin")
    assert client.get(f"/admin/runs/{run_with_items}/files/log-1.js").status_code == 404


def test_user_added_through_the_form_can_log_in_and_is_audited(client, login, web_db) -> None:
    csrf = login(client, "admin")
    form = {
        "csrf_token": csrf,
        "username": "ny.handlaggare",
        "display_name": "Ny Handläggare",
        "role": "caseworker",
        "units": ["Skolskjuts"],
        "password": "ett-langt-losenord",
        "password_again": "ett-langt-losenord",
    }
    bad = client.post("/admin/users", data={**form, "units": []})
    assert bad.status_code == 400 and "minst en enhet" in bad.text
    assert client.post("/admin/users", data=form).status_code == 303
    [entry] = audit.entries(web_db.sessions, action_prefix="user.add", actor="admin")
    assert entry.target == "user:ny.handlaggare"
    client.cookies.clear()
    login(client, "ny.handlaggare", "ett-langt-losenord")


def test_audit_page_filters(client, login) -> None:
    login(client, "admin")
    login(client, "admin")
    page = client.get("/admin/audit?action=login&actor=admin").text
    assert page.count("<td>login</td>") == 2
    entries = client.get("/api/audit", params={"action": "login"}).json()
    assert [e["action"] for e in entries] == ["login", "login"]


def test_opening_hours_are_validated(client, login, web_db, run_with_items) -> None:
    csrf = login(client, "admin")
    url = "/admin/legacy-systems/arendesystem"
    for bad in ["7-19", "19:00-07:00", "25:00-26:00"]:
        r = client.post(url, data={"csrf_token": csrf, "seat_limit": "4", "opening_hours": bad})
        assert r.status_code == 400, bad
        assert 'aria-invalid="true"' in r.text
    assert registry.get_legacy_system(web_db.sessions, "arendesystem").opening_hours is None


def test_seat_limit_change_reaches_prefect(
    prefect_harness, client, login, web_db, run_with_items
) -> None:
    from prefect.client.orchestration import get_client

    csrf = login(client, "admin")
    url = "/admin/legacy-systems/arendesystem"
    form = {"csrf_token": csrf, "seat_limit": "2", "opening_hours": "07:00-19:00"}
    assert client.post(url, data=form).status_code == 303
    with get_client(sync_client=True) as prefect:
        assert prefect.read_global_concurrency_limit_by_name("legacy-arendesystem").limit == 2
    system = registry.get_legacy_system(web_db.sessions, "arendesystem")
    assert (system.seat_limit, system.opening_hours) == (2, "07:00-19:00")
    [entry] = audit.entries(web_db.sessions, action_prefix="legacy_system.update")
    assert entry.before == {"seat_limit": 4, "opening_hours": None}
    assert entry.after == {"seat_limit": 2, "opening_hours": "07:00-19:00"}
    r = client.patch(
        "/api/legacy-systems/arendesystem", json={"seat_limit": 3}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 200 and r.json()["opening_hours"] == "07:00-19:00"
    with get_client(sync_client=True) as prefect:
        assert prefect.read_global_concurrency_limit_by_name("legacy-arendesystem").limit == 3


def test_seat_limit_not_changed_when_prefect_is_down(
    client, login, web_db, run_with_items, monkeypatch
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    csrf = login(client, "admin")
    form = {"csrf_token": csrf, "seat_limit": "1", "opening_hours": ""}
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        r = client.post("/admin/legacy-systems/arendesystem", data=form)
    assert r.status_code == 503
    assert "Ändringen sparades inte" in r.text
    assert registry.get_legacy_system(web_db.sessions, "arendesystem").seat_limit == 4
    assert audit.entries(web_db.sessions, action_prefix="legacy_system") == []
