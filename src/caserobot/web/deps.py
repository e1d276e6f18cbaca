"""What every page and API route depends on: the database, the logged-in user, roles, CSRF,
rendering with the layout's context, flash messages and the client's address for the audit.

Pages and the JSON API share these; the difference is only in how a refusal looks: a page
is redirected to ``/login`` (not logged in) or gets the error page (403), an ``/api`` call
gets JSON with 401 or 403.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from caserobot import access_log, users
from caserobot.db import Database
from caserobot.users import ROLE_LABELS, User

__all__ = [
    "NAV",
    "START_PAGES",
    "CurrentUser",
    "Forbidden",
    "LoginRequired",
    "client_of",
    "csrf_token",
    "current_user",
    "flash",
    "get_db",
    "is_api",
    "log_access",
    "render",
    "require_roles",
    "templates",
    "verify_csrf",
]

TEMPLATES_DIR = Path(__file__).parent / "templates"
LOCAL_TZ = ZoneInfo("Europe/Stockholm")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

#: The navigation of each role: (label, path). The first entry is the role's start page.
NAV: dict[str, list[tuple[str, str]]] = {
    "admin": [
        ("Robotar", "/admin/robots"),
        ("Ersättningssystem", "/admin/legacy-systems"),
        ("Scheman", "/admin/schedules"),
        ("Körningar", "/admin/runs"),
        ("Användare", "/admin/users"),
        ("Granskningslogg", "/admin/audit"),
        ("Åtkomstlogg", "/admin/access-log"),
        ("Översikt", "/dashboard"),
    ],
    "caseworker": [("Undantagskö", "/casework")],
    "manager": [("Översikt", "/dashboard")],
}
START_PAGES = {role: items[0][1] for role, items in NAV.items()}


class LoginRequired(Exception):
    """Nobody is logged in (pages: redirect to /login; API: 401)."""


class Forbidden(Exception):
    """The user's role may not do this (403)."""


def _local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "–"
    return value.astimezone(LOCAL_TZ).strftime(fmt)


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["local_time"] = _local_time
templates.env.globals["ROLE_LABELS"] = ROLE_LABELS


def is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def get_db(request: Request) -> Database:
    """The app's migrated database (``app.state.db``)."""
    db: Database = request.app.state.db
    return db


def client_of(request: Request) -> str | None:
    """The client's address, for the audit and access logs.

    The connection's peer, or what a trusted proxy (``CASEROBOT_WEB__TRUSTED_PROXIES``) put
    in ``X-Forwarded-For``; uvicorn's ``ProxyHeadersMiddleware`` has set it by now.
    """
    return request.client.host if request.client else None


def current_user(request: Request, db: Annotated[Database, Depends(get_db)]) -> User:
    """The logged-in, active user; otherwise :class:`LoginRequired`.

    The user is read from the database on every request, and the session's generation
    must still be the user's: logging out, a new password or disabling the user bumps it,
    so every copy of an older cookie stops working at once.
    """
    username = request.session.get("username")
    user = users.get_user(db.sessions, username) if username else None
    if (
        user is None
        or not user.active
        or request.session.get("generation") != user.session_generation
    ):
        if username:
            request.session.clear()  # an ended session: nothing of it is kept
        raise LoginRequired()
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: str) -> Callable[[User], User]:
    """A dependency that lets only these roles through (403 for the others).

    Use as ``user: Annotated[User, Depends(require_roles("admin"))]`` or in a router's
    ``dependencies=[Depends(require_roles("admin"))]``.
    """

    def dependency(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden()
        return user

    return dependency


def csrf_token(request: Request) -> str:
    """This session's synchronizer token (created on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def verify_csrf(request: Request) -> None:
    """Refuse (403) an unsafe request whose CSRF token does not match the session's.

    The token comes from the ``X-CSRF-Token`` header or the form field ``csrf_token``. The
    app applies this to every router in ``ROUTERS``; adding it to a route again is harmless.
    """
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if not sent and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # Starlette caches it for the route's Form() fields
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise Forbidden("csrf")


def log_access(
    request: Request,
    action: str,
    target: str = "",
    *,
    case_ref: str | None = None,
    detail: str = "",
) -> None:
    """Record in the access log that the logged-in user read personal data."""
    user: User = request.state.user
    access_log.record(
        get_db(request).sessions,
        actor=user.username,
        action=action,
        target=target,
        case_ref=case_ref,
        detail=detail,
        client=client_of(request),
    )


def flash(request: Request, text: str, kind: str = "info") -> None:
    """A message shown once on the next page rendered (kind: info, success, error)."""
    request.session.setdefault("flashes", [])
    request.session["flashes"] = [*request.session["flashes"], {"text": text, "kind": kind}]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """Render a page in the layout: adds ``user``, ``csrf_token``, ``flashes``, ``nav``."""
    user: User | None = getattr(request.state, "user", None)
    full = {
        "user": user,
        "csrf_token": csrf_token(request),
        "flashes": request.session.pop("flashes", []),
        "nav": NAV.get(user.role, []) if user else [],
        "path": request.url.path,
        **(context or {}),
    }
    if user is not None and user.role == "admin":  # UI-drift canary banner (issue 13)
        from caserobot.web.routes.canary import banner

        full["canary_alerts"] = banner(get_db(request))
    return templates.TemplateResponse(request, template, full, status_code=status_code)


def redirect_to_login(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"
