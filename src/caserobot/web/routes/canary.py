"""The UI-drift canary for the robot administrator (``/admin/canary``).

What each robot's screens looked like when accepted, the last check, what changed, and the
action "accept the new layout" (:func:`caserobot.canary.accept`, audited). The banner on
every page an administrator sees comes from :func:`banner` (called by ``deps.render``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from caserobot import canary, registry
from caserobot.db import Database
from caserobot.registry import NotRegistered
from caserobot.users import User
from caserobot.web.deps import client_of, flash, get_db, render, require_roles

router = APIRouter(
    prefix="/admin/canary", include_in_schema=False, dependencies=[Depends(require_roles("admin"))]
)
Admin = Annotated[User, Depends(require_roles("admin"))]
Db = Annotated[Database, Depends(get_db)]


def banner(db: Database) -> list[canary.CanaryState]:
    """Robots whose screens changed and that wait for an administrator."""
    return canary.alerts(db.sessions)


@router.get("")
def overview(request: Request, db: Db) -> Response:
    robots: list[dict[str, Any]] = []
    for robot in registry.list_robots(db.sessions):
        robots.append(
            {
                "name": robot.name,
                "status": robot.status,
                "case_type": robot.case_type,
                "checked": canary.screen_set(robot.case_type) is not None,
                "state": canary.state(db.sessions, robot.name),
            }
        )
    return render(request, "canary/overview.html", {"robots": robots})


@router.post("/{name}/accept")
def accept(request: Request, name: str, db: Db, user: Admin) -> Response:
    try:
        screens = canary.screens_for(db.sessions, name)
        accepted = canary.accept(
            db.sessions, name, screens, actor=user.username, client=client_of(request)
        )
    except NotRegistered as exc:
        raise HTTPException(404, f"Det finns ingen robot {name!r}.") from exc
    except canary.CanaryError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse("/admin/canary", status_code=303)
    flash(
        request,
        f"Den nya layouten är godtagen ({len(accepted)} skärmar). Roboten {name} är återupptagen.",
        "success",
    )
    return RedirectResponse("/admin/canary", status_code=303)
