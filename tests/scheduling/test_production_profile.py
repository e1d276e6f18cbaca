"""The production profile's parts that need no Prefect server: the Prefect database setting,
worker names and their guard, and registering when two runs of a robot start at once.

The whole profile, with real workers on PostgreSQL: test_two_workers_postgres.py.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prefect.exceptions import ObjectAlreadyExists
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from caserobot import orchestration, prefect_database, prefect_worker, scheduling
from caserobot.cli import (
    app,
    commands,  # noqa: F401 - registers the commands
)
from caserobot.exceptions import ApplicationException, ConfigurationError, InputError
from caserobot.settings import PrefectSettings, Settings, get_settings
from tests.fixtures.database import POSTGRES_ADMIN_URL, postgres_unavailable

PASSWORD = "Hemligt-Lösen-77"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there after the close


def _settings(tmp_path: Path, database_url: str | None) -> Settings:
    prefect = PrefectSettings(database_url=SecretStr(database_url) if database_url else None)
    return Settings(var_dir=tmp_path / "var", prefect=prefect)


def test_unset_keeps_prefects_sqlite(tmp_path: Path) -> None:
    settings = _settings(tmp_path, None)
    assert prefect_database.checked_url(settings) is None
    assert prefect_database.server_env(settings) == {}


def test_the_url_reaches_the_server_under_both_of_prefects_names(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://prefect:{PASSWORD}@db.example:5432/prefect"
    assert prefect_database.server_env(_settings(tmp_path, url)) == {
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": url,
        "PREFECT_API_DATABASE_CONNECTION_URL": url,
    }
    assert PASSWORD not in prefect_database.label(make_url(url))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("inte en url", "ingen giltig databas-URL"),
        (f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:5432/prefect", "postgresql+asyncpg"),
        (f"postgresql://u:{PASSWORD}@127.0.0.1:5432/prefect", "postgresql+asyncpg"),
        (f"postgresql+asyncpg://u:{PASSWORD}@127.0.0.1:5432", "databasens namn saknas"),
    ],
)
def test_a_bad_url_is_one_swedish_line(tmp_path: Path, url: str, words: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        prefect_database.checked_url(_settings(tmp_path, url))
    assert words in str(raised.value) and "CASEROBOT_PREFECT__DATABASE_URL" in str(raised.value)
    assert PASSWORD not in str(raised.value)


def test_a_database_that_does_not_answer_is_named_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://u:{PASSWORD}@127.0.0.1:{_free_port()}/prefect"
    with pytest.raises(ApplicationException) as raised:
        prefect_database.checked_url(_settings(tmp_path, url))
    message = str(raised.value)
    assert "Prefects databas postgresql+asyncpg://u:***@127.0.0.1" in message
    assert "svarar inte (anslutningen nekades)" in message and PASSWORD not in message


@pytest.mark.postgres
def test_a_missing_database_says_so(tmp_path: Path) -> None:
    if reason := postgres_unavailable():
        pytest.skip(reason)
    url = make_url(POSTGRES_ADMIN_URL).set(
        drivername="postgresql+asyncpg", database="caserobot_t2w_finns_inte"
    )
    settings = _settings(tmp_path, url.render_as_string(hide_password=False))
    with pytest.raises(ApplicationException, match="finns inte: skapa den först"):
        prefect_database.checked_url(settings)


def test_the_cli_stops_with_one_line_before_starting_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CASEROBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv(
        "CASEROBOT_PREFECT__DATABASE_URL",
        f"postgresql+asyncpg://u:{PASSWORD}@127.0.0.1:{_free_port()}/prefect",
    )
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["credentials", "list"])
    finally:
        get_settings.cache_clear()
    output = " ".join(result.output.split())  # as one line, whatever the terminal's width
    assert result.exit_code == 1, output
    assert output.startswith("Fel: Prefects databas") and "svarar inte" in output, output
    assert "Traceback" not in output and PASSWORD not in output
    assert not (tmp_path / "var" / "prefect" / "caserobot-server.json").exists()


@pytest.mark.parametrize("name", ["", "../etc", "två ord", "-x", "a" * 64])
def test_a_worker_name_is_also_a_file_name(name: str) -> None:
    with pytest.raises(InputError):
        prefect_worker.check_worker_name(name)


def test_default_worker_name_is_the_hosts() -> None:
    name = prefect_worker.default_worker_name()
    assert name.startswith("caserobot-") and prefect_worker.check_worker_name(name) == name


def test_the_cli_refuses_a_bad_name_before_connecting() -> None:
    result = CliRunner().invoke(app, ["worker", "--name", "../etc"])
    assert result.exit_code == 2 and "--name" in result.output
    assert "Traceback" not in result.output


def _online(name: str) -> list[scheduling.WorkerInfo]:
    return [scheduling.WorkerInfo(name=name, status="ONLINE", last_heartbeat=datetime.now(UTC))]


def test_one_name_is_locked_while_it_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduling, "workers", lambda: [])
    settings = _settings(tmp_path, None)
    first, _ = prefect_worker._claim(settings, "worker-1")
    assert first is not None
    again, why = prefect_worker._claim(settings, "worker-1")
    assert again is None and "worker-1 kör redan på den här datorn" in why
    other, _ = prefect_worker._claim(settings, "worker-2")  # another name starts
    assert other is not None
    first.close()  # the worker and the process that started it are gone
    after, _ = prefect_worker._claim(settings, "worker-1")
    assert after is not None
    for lock in (other, after):
        lock.close()


def test_a_name_online_in_prefect_elsewhere_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduling, "workers", lambda: _online("worker-1"))
    settings = _settings(tmp_path, None)
    lock, why = prefect_worker._claim(settings, "worker-1")
    assert lock is None and "online i Prefect" in why
    # one that ran here and stopped a moment ago: Prefect still shows it online; it restarts
    path = settings.var_dir / "prefect" / "workers" / "worker-1.lock"
    path.write_text(json.dumps({"host": socket.gethostname(), "pid": 1}), encoding="utf-8")
    lock, _ = prefect_worker._claim(settings, "worker-1")
    assert lock is not None
    lock.close()


class _RacingClient:
    """Prefect's upsert reads, then creates: another run created the limit in between."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def upsert_global_concurrency_limit_by_name(self, name: str, limit: int) -> None:
        self.calls.append((name, limit))
        if len(self.calls) == 1:
            raise ObjectAlreadyExists(http_exc=Exception("409"))


def test_a_limit_created_by_another_run_meanwhile_is_updated() -> None:
    client = _RacingClient()
    orchestration._upsert_limit(client, "arendesystem", 4)
    assert client.calls == [("legacy-arendesystem", 4)] * 2


def test_registering_again_when_another_run_added_the_rows_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def register(robot_name: str) -> dict[str, str]:
        calls.append(robot_name)
        if len(calls) == 1:
            raise IntegrityError("INSERT INTO robots", {}, Exception("duplicate key"))
        return {"name": robot_name}

    monkeypatch.setattr(orchestration, "_register", register)
    assert orchestration.register_task.fn("skolskjuts") == {"name": "skolskjuts"}
    assert calls == ["skolskjuts", "skolskjuts"]


DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, quotes around a value removed (as systemd and compose read them)."""
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            env[key.strip()] = value
    return env


def _is_setting(key: str) -> bool:
    """Whether CASEROBOT_<A>__<B>… names a field of caserobot's settings."""
    from pydantic import BaseModel

    from caserobot.settings import WebSystemSettings

    model: type[BaseModel] = Settings
    parts = key.removeprefix("CASEROBOT_").lower().split("__")
    while parts:
        part = parts.pop(0)
        if part not in model.model_fields:
            return False
        annotation = model.model_fields[part].annotation
        if part == "web_systems":  # by system name, then a web system's settings
            return len(parts) == 2 and parts[1] in WebSystemSettings.model_fields
        if parts and not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return False
        if parts:
            model = annotation  # type: ignore[assignment]
    return True


def _deploy_variables() -> dict[str, dict[str, str]]:
    import yaml

    found = {p.name: _env_file(p) for p in sorted(DEPLOY.glob("*.env.example"))}
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        found[f"compose.yaml:{name}"] = {k: str(v) for k, v in service["environment"].items()}
    return found


def test_every_deploy_variable_is_a_real_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.settings import Settings as PrefectRootSettings
    from prefect.settings.legacy import _get_valid_setting_names

    prefect_names = _get_valid_setting_names(PrefectRootSettings)
    files = _deploy_variables()
    assert {"caserobot.env.example", "prefect-server.env.example"} <= set(files)
    for where, env in files.items():
        for key in env:
            if key.startswith("CASEROBOT_"):
                assert _is_setting(key), f"{where}: {key} is no caserobot setting"
            elif key.startswith("PREFECT_"):
                assert key in prefect_names, f"{where}: {key} is no Prefect setting"
    # and caserobot reads the example's values
    for key, value in files["caserobot.env.example"].items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.web.trusted_proxies == ["127.0.0.1"] and settings.case_system.seat_limit == 4
