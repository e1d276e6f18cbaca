"""The robot administrator's pages for users, the audit log and the access log (``/admin``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from caserobot import access_log, audit, case_types, users
from caserobot.db import Database
from caserobot.exceptions import InputError
from caserobot.users import ROLE_LABELS, User
from caserobot.web.deps import client_of, flash, get_db, render, require_roles

router = APIRouter(
    prefix="/admin", include_in_schema=False, dependencies=[Depends(require_roles("admin"))]
)
Admin = Annotated[User, Depends(require_roles("admin"))]
Db = Annotated[Database, Depends(get_db)]

CHAIN_CHECKED_ON_VIEW = 5000
EMPTY_FORM = {"username": "", "display_name": "", "role": "caseworker", "units": []}


def _users_page(
    request: Request,
    db: Database,
    form: dict[str, object],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "users": users.list_users(db.sessions),
        "roles": ROLE_LABELS,
        "units": case_types.units(),
        "form": form,
        "errors": errors or {},
    }
    return render(request, "admin/users.html", context, status)


@router.get("/users")
def user_list(request: Request, db: Db) -> Response:
    return _users_page(request, db, dict(EMPTY_FORM))


@router.post("/users")
def add_user(  # nosec B107  # an empty form field's default, not a password
    request: Request,
    db: Db,
    admin: Admin,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
    units: Annotated[list[str] | None, Form()] = None,
) -> Response:
    form = {"username": username, "display_name": display_name, "role": role, "units": units or []}
    if password != password_again:
        errors = {"password": "Lösenorden är inte lika."}  # nosec B105  # an error message, not a password
        return _users_page(request, db, form, errors, 400)
    try:
        user = users.add_user(
            db.sessions,
            username=username,
            password=password,
            role=role,
            units=units or [],
            display_name=display_name,
            actor=admin.username,
            client=client_of(request),
        )
    except InputError as exc:
        field = "units" if exc.field == "units" else exc.field
        errors = {field: exc.detail[:1].upper() + exc.detail[1:] + "."}
        return _users_page(request, db, form, errors, 400)
    flash(request, f"Användaren {user.username} ({ROLE_LABELS[user.role]}) är tillagd.", "success")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{username}/active")
def set_active(
    request: Request,
    username: str,
    db: Db,
    admin: Admin,
    active: Annotated[str, Form()] = "",
) -> Response:
    enable = active == "1"
    if username == admin.username and not enable:
        flash(request, "Du kan inte stänga av ditt eget konto.", "error")
        return RedirectResponse("/admin/users", status_code=303)
    try:
        users.set_active(
            db.sessions, username, enable, actor=admin.username, client=client_of(request)
        )
    except InputError as exc:
        raise HTTPException(404, exc.detail) from exc
    text = "kan logga in igen" if enable else "är avstängd och kan inte logga in"
    flash(request, f"Användaren {username} {text}.", "success")
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/audit")
def audit_log(
    request: Request,
    db: Db,
    actor: str = "",
    action: str = "",
    target: str = "",
    limit: int = 200,
    full: bool = False,
) -> Response:
    limit = max(1, min(limit, 1000))
    entries = audit.entries(
        db.sessions,
        actor=actor.strip() or None,
        action_prefix=action.strip() or None,
        target=target.strip() or None,
        limit=limit,
    )
    filters = {"actor": actor, "action": action, "target": target, "limit": limit}
    # The newest rows on every view; the whole chain (slow on a large log) when asked for.
    chain = audit.verify(db.sessions, last=None if full else CHAIN_CHECKED_ON_VIEW)
    context = {"entries": entries, "filters": filters, "chain": chain, "full": full}
    return render(request, "admin/audit.html", context)


@router.get("/access-log")
def access_log_page(
    request: Request,
    db: Db,
    actor: str = "",
    action: str = "",
    case: str = "",
    limit: int = 200,
) -> Response:
    limit = max(1, min(limit, 1000))
    entries = access_log.entries(
        db.sessions,
        actor=actor.strip() or None,
        action_prefix=action.strip() or None,
        case_ref=case.strip() or None,
        limit=limit,
    )
    filters = {"actor": actor, "action": action, "case": case, "limit": limit}
    return render(request, "admin/access_log.html", {"entries": entries, "filters": filters})
