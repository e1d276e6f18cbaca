"""The security side of the command line, run as the real ``caserobot`` program: private run
data (umask 0o077), ``caserobot audit verify`` and ``caserobot users protected``."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from caserobot import users
from caserobot.db import open_database

CASEROBOT = Path(sys.executable).parent / "caserobot"
PASSWORD = "ett-langt-losenord"


def _run(var: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEROBOT_")}
    env["CASEROBOT_VAR_DIR"] = str(var)
    return subprocess.run(
        [str(CASEROBOT), *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def var(tmp_path: Path) -> Path:
    old = os.umask(0o022)  # as a default shell has it: the program must not rely on ours
    try:
        result = _run(
            tmp_path / "var", "users", "add", "anna", "--role", "manager", "--password-stdin",
            stdin=PASSWORD + "\n",
        )
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    return tmp_path / "var"


def test_run_data_is_private_to_the_os_user(var: Path) -> None:
    assert _mode(var) == 0o700
    created = [var / "caserobot.db", *var.glob("caserobot.db-*")]
    assert created
    for path in created:
        assert _mode(path) == 0o600, path


def test_audit_verify_names_the_row_changed_behind_the_triggers_back(var: Path) -> None:
    ok = _run(var, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "intact: 1 rows checked" in ok.stdout
    db = sqlite3.connect(var / "caserobot.db")
    with db, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit_log SET actor = 'mallory'")
    with db:
        db.execute("DROP TRIGGER audit_log_no_update")
        db.execute("UPDATE audit_log SET after = '{\"role\": \"admin\"}' WHERE id = 1")
    db.close()
    broken = _run(var, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN at row 1" in broken.stderr


def test_users_protected_grants_and_withdraws(var: Path) -> None:
    granted = _run(var, "users", "protected", "anna", "--allow")
    assert granted.returncode == 0, granted.stderr
    database = open_database(f"sqlite:///{var / 'caserobot.db'}")
    try:
        assert users.get_user(database.sessions, "anna").may_view_protected
        assert "(skyddade)" in _run(var, "users", "list").stdout
        assert _run(var, "users", "protected", "anna", "--deny").returncode == 0
        assert not users.get_user(database.sessions, "anna").may_view_protected
    finally:
        database.dispose()
    unknown = _run(var, "users", "protected", "ingen", "--allow")
    assert unknown.returncode == 2 and "ingen" in unknown.stderr
