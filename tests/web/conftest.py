"""Fixtures for the web UI: the real app on a temporary SQLite database, a client over HTTP
(Starlette's TestClient), users of every role, and a ``login`` helper.

Use them in any page's tests::

    def test_my_page(client, login):
        csrf = login(client, "skolskjuts")
        assert client.get("/casework").status_code == 200
        client.post("/casework/1/decide", data={"csrf_token": csrf, ...})

``login`` returns the session's CSRF token (send it as the form field ``csrf_token`` or the
header ``X-CSRF-Token``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from caserobot import users
from caserobot.db import Database, open_database
from caserobot.settings import DatabaseSettings, Settings, WebSettings
from caserobot.web import create_app

#: Every pre-created user has this password.
PASSWORD = "rätt-lösenord-123"

#: username → (role, units, display name)
USERS = {
    "admin": ("admin", [], "Ada Administratör"),
    "skolskjuts": ("caseworker", ["Skolskjuts"], "Sara Skolskjuts"),
    "fsstod": ("caseworker", ["Försörjningsstöd"], "Fredrik Försörjning"),
    "vuxen": ("caseworker", ["Vuxenutbildning"], "Vera Vuxenutbildning"),
    "chef": ("manager", [], "Cecilia Chef"),
}


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the login form; returns the session's CSRF token.

    Raises AssertionError when the login fails.
    """
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, f"login as {username} failed: {response.status_code}"
    me = client.get("/api/me")
    assert me.status_code == 200
    return str(me.json()["csrf_token"])


@pytest.fixture(scope="session")
def _web_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the users of :data:`USERS`, made once (argon2 is slow)."""
    path = tmp_path_factory.mktemp("web-template") / "web.db"
    database = open_database(f"sqlite:///{path}")
    try:
        for username, (role, units, name) in USERS.items():
            users.add_user(
                database.sessions,
                username=username,
                password=PASSWORD,
                role=role,
                units=units,
                display_name=name,
                actor="test",
            )
    finally:
        database.dispose()
    return path


@pytest.fixture
def web_settings(tmp_path: Path, _web_template_db: Path) -> Settings:
    """Settings with run data and a fresh copy of the users' SQLite database in tmp."""
    db_path = tmp_path / "web.db"
    shutil.copyfile(_web_template_db, db_path)
    return Settings(
        var_dir=tmp_path / "var",
        database=DatabaseSettings(url=f"sqlite:///{db_path}"),
        web=WebSettings(secret_key=SecretStr("test-secret-key-not-for-production")),
    )


@pytest.fixture
def app(web_settings: Settings) -> Iterator[FastAPI]:
    """The web app with the users of :data:`USERS` (password :data:`PASSWORD`)."""
    application = create_app(web_settings)
    yield application
    application.state.db.dispose()


@pytest.fixture
def web_db(app: FastAPI) -> Database:
    """The app's database (to arrange robots, runs, work items …)."""
    db: Database = app.state.db
    return db


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the app over HTTP, not logged in. Redirects are not followed."""
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture(name="login")
def login_fixture() -> Callable[..., str]:
    """``login(client, username, password=PASSWORD) -> csrf token``."""
    return login
