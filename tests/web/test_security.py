"""Sessions that end, login throttling per address, capped audit rows, the signing key,
cookie flags, proxy headers, response headers and the body-size limit (issue 13)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from caserobot import audit, users
from caserobot.audit import CUT_MARK
from caserobot.exceptions import ConfigurationError
from caserobot.settings import Settings, WebSettings
from caserobot.web import create_app
from caserobot.web.security import CSP, ROBOT_OUTPUT_CSP, SECRET_KEY_FILE, secret_key
from caserobot.web.server import server_config
from caserobot.web.throttle import LoginThrottle
from tests.web.conftest import PASSWORD
from tests.web.test_admin import run_with_items  # noqa: F401 (a fixture)


def _csrf(client: TestClient) -> str:
    page = client.get("/login")
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def _try_login(client: TestClient, username: str, password: str) -> httpx.Response:
    data = {"username": username, "password": password, "csrf_token": _csrf(client)}
    return client.post("/login", data=data)


@contextmanager
def _client_from(app: FastAPI, address: str) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, client=(address, 40000)) as c:
        yield c


# -- 1. sessions end on logout, a new password and disabling -----------------------------


def test_a_copied_cookie_stops_working_after_logout(app, client, login) -> None:
    csrf = login(client, "chef")
    stolen = dict(client.cookies)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    with TestClient(app, follow_redirects=False, cookies=stolen) as thief:
        assert thief.get("/api/me").status_code == 401
        assert thief.get("/dashboard").status_code == 303  # to the login page


def test_a_new_password_ends_every_session(app, client, login, web_db) -> None:
    login(client, "chef")
    with TestClient(app, follow_redirects=False) as other_browser:
        login(other_browser, "chef")
        users.set_password(web_db.sessions, "chef", "ett-helt-nytt-lösenord", actor="admin")
        assert other_browser.get("/api/me").status_code == 401
    assert client.get("/api/me").status_code == 401
    login(client, "chef", "ett-helt-nytt-lösenord")
    assert client.get("/api/me").status_code == 200


def test_disabling_then_enabling_does_not_revive_old_sessions(client, login, web_db) -> None:
    login(client, "chef")
    stolen = dict(client.cookies)
    users.set_active(web_db.sessions, "chef", False, actor="admin")
    users.set_active(web_db.sessions, "chef", True, actor="admin")
    client.cookies.clear()
    client.cookies.update(stolen)
    assert client.get("/api/me").status_code == 401


# -- 2. throttling per address and per (address, name) ------------------------------------


def test_spraying_names_from_one_address_is_throttled(app) -> None:
    with _client_from(app, "203.0.113.7") as attacker:
        statuses = [
            _try_login(attacker, f"anvandare{i}", "Sommar2026!").status_code for i in range(25)
        ]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}
    with _client_from(app, "203.0.113.7") as attacker:
        refused = _try_login(attacker, "chef", PASSWORD)  # even a right password: wait
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_the_owner_logs_in_from_elsewhere_while_the_name_is_hammered(app) -> None:
    with _client_from(app, "203.0.113.7") as attacker:
        for _ in range(8):
            _try_login(attacker, "chef", "gissning")
        assert _try_login(attacker, "chef", PASSWORD).status_code == 429
    with _client_from(app, "198.51.100.20") as owner:
        assert _try_login(owner, "chef", PASSWORD).status_code == 303
        assert owner.get("/api/me").json()["username"] == "chef"


def test_back_off_doubles_and_memory_is_bounded() -> None:
    now = [0.0]
    throttle = LoginThrottle(max_entries=50, clock=lambda: now[0])
    waits = []
    for _ in range(4):
        while throttle.retry_after("192.0.2.1", "chef") == 0:
            throttle.failed("192.0.2.1", "chef")
        waits.append(throttle.retry_after("192.0.2.1", "chef"))
        now[0] += waits[-1]
    assert waits == [30.0, 60.0, 120.0, 240.0]
    assert throttle.retry_after("192.0.2.2", "chef") == 0  # another address is not locked
    for i in range(5000):
        throttle.failed(f"10.{i // 250}.{i % 250}.1", f"namn{i}")
    assert throttle.sizes() == (50, 50)


def test_ipv6_addresses_count_per_64_network() -> None:
    throttle = LoginThrottle(address_max_failures=3)
    for host in range(3):
        throttle.failed(f"2001:db8:1:2::{host + 1}", f"namn{host}")
    assert throttle.retry_after("2001:db8:1:2::99", "annan") > 0
    assert throttle.retry_after("2001:db8:1:3::1", "annan") == 0


# -- 3. what a failed login stores --------------------------------------------------------


def test_a_huge_username_is_cut_in_the_audit_log(client, web_db) -> None:
    response = _try_login(client, "x" * 60_000, "fel")
    assert response.status_code == 401
    [entry] = audit.entries(web_db.sessions, action_prefix="login.failed")
    assert len(entry.actor) == 100 and entry.actor.endswith(CUT_MARK)
    assert len(response.text) < 60_000  # the form does not echo it back whole either


def test_an_absurd_body_is_refused_before_it_is_read(client, web_db) -> None:
    big = {"username": "x" * 400_000, "password": "fel", "csrf_token": _csrf(client)}
    response = client.post("/login", data=big)
    assert response.status_code == 413
    assert "för stor" in response.json()["detail"]
    assert audit.entries(web_db.sessions, action_prefix="login") == []

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(300):
            yield b"a" * 1000

    chunked = client.post(
        "/login",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 413 and "för stor" in chunked.text


# -- 5. the signing key -------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "\n", "kort-nyckel"])
def test_an_empty_or_short_key_file_is_refused(tmp_path, content: str) -> None:
    (tmp_path / SECRET_KEY_FILE).write_text(content, encoding="utf-8")
    settings = Settings(var_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="at least 32") as caught:
        secret_key(settings)
    assert SECRET_KEY_FILE in str(caught.value) and "delete the file" in str(caught.value)
    with pytest.raises(ConfigurationError):
        create_app(settings)
    assert (tmp_path / SECRET_KEY_FILE).read_text(encoding="utf-8") == content  # untouched


def test_a_short_configured_key_is_refused(tmp_path) -> None:
    settings = Settings(var_dir=tmp_path, web=WebSettings(secret_key=SecretStr("hemligt")))
    with pytest.raises(ConfigurationError, match="CASEROBOT_WEB__SECRET_KEY"):
        secret_key(settings)


# -- 6. cookie flags ----------------------------------------------------------------------


def _session_cookie(response: httpx.Response) -> str:
    [cookie] = [c for c in response.headers.get_list("set-cookie") if "caserobot_session" in c]
    return cookie.lower()


def test_cookie_is_httponly_and_samesite_and_secure_when_configured(
    client, web_settings: Settings
) -> None:
    cookie = _session_cookie(client.get("/login"))
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie

    secure = web_settings.model_copy(
        update={"web": web_settings.web.model_copy(update={"cookie_secure": True})}
    )
    app = create_app(secure)
    try:
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
            cookie = _session_cookie(c.get("/login"))
            assert "secure" in cookie and "httponly" in cookie
    finally:
        app.state.db.dispose()


# -- 7. the client's address: X-Forwarded-For only from trusted proxies -------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _served(app: FastAPI) -> Iterator[str]:
    """The app behind uvicorn as ``caserobot serve`` configures it, on a free port."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(server_config(app, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _failed_login_over_http(url: str) -> None:
    with httpx.Client(base_url=url, headers={"X-Forwarded-For": "6.6.6.6"}) as http:
        page = http.get("/login")
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        data = {"username": "ingen", "password": "fel", "csrf_token": csrf}
        assert http.post("/login", data=data).status_code == 401


def test_forwarded_for_is_ignored_from_an_untrusted_peer(app, web_db) -> None:
    with _served(app) as url:
        _failed_login_over_http(url)
    [entry] = audit.entries(web_db.sessions, action_prefix="login.failed")
    assert entry.client == "127.0.0.1"


def test_forwarded_for_is_believed_from_a_configured_proxy(web_settings: Settings) -> None:
    behind_proxy = web_settings.model_copy(
        update={"web": web_settings.web.model_copy(update={"trusted_proxies": ["127.0.0.1"]})}
    )
    app = create_app(behind_proxy)
    try:
        with _served(app) as url:
            _failed_login_over_http(url)
        [entry] = audit.entries(app.state.db.sessions, action_prefix="login.failed")
        assert entry.client == "6.6.6.6"
    finally:
        app.state.db.dispose()


def test_trusted_proxies_are_read_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("CASEROBOT_WEB__TRUSTED_PROXIES", '["10.0.0.5", "10.1.0.0/16"]')
    monkeypatch.setenv("CASEROBOT_WEB__COOKIE_SECURE", "true")
    settings = Settings()
    assert settings.web.trusted_proxies == ["10.0.0.5", "10.1.0.0/16"]
    assert settings.web.cookie_secure is True


# -- 8. response headers ------------------------------------------------------------------


def test_pages_have_a_strict_csp_and_authenticated_responses_are_not_stored(
    client, login, run_with_items  # noqa: F811
) -> None:
    login_page = client.get("/login")
    assert login_page.headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "'unsafe-inline'" not in CSP
    assert login_page.headers["referrer-policy"] == "same-origin"
    login(client, "admin")
    for path in ("/admin/robots", "/api/robots", f"/api/runs/{run_with_items}", "/api/me"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
        assert response.headers["x-content-type-options"] == "nosniff", path
    log = client.get(client.get(f"/admin/runs/{run_with_items}/files/log.html").headers["location"])
    assert log.headers["cache-control"] == "no-store"
    assert log.headers["content-security-policy"] == ROBOT_OUTPUT_CSP
    assert "sandbox" in ROBOT_OUTPUT_CSP
    assert "no-store" not in client.get("/static/style.css").headers.get("cache-control", "")


def test_no_template_or_docs_page_needs_inline_script(client, login) -> None:
    from caserobot.web.deps import TEMPLATES_DIR

    for template in TEMPLATES_DIR.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "<script" not in text and " style=" not in text and "<style" not in text, template
        assert " onclick=" not in text and "javascript:" not in text, template
    login(client, "chef")
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "<script>" not in docs.text and 'src="/static/swagger-init.js"' in docs.text
    assert client.get("/static/swagger-init.js").status_code == 200


# -- 9. the audit page shows whether the hash chain is whole ------------------------------


def test_the_audit_page_shows_a_broken_chain(client, login, web_db) -> None:
    from sqlalchemy import text

    login(client, "admin")
    page = client.get("/admin/audit")
    assert "Hashkedjan är hel" in page.text and "Kontrollera hela loggen" in page.text
    first = min(e.id for e in audit.entries(web_db.sessions))
    with web_db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = :id"), {"id": first})
    for url in ("/admin/audit", "/admin/audit?full=1"):
        assert f"Hashkedjan är bruten vid post {first}" in client.get(url).text, url
    assert client.get("/api/audit/verify").json()["first_broken_id"] == first
