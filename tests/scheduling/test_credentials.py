"""Legacy-system credentials as Prefect blocks: stored, listed without the password."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from pydantic import SecretStr

from caserobot import audit, credentials
from caserobot.db import init_db
from caserobot.exceptions import InputError
from caserobot.settings import Settings
from tests.scheduling.conftest import remove_stored_credentials

PASSWORD = "Hemligt-Lösen-4711"


@pytest.fixture
def clean_blocks(scheduling_settings: Settings) -> Iterator[Settings]:
    """Settings with no stored credentials, before and after."""
    remove_stored_credentials()
    yield scheduling_settings
    remove_stored_credentials()


def test_secret_block_round_trips_and_the_password_is_never_shown(
    clean_blocks: Settings,
) -> None:
    assert not credentials.exists("arendesystem")
    assert credentials.load("arendesystem") is None

    stored = credentials.store("arendesystem", "robot07", PASSWORD, actor="admin")
    assert (stored.system, stored.username) == ("arendesystem", "robot07")
    assert stored.stored_at is not None
    assert credentials.exists("arendesystem")
    loaded = credentials.load("arendesystem")
    assert loaded is not None and loaded.username == "robot07"
    assert loaded.password.get_secret_value() == PASSWORD
    assert PASSWORD not in repr(loaded) + repr(stored)
    assert credentials.list_stored() == [stored]

    with get_client(sync_client=True) as client:
        doc = client.read_block_document_by_name(
            "legacy-arendesystem-credentials", credentials.BLOCK_TYPE, include_secrets=False
        )
    assert doc.block_type.slug == "caserobot-legacy-credentials"
    assert doc.data["username"] == "robot07"  # shown in Prefect's UI; the password is not
    assert PASSWORD not in json.dumps(doc.data, default=str)

    credentials.store("arendesystem", "robot08", PASSWORD + "-2", actor="admin")
    assert credentials.load("arendesystem").username == "robot08"  # type: ignore[union-attr]
    entries = audit.entries(init_db(clean_blocks).sessions, action_prefix="credentials.")
    assert [(e.target, e.after["username"], e.after["password"]) for e in entries] == [
        ("system:arendesystem", "robot08", "***"),
        ("system:arendesystem", "robot07", "***"),
    ]
    assert entries[0].before == {"username": "robot07", "password": "***"}
    assert PASSWORD not in json.dumps([e.model_dump(mode="json") for e in entries])


@pytest.mark.parametrize(
    ("system", "username", "password", "field"),
    [
        ("stordatorn", "robot07", PASSWORD, "system"),
        ("arendesystem", " ", PASSWORD, "username"),
        ("arendesystem", "robot07", "", "password"),
    ],
)
def test_bad_input_is_refused(
    clean_blocks: Settings, system: str, username: str, password: str, field: str
) -> None:
    with pytest.raises(InputError) as info:
        credentials.store(system, username, password, actor="admin")
    assert info.value.field == field
    assert credentials.list_stored() == []


def test_robot_settings_take_the_stored_case_system_account(
    clean_blocks: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = clean_blocks.model_copy(
        update={
            "case_system": clean_blocks.case_system.model_copy(
                update={"username": "robot01", "password": SecretStr("robot01")}
            )
        }
    )
    assert credentials.apply(settings) == settings  # nothing stored: the settings stand
    credentials.store("arendesystem", "robot07", PASSWORD, actor="admin")

    applied = credentials.apply(settings)
    assert applied.case_system.username == "robot07"
    assert applied.case_system.password.get_secret_value() == PASSWORD
    assert applied.case_system.base_url == settings.case_system.base_url

    # A flow hands the account to the robot process it starts: the robot's settings read it
    # from the environment, and the robot does not ask Prefect again (nor load its client).
    handed = credentials.for_robot_process()
    assert handed == {
        credentials.RESOLVED: "1",
        "CASEROBOT_CASE_SYSTEM__USERNAME": "robot07",
        "CASEROBOT_CASE_SYSTEM__PASSWORD": PASSWORD,
    }
    for key, value in handed.items():
        monkeypatch.setenv(key, value)
    assert credentials.apply(settings) == settings  # resolved already: not asked again
    assert type(settings)().case_system.username == "robot07"
    for key in handed:
        monkeypatch.delenv(key)

    monkeypatch.delenv("PREFECT_API_URL")  # a robot run outside Prefect: settings only
    assert credentials.apply(settings).case_system.username == "robot01"
    assert credentials.for_robot_process() == {}


def test_password_is_not_in_robot_framework_output(clean_blocks: Settings, tmp_path: Path) -> None:
    credentials.store("arendesystem", "robot07", PASSWORD, actor="admin")
    suite = tmp_path / "credentials.robot"
    suite.write_text(
        "*** Settings ***\nLibrary    caserobot.robotlib.CaseRobot\n\n"
        "*** Tasks ***\nLoad The Library\n    Log    klar\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "robot", "--rpa", "--loglevel", "TRACE", "--outputdir", str(out)]
        + [str(suite)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("output.xml", "log.html", "report.html"):
        assert PASSWORD not in (out / name).read_text(encoding="utf-8")
    assert PASSWORD not in result.stdout + result.stderr


def test_listing_never_asks_prefect_for_secrets(
    clean_blocks: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import SyncPrefectClient

    credentials.store("arendesystem", "robot07", PASSWORD, actor="admin")
    asked: list[bool] = []
    real = SyncPrefectClient.read_block_documents_by_type

    def recording(self, slug, *args, include_secrets=True, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(include_secrets)
        return real(self, slug, *args, include_secrets=include_secrets, **kwargs)

    monkeypatch.setattr(SyncPrefectClient, "read_block_documents_by_type", recording)
    assert [c.username for c in credentials.list_stored()] == ["robot07"]
    assert asked and not any(asked)  # Prefect's default would include them


def test_credentials_of_the_earlier_format_are_read_and_replaced(clean_blocks: Settings) -> None:
    from prefect.blocks.system import Secret

    Secret(value={"username": "robot05", "password": PASSWORD}).save(
        credentials.block_name("arendesystem"), overwrite=True
    )
    assert credentials.load("arendesystem").username == "robot05"  # type: ignore[union-attr]
    [old] = credentials.list_stored()
    assert (old.system, old.username) == ("arendesystem", credentials.UNKNOWN_USERNAME)

    credentials.store("arendesystem", "robot06", PASSWORD, actor="admin")

    assert [c.username for c in credentials.list_stored()] == ["robot06"]
    with get_client(sync_client=True) as client:
        secrets = client.read_block_documents_by_type("secret", include_secrets=False)
    assert not [d for d in secrets if d.name == credentials.block_name("arendesystem")]
