"""The people who log in to the web UI: administrators, caseworkers and managers.

Passwords are stored as argon2id hashes (argon2-cffi), rehashed on login when the
parameters change. Every change is written to the audit log in its own transaction.
Caseworkers belong to one or more units (``config/case_types.yaml``), which decide the
exception queues they see; ``may_view_protected`` lets one open items of people with
protected identity (:mod:`caserobot.protected_identity`).

Each user has a ``session_generation``: the web UI signs it into the session cookie and
checks it on every request. :func:`end_sessions` (logout), :func:`set_password` and
disabling a user bump it, so every copy of an earlier cookie stops working at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from caserobot import audit, case_types
from caserobot.db import read_session, utcnow, write_session
from caserobot.db.models import USER_ROLES, UserRow
from caserobot.exceptions import InputError

__all__ = [
    "ROLE_LABELS",
    "Role",
    "User",
    "add_user",
    "authenticate",
    "check_new_user",
    "end_sessions",
    "get_user",
    "list_users",
    "set_active",
    "set_may_view_protected",
    "set_password",
]

Sessions = sessionmaker[Session]
Role = Literal["admin", "caseworker", "manager"]
ROLE_LABELS = {"admin": "Robotadministratör", "caseworker": "Handläggare", "manager": "Chef"}
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified against when the user is unknown, so a failed login costs the same either way.
_DUMMY_HASH = _hasher.hash("caserobot-no-such-user")


class User(BaseModel):
    """A user as the rest of caserobot sees it (never the password hash)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    units: list[str]
    active: bool
    last_login_at: datetime | None = None
    session_generation: int = 0
    may_view_protected: bool = False

    @property
    def name(self) -> str:
        return self.display_name or self.username


def add_user(
    sessions: Sessions,
    *,
    username: str,
    password: str,
    role: str,
    units: list[str] | tuple[str, ...] = (),
    display_name: str = "",
    actor: str,
    client: str | None = None,
) -> User:
    """Create a user.

    Raises:
        InputError: a bad username, role, unit or password, or the username is taken.
    """
    username = _check_username(username)
    role = _check_role(role)
    unit_list = _check_units(role, units)
    _check_password(password)
    with write_session(sessions) as session:
        if _row(session, username) is not None:
            raise InputError("username", f"användarnamnet {username!r} finns redan")
        row = UserRow(
            username=username,
            display_name=display_name.strip(),
            password_hash=_hasher.hash(password),
            role=role,
            units=unit_list,
            active=True,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        session.add(row)
        session.flush()
        user = User.model_validate(row)
        audit.record(
            session,
            actor=actor,
            action="user.add",
            target=f"user:{username}",
            after=_public(user),
            client=client,
        )
        return user


def check_new_user(*, username: str, role: str, units: list[str] | tuple[str, ...] = ()) -> None:
    """Check a new user's username, role and units (before asking for a password).

    Raises:
        InputError: what :func:`add_user` would refuse (except the password and a taken name).
    """
    _check_units(_check_role(role), units)
    _check_username(username)


def authenticate(sessions: Sessions, username: str, password: str) -> User | None:
    """The active user with this username and password, or None.

    Updates ``last_login_at`` and rehashes the password when argon2's parameters changed.
    An unknown user costs one hash verification too, so timing does not tell who exists.
    """
    with write_session(sessions) as session:
        row = _row(session, username.strip())
        if row is None:
            _verify(_DUMMY_HASH, password)
            return None
        if not _verify(row.password_hash, password) or not row.active:
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        row.last_login_at = utcnow()
        session.flush()
        return User.model_validate(row)


def set_password(
    sessions: Sessions, username: str, password: str, *, actor: str, client: str | None = None
) -> User:
    """Give a user a new password. Raises :class:`InputError` for an unknown user."""
    _check_password(password)
    with write_session(sessions) as session:
        row = _existing(session, username)
        row.password_hash = _hasher.hash(password)
        row.session_generation += 1  # a stolen or copied cookie ends with the old password
        row.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="user.password",
            target=f"user:{row.username}",
            after="***",
            client=client,
        )
        session.flush()
        return User.model_validate(row)


def set_active(
    sessions: Sessions, username: str, active: bool, *, actor: str, client: str | None = None
) -> User:
    """Enable or disable a user's login. Raises :class:`InputError` for an unknown user."""
    with write_session(sessions) as session:
        row = _existing(session, username)
        before = row.active
        row.active = active
        if not active:
            row.session_generation += 1
        row.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="user.enable" if active else "user.disable",
            target=f"user:{row.username}",
            before={"active": before},
            after={"active": active},
            client=client,
        )
        session.flush()
        return User.model_validate(row)


def end_sessions(
    sessions: Sessions, username: str, *, actor: str, client: str | None = None
) -> User:
    """End every session of a user (logout): cookies signed before this stop working."""
    with write_session(sessions) as session:
        row = _existing(session, username)
        row.session_generation += 1
        audit.record(
            session, actor=actor, action="logout", target=f"user:{row.username}", client=client
        )
        session.flush()
        return User.model_validate(row)


def set_may_view_protected(
    sessions: Sessions, username: str, allowed: bool, *, actor: str, client: str | None = None
) -> User:
    """Grant or withdraw the permission to open protected-identity items."""
    with write_session(sessions) as session:
        row = _existing(session, username)
        before = row.may_view_protected
        row.may_view_protected = allowed
        row.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="user.protected.grant" if allowed else "user.protected.revoke",
            target=f"user:{row.username}",
            before={"may_view_protected": before},
            after={"may_view_protected": allowed},
            client=client,
        )
        session.flush()
        return User.model_validate(row)


def get_user(sessions: Sessions, username: str) -> User | None:
    with read_session(sessions) as session:
        row = _row(session, username)
        return User.model_validate(row) if row is not None else None


def list_users(sessions: Sessions) -> list[User]:
    """Every user, by username."""
    with read_session(sessions) as session:
        rows = session.scalars(select(UserRow).order_by(UserRow.username))
        return [User.model_validate(row) for row in rows]


# -- internals ---------------------------------------------------------------------------


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _row(session: Session, username: str) -> UserRow | None:
    return session.scalar(select(UserRow).where(UserRow.username == username))


def _existing(session: Session, username: str) -> UserRow:
    row = _row(session, username)
    if row is None:
        raise InputError("username", f"det finns ingen användare {username!r}")
    return row


def _public(user: User) -> dict[str, object]:
    return user.model_dump(mode="json", include={"username", "display_name", "role", "units"})


def _check_username(username: str) -> str:
    username = username.strip()
    if not username:
        raise InputError("username", "användarnamnet får inte vara tomt")
    if len(username) > 100 or not all(c.isalnum() or c in "._-" for c in username):
        raise InputError(
            "username",
            "användarnamnet får bara innehålla bokstäver, siffror, punkt, bindestreck och "
            "understreck (högst 100 tecken)",
        )
    return username


def _check_role(role: str) -> str:
    if role not in USER_ROLES:
        allowed = ", ".join(f"{r} ({ROLE_LABELS[r]})" for r in USER_ROLES)
        raise InputError("role", f"okänd roll {role!r}; välj en av {allowed}")
    return role


def _check_units(role: str, units: list[str] | tuple[str, ...]) -> list[str]:
    known = case_types.units()
    unit_list = list(dict.fromkeys(u.strip() for u in units if u.strip()))
    unknown = [u for u in unit_list if u not in known]
    if unknown:
        raise InputError(
            "units", f"okänd enhet {', '.join(unknown)}; kända enheter: {', '.join(known)}"
        )
    if role == "caseworker" and not unit_list:
        raise InputError(
            "units", f"en handläggare måste höra till minst en enhet ({', '.join(known)})"
        )
    return unit_list


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError("password", f"lösenordet måste ha minst {MIN_PASSWORD_LENGTH} tecken")
