"""``caserobot users …`` and ``caserobot serve --help`` as a user meets them."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from caserobot import audit, users
from caserobot.cli import (
    app,
    commands,  # noqa: F401 - registers the commands
)
from caserobot.db import init_db
from caserobot.settings import get_settings

runner = CliRunner()
PASSWORD = "ett-langt-losenord"


@pytest.fixture
def settings(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CASEROBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CASEROBOT_DATABASE__URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "command", [["users", "--help"], ["users", "add", "--help"], ["serve", "--help"]]
)
def test_help(command: list[str]) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_add_list_passwd_disable(settings) -> None:
    result = runner.invoke(
        app,
        [
            "users",
            "add",
            "anna",
            "--role",
            "caseworker",
            "--unit",
            "Skolskjuts",
            "--unit",
            "Försörjningsstöd",
            "--name",
            "Anna Andersson",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    sessions = init_db(settings).sessions
    assert users.authenticate(sessions, "anna", PASSWORD).units == [
        "Skolskjuts",
        "Försörjningsstöd",
    ]
    listed = runner.invoke(app, ["users", "list"])
    assert listed.exit_code == 0 and "anna" in listed.output and "Skolskjuts" in listed.output

    new = "ett-annat-losenord"
    result = runner.invoke(app, ["users", "passwd", "anna", "--password-stdin"], input=new + "\n")
    assert result.exit_code == 0, result.output
    assert users.authenticate(sessions, "anna", PASSWORD) is None
    assert users.authenticate(sessions, "anna", new) is not None

    assert runner.invoke(app, ["users", "disable", "anna"]).exit_code == 0
    assert users.authenticate(sessions, "anna", new) is None
    actions = [e.action for e in audit.entries(sessions, target="user:anna")]
    assert actions == ["user.disable", "user.password", "user.add"]
    assert all(e.actor.startswith("cli") for e in audit.entries(sessions))


def test_prompted_password_must_match(settings) -> None:
    result = runner.invoke(
        app, ["users", "add", "chef", "--role", "manager"], input=f"{PASSWORD}\nannat\n"
    )
    assert result.exit_code == 2
    assert "lika" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "add", "x", "--role", "caseworker"], "minst en enhet"),
        (["users", "add", "x", "--role", "caseworker", "--unit", "Bygglov"], "okänd enhet"),
        (["users", "add", "x", "--role", "boss"], "okänd roll"),
        (["users", "add", "x y", "--role", "manager"], "användarnamnet"),
        (["users", "disable", "nobody"], "ingen användare"),
        (["users", "passwd", "nobody", "--password-stdin"], "ingen användare"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(settings, args, message) -> None:
    result = runner.invoke(app, args, input=PASSWORD + "\n")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_short_password_is_refused(settings) -> None:
    result = runner.invoke(
        app, ["users", "add", "kort", "--role", "manager", "--password-stdin"], input="kort\n"
    )
    assert result.exit_code == 2 and "minst 10 tecken" in result.output
