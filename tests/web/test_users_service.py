"""caserobot.users on SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import pytest

from caserobot import audit, users
from caserobot.exceptions import InputError

PASSWORD = "ett-langt-losenord"


def test_add_authenticate_and_audit(db) -> None:
    user = users.add_user(
        db.sessions,
        username="anna",
        password=PASSWORD,
        role="caseworker",
        units=["Skolskjuts"],
        display_name="Anna",
        actor="admin",
        client="10.0.0.1",
    )
    assert (user.role, user.units, user.active) == ("caseworker", ["Skolskjuts"], True)
    assert users.authenticate(db.sessions, "anna", "fel-losenord") is None
    assert users.authenticate(db.sessions, "ingen", PASSWORD) is None
    logged_in = users.authenticate(db.sessions, "anna", PASSWORD)
    assert logged_in is not None and logged_in.last_login_at is not None
    [entry] = audit.entries(db.sessions, action_prefix="user.add")
    assert (entry.actor, entry.target, entry.client) == ("admin", "user:anna", "10.0.0.1")
    assert "password" not in str(entry.after) and PASSWORD not in str(entry.after)


def test_password_disable_and_list(db) -> None:
    users.add_user(db.sessions, username="b", password=PASSWORD, role="manager", actor="t")
    users.add_user(db.sessions, username="a", password=PASSWORD, role="admin", actor="t")
    users.set_password(db.sessions, "b", "nytt-losenord-1", actor="a")
    assert users.authenticate(db.sessions, "b", "nytt-losenord-1") is not None
    users.set_active(db.sessions, "b", False, actor="a")
    assert users.authenticate(db.sessions, "b", "nytt-losenord-1") is None
    assert [u.username for u in users.list_users(db.sessions)] == ["a", "b"]
    assert users.get_user(db.sessions, "b").active is False
    assert [e.action for e in audit.entries(db.sessions, target="user:b")] == [
        "user.disable",
        "user.password",
        "user.add",
    ]


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"role": "caseworker"}, "units", "minst en enhet"),
        ({"role": "caseworker", "units": ["Bygglov"]}, "units", "okänd enhet"),
        ({"role": "chef"}, "role", "okänd roll"),
        ({"role": "admin", "username": "a b"}, "username", "användarnamnet"),
        ({"role": "admin", "password": "kort"}, "password", "minst 10 tecken"),
    ],
)
def test_bad_input_is_a_swedish_input_error(db, fields, field, text) -> None:
    args = {"username": "x", "password": PASSWORD, "actor": "t", **fields}
    with pytest.raises(InputError) as info:
        users.add_user(db.sessions, **args)
    assert info.value.field == field and text in info.value.detail
    assert users.list_users(db.sessions) == []


def test_username_taken(db) -> None:
    users.add_user(db.sessions, username="x", password=PASSWORD, role="admin", actor="t")
    with pytest.raises(InputError, match="finns redan"):
        users.add_user(db.sessions, username="x", password=PASSWORD, role="admin", actor="t")
    with pytest.raises(InputError, match="ingen användare"):
        users.set_active(db.sessions, "nobody", False, actor="t")
