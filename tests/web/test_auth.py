"""Logging in and out, start pages by role, throttling, CSRF and the API docs behind login."""

from __future__ import annotations

import os
import stat

from caserobot import audit
from caserobot.settings import Settings
from caserobot.web.app import SECRET_KEY_FILE, secret_key
from tests.web.conftest import PASSWORD


def test_login_page_is_swedish_and_labelled(client) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text
    assert 'href="#main"' in page.text  # skip link
    assert '<label for="username">' in page.text and 'id="username"' in page.text
    assert '<label for="password">' in page.text and 'id="password"' in page.text


def test_start_page_by_role(client, login) -> None:
    for username, start in [
        ("admin", "/admin/robots"),
        ("skolskjuts", "/casework"),
        ("chef", "/dashboard"),
    ]:
        client.cookies.clear()
        login(client, username)
        response = client.get("/")
        assert response.status_code == 303
        assert response.headers["location"] == start


def test_not_logged_in_pages_redirect_to_login_with_next(client) -> None:
    response = client.get("/?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2F%3Fx%3D1"


def test_login_goes_back_to_next_but_never_off_site(client) -> None:
    page = client.get("/login?next=//evil.example/x")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert 'value="//evil.example/x"' not in page.text
    response = client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": csrf, "next": "/admin/runs"},
    )
    assert response.headers["location"] == "/admin/runs"


def test_wrong_password_is_one_generic_message_and_audited(client, web_db) -> None:
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    wrong = client.post("/login", data={"username": "admin", "password": "fel", "csrf_token": csrf})
    unknown = client.post(
        "/login", data={"username": "ingen", "password": "fel", "csrf_token": csrf}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "Fel användarnamn eller lösenord." in wrong.text
    assert "Fel användarnamn eller lösenord." in unknown.text
    assert client.get("/api/me").status_code == 401
    failed = audit.entries(web_db.sessions, action_prefix="login.failed")
    assert {e.actor for e in failed} == {"admin", "ingen"}


def test_login_and_logout_are_audited(client, login, web_db) -> None:
    csrf = login(client, "chef")
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/api/me").status_code == 401
    actions = [e.action for e in audit.entries(web_db.sessions, actor="chef")]
    assert actions == ["logout", "login"]


def test_repeated_failures_lock_the_username(client, app) -> None:
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    for _ in range(5):
        r = client.post("/login", data={"username": "chef", "password": "x", "csrf_token": csrf})
        assert r.status_code == 401
    right = {"username": "chef", "password": PASSWORD, "csrf_token": csrf}
    locked = client.post("/login", data=right)
    assert locked.status_code == 429
    assert "För många misslyckade inloggningar" in locked.text
    # Time passes (the throttle's clock, not the wall clock): the right password works.
    throttle = app.state.login_throttle
    throttle.clock = lambda: float("inf")
    assert client.post("/login", data=right).status_code == 303


def test_disabled_user_cannot_log_in_and_is_logged_out(client, login, web_db) -> None:
    from caserobot import users

    login(client, "chef")
    users.set_active(web_db.sessions, "chef", False, actor="admin")
    assert client.get("/api/me").status_code == 401
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = client.post("/login", data={"username": "chef", "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 401


def test_login_without_csrf_token_is_refused(client) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 403


def test_api_docs_and_schema_need_login(client, login) -> None:
    assert client.get("/api/docs").status_code == 401
    assert client.get("/api/openapi.json").status_code == 401
    login(client, "chef")
    assert client.get("/api/docs").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert "/api/me" in schema["paths"]
    assert not any(not p.startswith("/api/") for p in schema["paths"])


def test_security_headers(client) -> None:
    r = client.get("/login")
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_secret_key_is_generated_once_with_mode_0600(tmp_path) -> None:
    settings = Settings(var_dir=tmp_path)
    first = secret_key(settings)
    assert secret_key(settings) == first and len(first) >= 32
    mode = stat.S_IMODE(os.stat(tmp_path / SECRET_KEY_FILE).st_mode)
    assert mode == 0o600
