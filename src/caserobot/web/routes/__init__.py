"""Every router of the web app. Add yours with one line; ``create_app`` includes them all,
each behind CSRF protection (:func:`caserobot.web.deps.verify_csrf`)."""

from __future__ import annotations

from fastapi import APIRouter

from caserobot.web.routes import (
    admin,
    admin_api,
    admin_users,
    auth,
    canary,
    casework,
    dashboard,
    run_files,
    schedules,
)

ROUTERS: list[APIRouter] = [
    auth.router,
    auth.api_router,
    casework.router,
    casework.api_router,
    admin.router,
    admin_users.router,
    admin_api.router,
    *(schedules.router, schedules.api_router),
    *(dashboard.router, dashboard.api_router),
    canary.router,  # UI-drift canary (issue 13)
    run_files.router,  # a run's log files behind a signed path (no cookie)
]
