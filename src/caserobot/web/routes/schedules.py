"""Robot schedules and legacy-system credentials for the administrator (``/admin/schedules``).

Pages and the JSON API (``/api/schedules``, ``/api/credentials``) over
:mod:`caserobot.scheduling` (Prefect deployments) and :mod:`caserobot.credentials` (Prefect
Secret blocks). A stored password is never sent back: only the username and when it was
stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from caserobot import credentials, robots, scheduling
from caserobot.db import Database
from caserobot.exceptions import ApplicationException, InputError
from caserobot.scheduling import Schedule
from caserobot.users import User
from caserobot.web.contract import errors
from caserobot.web.deps import client_of, flash, get_db, render, require_roles

router = APIRouter(
    prefix="/admin", include_in_schema=False, dependencies=[Depends(require_roles("admin"))]
)
api_router = APIRouter(
    prefix="/api",
    tags=["schedules"],
    dependencies=[Depends(require_roles("admin"))],
    responses=errors(401, 403),
)
Admin = Annotated[User, Depends(require_roles("admin"))]
Db = Annotated[Database, Depends(get_db)]
T = TypeVar("T")
ACTIONS = {"pause": "pausat", "resume": "återupptaget", "run": "startat nu", "delete": "borttaget"}


class ScheduleIn(BaseModel):
    robot: str
    cron: str = Field(examples=["0 6 * * 1-5"])
    timezone: str = "Europe/Stockholm"
    name: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)


class CredentialsIn(BaseModel):
    username: str
    password: str = Field(json_schema_extra={"format": "password"}, repr=False)


class RunStarted(BaseModel):
    flow_run_id: str


def _call(fn: Callable[[], T]) -> T:
    """Prefect not answering as HTTP 503 (bad input, InputError, is the app's 422 with the
    field)."""
    try:
        return fn()
    except ApplicationException as exc:
        raise HTTPException(503, str(exc)) from exc


def _do(request: Request, db: Database, user: User, name: str, action: str) -> Any:
    who = {"actor": user.username, "client_address": client_of(request), "sessions": db.sessions}
    if action == "pause":
        return scheduling.pause(name, **who)
    if action == "resume":
        return scheduling.resume(name, **who)
    if action == "run":
        return scheduling.run_now(name, **who)
    if action == "delete":
        return scheduling.delete(name, **who)
    raise HTTPException(404)


# -- pages -------------------------------------------------------------------------------


@router.get("/schedules")
def schedules_page(request: Request) -> Response:
    context: dict[str, Any] = {"schedules": [], "stored": {}, "workers": [], "error": None}
    try:
        context["schedules"] = scheduling.list_schedules()
        context["stored"] = {c.system: c for c in credentials.list_stored()}
        context["workers"] = [w for w in scheduling.workers() if w.status == "ONLINE"]
    except ApplicationException as exc:
        context["error"] = str(exc)
    context["robots"] = [m.name for m in robots.list_manifests()]
    context["systems"] = credentials.known_systems(request.app.state.settings)
    return render(request, "schedules/schedules.html", context)


@router.post("/schedules")
def create_schedule_form(
    request: Request,
    db: Db,
    user: Admin,
    robot: Annotated[str, Form()],
    cron: Annotated[str, Form()],
    timezone: Annotated[str, Form()] = "Europe/Stockholm",
    name: Annotated[str, Form()] = "",
) -> Response:
    try:
        created = scheduling.create_schedule(
            robot,
            cron,
            timezone=timezone,
            name=name.strip() or None,
            actor=user.username,
            settings=request.app.state.settings,
            client_address=client_of(request),
            sessions=db.sessions,
        )
        flash(request, f"Schemat {created.name} är skapat.", "success")
    except (InputError, ApplicationException) as exc:
        flash(request, f"Schemat skapades inte: {exc}", "error")
    return RedirectResponse("/admin/schedules", status_code=303)


@router.post("/schedules/{name}/{action}")
def schedule_action(request: Request, name: str, action: str, db: Db, user: Admin) -> Response:
    if action not in ACTIONS:
        raise HTTPException(404)
    try:
        _do(request, db, user, name, action)
        flash(request, f"Schemat {name} är {ACTIONS[action]}.", "success")
    except (InputError, ApplicationException) as exc:
        flash(request, str(exc), "error")
    return RedirectResponse("/admin/schedules", status_code=303)


@router.post("/credentials/{system}")
def store_credentials_form(
    request: Request,
    system: str,
    db: Db,
    user: Admin,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    try:
        credentials.store(
            system,
            username,
            password,
            actor=user.username,
            settings=request.app.state.settings,
            client_address=client_of(request),
            sessions=db.sessions,
        )
        flash(request, f"Inloggningen för {system} är lagrad.", "success")
    except (InputError, ApplicationException) as exc:
        flash(request, f"Inloggningen lagrades inte: {exc}", "error")
    return RedirectResponse("/admin/schedules#inloggningar", status_code=303)


# -- JSON API ----------------------------------------------------------------------------


@api_router.get("/schedules", response_model=list[Schedule], responses=errors(422, 503))
def api_list(_: Admin, robot: str | None = None) -> list[Schedule]:
    return _call(lambda: scheduling.list_schedules(robot))


@api_router.post(
    "/schedules",
    response_model=Schedule,
    status_code=201,
    responses=errors(400, 413, 422, 503),
)
def api_create(request: Request, body: ScheduleIn, db: Db, user: Admin) -> Schedule:
    return _call(
        lambda: scheduling.create_schedule(
            body.robot,
            body.cron,
            timezone=body.timezone,
            name=body.name,
            parameters=body.parameters,
            actor=user.username,
            settings=request.app.state.settings,
            client_address=client_of(request),
            sessions=db.sessions,
        )
    )


@api_router.post("/schedules/{name}/{action}", responses=errors(422, 503))
def api_action(
    request: Request, name: str, action: Literal["pause", "resume", "run"], db: Db, user: Admin
) -> Schedule | RunStarted:
    result = _call(lambda: _do(request, db, user, name, action))
    return RunStarted(flow_run_id=result) if action == "run" else result


@api_router.get(
    "/credentials", response_model=list[credentials.StoredCredentials], responses=errors(503)
)
def api_credentials(_: Admin) -> list[credentials.StoredCredentials]:
    return _call(credentials.list_stored)


@api_router.put(
    "/credentials/{system}",
    response_model=credentials.StoredCredentials,
    responses=errors(400, 413, 422, 503),
)
def api_store_credentials(
    request: Request, system: str, body: CredentialsIn, db: Db, user: Admin
) -> credentials.StoredCredentials:
    return _call(
        lambda: credentials.store(
            system,
            body.username,
            body.password,
            actor=user.username,
            settings=request.app.state.settings,
            client_address=client_of(request),
            sessions=db.sessions,
        )
    )
