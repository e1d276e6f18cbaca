"""``caserobot schedules``, ``credentials`` and ``worker`` as an administrator meets them."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from caserobot import credentials, scheduling
from caserobot.cli import (
    app,
    commands,  # noqa: F401 - registers the commands
)
from caserobot.settings import Settings

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    [
        ["schedules", "add"],
        ["schedules", "list"],
        ["schedules", "pause"],
        ["schedules", "resume"],
        ["schedules", "run"],
        ["schedules", "delete"],
        ["credentials", "set"],
        ["credentials", "list"],
        ["worker"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_add_list_pause_run_resume_delete(scheduling_settings: Settings) -> None:
    added = runner.invoke(app, ["schedules", "add", "skolskjuts", "--cron", "0 6 * * 1-5"])
    assert added.exit_code == 0, added.output
    assert "vardagar kl. 06:00" in added.output and "/deployments/deployment/" in added.output

    listed = runner.invoke(app, ["schedules", "list"])
    assert listed.exit_code == 0, listed.output
    assert "skolskjuts" in listed.output and "aktiv" in listed.output

    assert runner.invoke(app, ["schedules", "pause", "skolskjuts"]).exit_code == 0
    assert scheduling.get_schedule("skolskjuts").paused
    ran = runner.invoke(app, ["schedules", "run", "skolskjuts"])
    assert ran.exit_code == 0, ran.output
    [last] = scheduling.get_schedule("skolskjuts").last_runs
    assert last.id in ran.output
    assert runner.invoke(app, ["schedules", "resume", "skolskjuts"]).exit_code == 0
    assert not scheduling.get_schedule("skolskjuts").paused
    assert runner.invoke(app, ["schedules", "delete", "skolskjuts"]).exit_code == 0
    assert scheduling.list_schedules() == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["schedules", "add", "skolskjuts", "--cron", "0 25 * * *"], "timme"),
        (["schedules", "add", "nosuchrobot", "--cron", "0 6 * * *"], "nosuchrobot"),
        (["schedules", "pause", "nosuch"], "finns inte"),
        (["credentials", "set", "stordatorn", "--username", "u", "--password-stdin"], "okänt"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    scheduling_settings: Settings, args: list[str], words: str
) -> None:
    result = runner.invoke(app, args, input="hemligt\n")
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_unreachable_prefect_is_one_clear_line(
    scheduling_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free, and nothing listens there after the close
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")
    result = runner.invoke(app, ["schedules", "list"])
    assert result.exit_code == 1
    assert "svarar inte" in result.output and "Traceback" not in result.output


def test_credentials_set_and_list_never_show_the_password(scheduling_settings: Settings) -> None:
    from tests.scheduling.conftest import remove_stored_credentials

    remove_stored_credentials()
    secret = "Mycket-Hemligt-99"
    stored = runner.invoke(
        app,
        ["credentials", "set", "arendesystem", "--username", "robot09", "--password-stdin"],
        input=f"{secret}\n",
    )
    assert stored.exit_code == 0, stored.output
    assert credentials.load("arendesystem").password.get_secret_value() == secret  # type: ignore[union-attr]
    listed = runner.invoke(app, ["credentials", "list"])
    assert listed.exit_code == 0 and "robot09" in listed.output
    assert secret not in stored.output + listed.output

    prompted = runner.invoke(
        app, ["credentials", "set", "arendesystem", "--username", "robot10"], input="a\na\n"
    )
    assert prompted.exit_code == 0, prompted.output
    assert credentials.load("arendesystem").username == "robot10"  # type: ignore[union-attr]


def test_add_with_seats_sets_the_runs_parameter(scheduling_settings: Settings) -> None:
    added = runner.invoke(
        app, ["schedules", "add", "skolskjuts", "--cron", "0 6 * * 1-5", "--seats", "2"]
    )
    assert added.exit_code == 0, added.output
    assert scheduling.get_schedule("skolskjuts").parameters == {"seats": 2}
    refused = runner.invoke(
        app, ["schedules", "add", "skolskjuts", "--cron", "0 6 * * *", "--seats", "0"]
    )
    assert refused.exit_code == 2 and "Traceback" not in refused.output
