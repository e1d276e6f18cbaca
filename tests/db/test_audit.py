"""The audit log on both backends: entries commit with their change, or not at all; the
database refuses to change them, and the hash chain shows a change made behind its back."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from caserobot import audit
from caserobot.db import Database, session_factory, write_session
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


# -- issue 13: capped, append-only, tamper-evident ----------------------------------------

ALLOW_UPDATE = {
    "sqlite": ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
    "postgresql": [
        "DROP TRIGGER audit_log_append_only ON audit_log",
        "DROP TRIGGER audit_log_no_truncate ON audit_log",
    ],
}


def _write(db, n: int, actor: str = "anna") -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        audit.record_now(
            db.sessions,
            actor=actor,
            action="schedule.pause",
            target=f"deployment:{i}",
            before={"paused": False, "när": i},
            after={"paused": True},
            client="127.0.0.1",
        )


def test_a_huge_actor_is_cut_and_marked(db) -> None:  # type: ignore[no-untyped-def]
    audit.record_now(db.sessions, actor="x" * 400_000, action="login.failed")
    [entry] = audit.entries(db.sessions)
    assert len(entry.actor) == 100 and entry.actor.endswith(audit.CUT_MARK)


def test_the_database_refuses_update_and_delete(db) -> None:  # type: ignore[no-untyped-def]
    _write(db, 2)
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    if db.backend == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    assert audit.verify(db.sessions).checked == 2


def test_the_chain_verifies_and_names_a_row_changed_behind_the_triggers_back(db) -> None:  # type: ignore[no-untyped-def]
    _write(db, 5)
    good = audit.verify(db.sessions)
    assert good.ok and good.checked == 5 and good.head_hash
    [third] = [e for e in audit.entries(db.sessions) if e.target == "deployment:2"]
    with db.engine.begin() as conn:  # an attacker with DDL rights
        for statement in ALLOW_UPDATE[db.backend]:
            conn.execute(text(statement))
        conn.execute(
            text("UPDATE audit_log SET actor = 'mallory' WHERE id = :id"), {"id": third.id}
        )
    broken = audit.verify(db.sessions)
    assert not broken.ok and broken.first_broken_id == third.id and broken.checked == 2
    assert "ändrad" in (broken.problem or "")


def test_a_deleted_row_breaks_the_next_link(db) -> None:  # type: ignore[no-untyped-def]
    _write(db, 4)
    ids = sorted(e.id for e in audit.entries(db.sessions))
    with db.engine.begin() as conn:
        for statement in ALLOW_UPDATE[db.backend]:
            conn.execute(text(statement))
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    broken = audit.verify(db.sessions)
    assert not broken.ok and broken.first_broken_id == ids[2]


def test_rewriting_a_row_and_its_own_hash_still_breaks_the_next_link(db) -> None:  # type: ignore[no-untyped-def]
    _write(db, 3)
    rows = sorted(audit.entries(db.sessions), key=lambda e: e.id)
    with db.engine.begin() as conn:
        for statement in ALLOW_UPDATE[db.backend]:
            conn.execute(text(statement))
        prev = conn.execute(
            text("SELECT prev_hash FROM audit_log WHERE id = :id"), {"id": rows[0].id}
        ).scalar_one()
        forged = rows[0].model_dump() | {"actor": "mallory"}
        conn.execute(
            text("UPDATE audit_log SET actor = 'mallory', row_hash = :h WHERE id = :id"),
            {"h": audit.row_hash(forged, prev), "id": rows[0].id},
        )
    broken = audit.verify(db.sessions)
    assert not broken.ok and broken.first_broken_id == rows[1].id


def test_concurrent_writers_do_not_fork_the_chain(db) -> None:  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda w: _write(db, 15, actor=f"writer{w}"), range(4)))
    check = audit.verify(db.sessions)
    assert check.ok and check.checked == 60


def test_the_migration_chains_rows_written_before_it(empty_db_url) -> None:  # type: ignore[no-untyped-def]
    from caserobot.db import make_engine, upgrade

    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0002")
        with engine.begin() as conn:
            for i in range(3):
                conn.execute(
                    text(
                        "INSERT INTO audit_log (at, actor, action, target, client) "
                        "VALUES (:at, 'old', 'login', :target, NULL)"
                    ),
                    {"at": datetime(2026, 11, 1, 8, i, tzinfo=UTC), "target": f"t{i}"},
                )
        upgrade(engine)
        sessions = session_factory(engine)
        _write(Database(url=empty_db_url, engine=engine, sessions=sessions), 1)
        check = audit.verify(sessions)
        assert check.ok and check.checked == 4
    finally:
        engine.dispose()


def test_checking_only_the_newest_rows(db) -> None:  # type: ignore[no-untyped-def]
    _write(db, 6)
    ids = sorted(e.id for e in audit.entries(db.sessions))
    assert audit.verify(db.sessions, last=3).checked == 3
    with db.engine.begin() as conn:
        for statement in ALLOW_UPDATE[db.backend]:
            conn.execute(text(statement))
        conn.execute(text("UPDATE audit_log SET actor = 'm' WHERE id = :id"), {"id": ids[1]})
    assert audit.verify(db.sessions, last=3).ok  # the change is older than what was checked
    assert audit.verify(db.sessions).first_broken_id == ids[1]
    assert audit.verify(db.sessions, last=5).first_broken_id == ids[1]
