"""The audit log on both backends: entries commit with their change, or not at all."""

from __future__ import annotations

import pytest

from caserobot import audit
from caserobot.db import write_session
from caserobot.db.models import UserRow


def test_entry_commits_with_the_change_it_records(db) -> None:  # type: ignore[no-untyped-def]
    with write_session(db.sessions) as session:
        session.add(UserRow(username="anna", password_hash="x", role="manager", units=[]))
        audit.record(
            session,
            actor="cli:root",
            action="user.add",
            target="user:anna",
            after={"role": "manager"},
            client="127.0.0.1",
        )
    [entry] = audit.entries(db.sessions, target="user:anna")
    assert (entry.actor, entry.action, entry.after) == ("cli:root", "user.add", {"role": "manager"})
    assert entry.before is None and entry.client == "127.0.0.1"


def test_rolled_back_change_leaves_no_entry(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), write_session(db.sessions) as session:
        audit.record(session, actor="anna", action="schedule.pause", target="deployment:x")
        raise RuntimeError("the change failed")
    assert audit.entries(db.sessions, action_prefix="schedule.") == []


def test_newest_first_filters_and_masked_personnummer(db) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        audit.record_now(
            db.sessions, actor="bo", action=f"exception.view.{i}", target="ansökan 19980101-9804"
        )
    audit.record_now(db.sessions, actor="cia", action="user.login")
    got = audit.entries(db.sessions, actor="bo", limit=2)
    assert [e.action for e in got] == ["exception.view.2", "exception.view.1"]
    assert all("9804" not in e.target and e.target.endswith("-****") for e in got)
