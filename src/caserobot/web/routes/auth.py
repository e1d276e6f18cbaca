"""Logging in and out, the start page by role, and ``/api/me``.

Failed logins are throttled per client address and per (address, username)
(:mod:`caserobot.web.throttle`). Logging out ends every session of the user (the session
generation is bumped), not only this browser's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.responses import Response

from caserobot import audit, users
from caserobot.db import Database
from caserobot.web.deps import (
    START_PAGES,
    CurrentUser,
    client_of,
    csrf_token,
    get_db,
    render,
)

router = APIRouter(tags=["inloggning"])
api_router = APIRouter(prefix="/api", tags=["inloggning"])

LOGIN_FAILED = "Fel användarnamn eller lösenord."
LOGIN_THROTTLED = "För många misslyckade inloggningar. Vänta {wait} och försök igen."
#: Longer than any username can be (users.py allows 100): not looked up, not stored whole.
MAX_USERNAME = 100


def _safe_next(target: str | None) -> str:
    """Only local paths: never another host (``//evil``) or a scheme."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/", include_in_schema=False)
def start(user: CurrentUser) -> Response:
    return RedirectResponse(START_PAGES.get(user.role, "/login"), status_code=303)


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "username": ""})


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    throttle = request.app.state.login_throttle
    username = username.strip()
    client = client_of(request)
    shown = {"next": _safe_next(next), "username": username[:MAX_USERNAME]}
    wait = throttle.retry_after(client, username)
    if wait > 0:
        # Not audited row by row: the lock's start is (below), a flood would fill the log.
        context = {**shown, "error": LOGIN_THROTTLED.format(wait=_wait_text(wait))}
        response = render(request, "login.html", context, status_code=429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    user = None
    if username and len(username) <= MAX_USERNAME:
        user = users.authenticate(db.sessions, username, password)
    if user is None:
        locked = throttle.failed(client, username)
        actor = username or "-"
        audit.record_now(db.sessions, actor=actor, action="login.failed", client=client)
        if locked:
            audit.record_now(db.sessions, actor=actor, action="login.throttled", client=client)
        context = {**shown, "error": LOGIN_FAILED}
        return render(request, "login.html", context, status_code=401)
    throttle.succeeded(client, username)
    request.session.clear()  # a fresh session (and CSRF token) for the logged-in user
    request.session["username"] = user.username
    request.session["generation"] = user.session_generation
    csrf_token(request)
    audit.record_now(db.sessions, actor=user.username, action="login", client=client)
    target = _safe_next(next)
    return RedirectResponse(START_PAGES[user.role] if target == "/" else target, status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(
    request: Request, user: CurrentUser, db: Annotated[Database, Depends(get_db)]
) -> Response:
    users.end_sessions(db.sessions, user.username, actor=user.username, client=client_of(request))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _wait_text(seconds: float) -> str:
    if seconds <= 90:
        return f"{int(seconds) + 1} sekunder"
    return f"{round(seconds / 60)} minuter"


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    units: list[str]
    csrf_token: str


@api_router.get("/me", response_model=Me, summary="Den inloggade användaren")
def me(request: Request, user: CurrentUser) -> Me:
    """Who is logged in, and the CSRF token to send as ``X-CSRF-Token`` on writes."""
    return Me(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        units=user.units,
        csrf_token=csrf_token(request),
    )
