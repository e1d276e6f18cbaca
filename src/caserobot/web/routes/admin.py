"""The robot administrator's pages: robots, legacy systems and runs (``/admin``).

Users and the audit log are in :mod:`caserobot.web.routes.admin_users`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse
from starlette.responses import Response

from caserobot import administration, registry
from caserobot.db import Database
from caserobot.exceptions import ApplicationException, InputError
from caserobot.registry import NotRegistered
from caserobot.users import User
from caserobot.web.contract import RowId
from caserobot.web.deps import client_of, flash, get_db, log_access, render, require_roles
from caserobot.web.routes.admin_api import (
    LegacySystemOut,
    RobotOut,
    retry_message,
    robot_out,
    run_detail,
    run_out,
)
from caserobot.web.routes.run_files import signed_path
from caserobot.web.security import ROBOT_OUTPUT_CSP

router = APIRouter(
    prefix="/admin", include_in_schema=False, dependencies=[Depends(require_roles("admin"))]
)
Admin = Annotated[User, Depends(require_roles("admin"))]
Db = Annotated[Database, Depends(get_db)]

STATUS_LABELS = {
    "active": "Aktiv",
    "paused": "Pausad",
    "running": "Pågår",
    "completed": "Klar",
    "failed": "Misslyckad",
    "crashed": "Kraschad",
    "new": "Ny",
    "in_progress": "Pågår",
    "done": "Klar",
    "business_exception": "Till handläggare",
    "application_exception": "Systemfel, försöker igen",
    "abandoned": "Misslyckad",
}
KIND_LABELS = {"web_ui": "Webbgränssnitt", "api": "API"}


def _page(
    request: Request, template: str, context: dict[str, object], status: int = 200
) -> Response:
    base = {"STATUS_LABELS": STATUS_LABELS, "KIND_LABELS": KIND_LABELS}
    return render(request, template, {**base, **context}, status)


# -- robots ------------------------------------------------------------------------------


@router.get("/robots")
def robots(request: Request, db: Db) -> Response:
    items = []
    for r in registry.list_robots(db.sessions):
        last = run_out(db, r.last_run) if r.last_run else None
        items.append(RobotOut(**r.model_dump(exclude={"last_run"}), last_run=last))
    return _page(request, "admin/robots.html", {"robots": items})


@router.get("/robots/{name}")
def robot(request: Request, name: str, db: Db) -> Response:
    return _page(request, "admin/robot.html", {"robot": robot_out(db, name)})


@router.post("/robots/{name}/{action}")
def robot_status(request: Request, name: str, action: str, db: Db, user: Admin) -> Response:
    if action not in ("pause", "resume"):
        raise HTTPException(404)
    status = "paused" if action == "pause" else "active"
    try:
        administration.set_robot_status(
            db.sessions, name, status, actor=user.username, client=client_of(request)
        )
    except NotRegistered as exc:
        raise HTTPException(404, f"Det finns ingen robot {name!r}.") from exc
    text = "pausad: den startar inga nya körningar" if status == "paused" else "återupptagen"
    flash(request, f"Roboten {name} är {text}.", "success")
    return RedirectResponse(f"/admin/robots/{name}", status_code=303)


# -- legacy systems ----------------------------------------------------------------------


@router.get("/legacy-systems")
def legacy_systems(request: Request, db: Db) -> Response:
    systems = [LegacySystemOut(**s.model_dump()) for s in registry.list_legacy_systems(db.sessions)]
    return _page(request, "admin/legacy_systems.html", {"systems": systems})


def _system(db: Database, name: str) -> LegacySystemOut:
    system = registry.get_legacy_system(db.sessions, name)
    if system is None:
        raise HTTPException(404, f"Det finns inget system {name!r}.")
    return LegacySystemOut(**system.model_dump())


@router.get("/legacy-systems/{name}")
def legacy_system(request: Request, name: str, db: Db) -> Response:
    system = _system(db, name)
    form = {"seat_limit": system.seat_limit or "", "opening_hours": system.opening_hours or ""}
    context = {"system": system, "form": form, "errors": {}}
    return _page(request, "admin/legacy_system.html", context)


@router.post("/legacy-systems/{name}")
def update_legacy_system(
    request: Request,
    name: str,
    db: Db,
    user: Admin,
    seat_limit: Annotated[str, Form()] = "",
    opening_hours: Annotated[str, Form()] = "",
) -> Response:
    system = _system(db, name)
    form = {"seat_limit": seat_limit, "opening_hours": opening_hours}
    errors: dict[str, str] = {}
    try:
        limit = int(seat_limit) if seat_limit.strip() else None
    except ValueError:
        errors["seat_limit"] = "Ange antal licenser som ett heltal, t.ex. 4."
        limit = None
    if not errors:
        try:
            administration.update_legacy_system(
                db.sessions,
                name,
                seat_limit=limit,
                opening_hours=opening_hours,
                actor=user.username,
                client=client_of(request),
            )
        except InputError as exc:
            errors[exc.field] = exc.detail[:1].upper() + exc.detail[1:] + "."
        except ApplicationException as exc:
            context = {"system": system, "form": form, "errors": {}, "failure": str(exc)}
            return _page(request, "admin/legacy_system.html", context, 503)
    if errors:
        context = {"system": system, "form": form, "errors": errors}
        return _page(request, "admin/legacy_system.html", context, 400)
    flash(request, f"Inställningarna för {name} är sparade.", "success")
    return RedirectResponse("/admin/legacy-systems", status_code=303)


# -- runs --------------------------------------------------------------------------------


@router.get("/runs")
def runs(request: Request, db: Db, robot: str | None = None) -> Response:
    items = [run_out(db, r) for r in registry.list_runs(db.sessions, robot=robot or None, limit=50)]
    robots = [r.name for r in registry.list_robots(db.sessions)]
    return _page(request, "admin/runs.html", {"runs": items, "robots": robots, "robot": robot})


@router.get("/runs/{run_id}")
def run(request: Request, run_id: RowId, db: Db) -> Response:
    detail = run_detail(db, run_id)
    log_access(request, "run.view", f"run:{run_id}", detail=f"{len(detail.items)} ärenden")
    return _page(request, "admin/run.html", {"run": detail})


@router.post("/runs/{run_id}/retry-failed")
def retry_failed(request: Request, run_id: RowId, db: Db, user: Admin) -> Response:
    found = registry.get_run(db.sessions, run_id)
    if found is None:
        raise HTTPException(404, f"Det finns ingen körning {run_id}.")
    count = administration.retry_failed(
        db.sessions, run_id, actor=user.username, client=client_of(request)
    )
    flash(request, retry_message(count, found.robot), "success" if count else "info")
    return RedirectResponse(f"/admin/runs/{run_id}", status_code=303)


@router.get("/runs/{run_id}/files/{filename}")
def run_file(request: Request, run_id: RowId, filename: str, db: Db, user: Admin) -> Response:
    path = administration.run_file(db.sessions, run_id, filename)
    if path is None or filename not in administration.RUN_FILES:
        raise HTTPException(404)
    log_access(request, "run.file.view", f"run:{run_id}/{filename}")
    if path.suffix == ".html":
        # Robot's pages run sandboxed, without the cookie: what they load (a split log's
        # parts, screenshots) is reached through a signed path (routes/run_files.py).
        signed = signed_path(request, run_id, user.username, filename)
        return RedirectResponse(signed, status_code=303)
    return FileResponse(path, headers={"Content-Security-Policy": ROBOT_OUTPUT_CSP})
