"""Seat-limited sessions, one-use form tokens and the decision form's ``kontroll``.

A seat is held by every live session; a session dies at logout or after
``session_timeout_s`` without requests. Like a licence server, the case system refuses
a login when every seat is taken.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

KONTROLL_SALT = "ks4-beslut"
"""Shared with static/beslut.js, which computes the same value in the browser."""

USERS = {f"robot{i:02d}": f"robot{i:02d}" for i in range(1, 21)} | {"handlaggare": "handlaggare"}
TOKEN_TTL_S = 3600.0


def fnv1a32(text: str) -> str:
    """32-bit FNV-1a over UTF-8, as 8 hex digits (same as ``fnv1a`` in beslut.js)."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{h:08x}"


def kontroll(formtoken: str, utfall: str, motivering: str) -> str:
    """What the decision form's script puts in the hidden ``kontroll`` field."""
    motivering = motivering.replace("\r\n", "\n")  # browsers send textarea newlines as CRLF
    return fnv1a32("|".join((formtoken, utfall, motivering, KONTROLL_SALT)))


EB_SALT = "ks4-eb-beslut"
"""Salt of the ekonomiskt bistånd decision form (static/eb.js)."""
PAYMENT_SALT = "ks4-utbetalning"
"""Salt of the payment-order form (static/eb.js)."""


def check_value(salt: str, formtoken: str, *values: str) -> str:
    """FNV-1a-32 of ``formtoken|value|…|salt`` with CRLF → LF, as static/eb.js computes it."""
    parts = [formtoken, *(v.replace("\r\n", "\n") for v in values), salt]
    return fnv1a32("|".join(parts))


def kontroll_eb(formtoken: str, utfall: str, belopp: str, manad: str, motivering: str) -> str:
    """The ``kontroll`` of the ekonomiskt bistånd decision form."""
    return check_value(EB_SALT, formtoken, utfall, belopp, manad, motivering)


def kontroll_payment(formtoken: str, belopp: str, manad: str, konto: str) -> str:
    """The ``kontroll`` of the payment-order form."""
    return check_value(PAYMENT_SALT, formtoken, belopp, manad, konto)


@dataclass
class Session:
    token: str
    username: str
    created: float
    last_seen: float


@dataclass
class FormToken:
    purpose: str  # "arende_ny", "beslut" or "utbetalning"
    target: str  # pnr or case id
    session: str
    issued: float


@dataclass
class SessionStore:
    seats: int
    timeout_s: float
    taken: int = 0  # seats held by other (human) users
    sessions: dict[str, Session] = field(default_factory=dict)
    tokens: dict[str, FormToken] = field(default_factory=dict)

    def purge(self) -> None:
        """Free the seats of idle sessions."""
        limit = time.monotonic() - self.timeout_s
        for token in [t for t, s in self.sessions.items() if s.last_seen < limit]:
            del self.sessions[token]

    def login(self, username: str, password: str, current: str | None) -> Session | str:
        """A new session, or an error: ``"bad_credentials"`` or ``"no_seat"``."""
        if USERS.get(username) != password or not password:
            return "bad_credentials"
        self.purge()
        existing = self.sessions.get(current or "")
        if existing and existing.username == username:
            existing.last_seen = time.monotonic()
            return existing
        if len(self.sessions) + self.taken >= self.seats:
            return "no_seat"
        t = time.monotonic()
        session = Session(secrets.token_hex(16), username, t, t)
        self.sessions[session.token] = session
        return session

    def touch(self, token: str | None) -> Session | None:
        """The live session for a cookie (refreshing its idle clock), or None."""
        self.purge()
        session = self.sessions.get(token or "")
        if session:
            session.last_seen = time.monotonic()
        return session

    def logout(self, token: str | None) -> None:
        self.sessions.pop(token or "", None)

    def expire_all(self) -> int:
        """End every session now (as after a restart or a forced idle timeout)."""
        n = len(self.sessions)
        self.clear()
        return n

    def issue(self, purpose: str, target: str, session: Session) -> str:
        t = time.monotonic()
        for key in [k for k, v in self.tokens.items() if v.issued < t - TOKEN_TTL_S]:
            del self.tokens[key]
        token = secrets.token_hex(12)
        self.tokens[token] = FormToken(purpose, target, session.token, t)
        return token

    def redeem(self, token: str, purpose: str, target: str, session: Session) -> bool:
        """Use a form token once; True if it was issued for this form and session."""
        issued = self.tokens.pop(token, None)
        return (
            issued is not None
            and issued.purpose == purpose
            and issued.target == target
            and issued.session == session.token
        )

    def clear(self) -> None:
        self.sessions.clear()
        self.tokens.clear()


def install_session_routes(app: Any, state: Any) -> None:
    """``GET /_test/sessions`` and ``POST /_test/expire-sessions`` on a system with seats
    (``state.sessions()`` its :class:`SessionStore`)."""

    @app.get("/_test/sessions")
    async def sessions_info() -> dict[str, Any]:
        store = state.sessions()
        store.purge()
        return {"seats": store.seats, "active": len(store.sessions),
                "users": sorted(s.username for s in store.sessions.values()),
                "taken_by_others": store.taken,
                "free": max(0, store.seats - store.taken - len(store.sessions))}

    @app.post("/_test/expire-sessions")
    async def expire_sessions() -> dict[str, Any]:
        """End every session now: the next request of each gets the login redirect."""
        n = state.sessions().expire_all()
        state.count("session_expiry", n)
        return {"expired": n}
