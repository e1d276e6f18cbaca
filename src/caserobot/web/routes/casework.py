"""The caseworker's exception queue (``/casework``) and its JSON API (``/api/casework``).

Thin: the queue, the item and the actions are :mod:`caserobot.casework`. Another unit's item
answers 404, as if it did not exist.

Items about people with protected identity (:mod:`caserobot.protected_identity`) open only
for users with ``may_view_protected``: the others see such an item in the queue without its
application id, details or recommendation, and get 404 on the item and its actions (the
refusal is in the access log). Every read of the queue and of an item is in the access log.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from caserobot import casework, discovery, outcomes, protected_identity
from caserobot.casework import ActionRecord, ItemDetail, QueueEntry
from caserobot.db import Database
from caserobot.exceptions import InputError, reason_label
from caserobot.users import User
from caserobot.web.contract import RowId, errors
from caserobot.web.deps import client_of, flash, get_db, log_access, render, require_roles

router = APIRouter(
    prefix="/casework",
    include_in_schema=False,
    dependencies=[Depends(require_roles("caseworker"))],
)
api_router = APIRouter(
    prefix="/api/casework",
    tags=["casework"],
    dependencies=[Depends(require_roles("caseworker"))],
    responses=errors(401, 403),
)
Caseworker = Annotated[User, Depends(require_roles("caseworker"))]
Db = Annotated[Database, Depends(get_db)]

ACTION_LABELS = {
    "accept": "Rekommendationen godtagen",
    "decide": "Eget beslut",
    "request_completion": "Begäran om komplettering",
}
STATE_LABELS = {
    "pending": "Väntar på roboten",
    "written": "Skrivet",
    "failed": "Misslyckades",
}
PROTECTED_TEXT = "Skyddade personuppgifter – handläggs av behörig handläggare"
LABELS = {
    "outcome_label": outcomes.label,
    "outcome_choices": outcomes.of_case_type,
    "ACTION_LABELS": ACTION_LABELS,
    "STATE_LABELS": STATE_LABELS,
    "PROTECTED_TEXT": PROTECTED_TEXT,
}


# -- pages -------------------------------------------------------------------------------


@router.get("")
def queue_page(request: Request, user: Caseworker, db: Db, reason: str = "") -> Response:
    every, hidden = _queue(request, db, user, casework.queue_for(db.sessions, user.units))
    shown = [e for e in every if not reason or reason in {code for code, _ in e.reasons}]
    present = sorted({code for e in every for code, _ in e.reasons}, key=reason_label)
    context = {
        "entries": shown,
        "hidden_ids": hidden,
        "reason": reason,
        "reason_options": [(code, reason_label(code)) for code in present],
        "reason_label": reason_label(reason) if reason else "",
        **LABELS,
    }
    return render(request, "casework/queue.html", context)


@router.get("/{item_id}")
def item_page(request: Request, item_id: RowId, user: Caseworker, db: Db) -> Response:
    detail = _item(request, db, item_id, user)
    context = {
        "item": detail,
        "facts": [{**f, "shown": _shown(f["value"])} for f in detail.facts],
        "application": _application(detail),
        **LABELS,
    }
    return render(request, "casework/item.html", context)


@router.post("/{item_id}/accept")
def accept_form(request: Request, item_id: RowId, user: Caseworker, db: Db) -> Response:
    return _act_page(
        request,
        item_id,
        lambda: casework.accept(
            db.sessions, item_id, user.units, actor=user.username, client=client_of(request)
        ),
    )


@router.post("/{item_id}/decide")
def decide_form(
    request: Request,
    item_id: RowId,
    user: Caseworker,
    db: Db,
    outcome: Annotated[str, Form()] = "",
    motivering: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
) -> Response:
    def act() -> ActionRecord:
        return casework.decide(
            db.sessions,
            item_id,
            user.units,
            outcome=outcome,
            motivering=motivering,
            amount=_kronor(amount),
            actor=user.username,
            client=client_of(request),
        )

    return _act_page(request, item_id, act)


@router.post("/{item_id}/request-completion")
def completion_form(
    request: Request,
    item_id: RowId,
    user: Caseworker,
    db: Db,
    message: Annotated[str, Form()] = "",
) -> Response:
    return _act_page(
        request,
        item_id,
        lambda: casework.request_completion(
            db.sessions,
            item_id,
            user.units,
            message=message,
            actor=user.username,
            client=client_of(request),
        ),
    )


# -- JSON API ----------------------------------------------------------------------------


class DecideIn(BaseModel):
    outcome: str = Field(description="granted, denied or an outcome of the case type")
    motivering: str = Field(description="The caseworker's motivering, written to the case")
    amount: int | None = Field(
        default=None, description="Whole kronor (case types that decide an amount)"
    )


class CompletionIn(BaseModel):
    message: str = Field(description="What the applicant is asked to complete")


@api_router.get("", response_model=list[QueueEntry], responses=errors(422))
def api_queue(request: Request, user: Caseworker, db: Db, reason: str | None = None) -> Any:
    """Open items of the user's units, earliest due first; ``reason`` filters by code.

    An item about a person with protected identity is listed without application id,
    detail and recommendation unless the user may view such items.
    """
    entries, _ = _queue(
        request, db, user, casework.queue_for(db.sessions, user.units, reason=reason or None)
    )
    return entries


@api_router.get("/{item_id}", response_model=ItemDetail, responses=errors(404, 422))
def api_item(request: Request, item_id: RowId, user: Caseworker, db: Db) -> Any:
    """One item; 404 for another unit's item and, without the permission, a protected one."""
    return _item(request, db, item_id, user)


@api_router.post(
    "/{item_id}/accept",
    response_model=ActionRecord,
    status_code=201,
    responses=errors(404, 409, 422),
)
def api_accept(request: Request, item_id: RowId, user: Caseworker, db: Db) -> Any:
    return _act_api(
        request,
        item_id,
        lambda: casework.accept(
            db.sessions, item_id, user.units, actor=user.username, client=client_of(request)
        ),
    )


@api_router.post(
    "/{item_id}/decide",
    response_model=ActionRecord,
    status_code=201,
    responses=errors(400, 404, 409, 413, 422),
)
def api_decide(request: Request, item_id: RowId, body: DecideIn, user: Caseworker, db: Db) -> Any:
    return _act_api(
        request,
        item_id,
        lambda: casework.decide(
            db.sessions,
            item_id,
            user.units,
            outcome=body.outcome,
            motivering=body.motivering,
            amount=body.amount,
            actor=user.username,
            client=client_of(request),
        ),
    )


@api_router.post(
    "/{item_id}/request-completion",
    response_model=ActionRecord,
    status_code=201,
    responses=errors(400, 404, 409, 413, 422),
)
def api_completion(
    request: Request, item_id: RowId, body: CompletionIn, user: Caseworker, db: Db
) -> Any:
    return _act_api(
        request,
        item_id,
        lambda: casework.request_completion(
            db.sessions,
            item_id,
            user.units,
            message=body.message,
            actor=user.username,
            client=client_of(request),
        ),
    )


# -- internals ---------------------------------------------------------------------------


def _queue(
    request: Request, db: Database, user: User, entries: list[QueueEntry]
) -> tuple[list[QueueEntry], set[int]]:
    """The entries as this user may see them, the ids shown without details; logged."""
    hidden: set[int] = set()
    if not user.may_view_protected:
        hidden = protected_identity.protected_item_ids(db.sessions, [e.id for e in entries])
    out = [
        e.model_copy(
            update={
                "application_id": PROTECTED_TEXT,
                "detail": "",
                "recommended_outcome": None,
                "recommended_amount": None,
            }
        )
        if e.id in hidden
        else e
        for e in entries
    ]
    ids = ", ".join(str(e.id) for e in entries)
    log_access(
        request,
        "casework.queue.view",
        f"queue:{','.join(user.units)}",
        detail=f"{len(entries)} ärenden: {ids}" if entries else "inga ärenden",
    )
    return out, hidden


def _check_protected(request: Request, db: Database, item_id: int, user: User) -> None:
    """404 (and a line in the access log) for a protected item the user may not open."""
    if user.may_view_protected or not protected_identity.protected_item_ids(db.sessions, [item_id]):
        return
    log_access(request, "casework.item.denied", f"exception:{item_id}", detail="skyddad identitet")
    raise HTTPException(404, str(casework.NotPermitted(item_id)))


def _item(request: Request, db: Database, item_id: int, user: User) -> ItemDetail:
    try:
        detail = casework.item(db.sessions, item_id, user.units)
    except casework.NotPermitted as exc:
        raise HTTPException(404, str(exc)) from exc
    _check_protected(request, db, item_id, user)
    log_access(
        request, "casework.item.view", f"exception:{item_id}", case_ref=detail.application_id
    )
    return detail


def _act_page(request: Request, item_id: int, act: Any) -> Response:
    _check_protected(request, request.app.state.db, item_id, request.state.user)
    try:
        action = act()
    except casework.NotPermitted as exc:
        raise HTTPException(404, str(exc)) from exc
    except casework.CaseworkError as exc:
        flash(request, str(exc), "error")
    except InputError as exc:
        flash(request, exc.detail.capitalize() + ".", "error")
    else:
        what = ACTION_LABELS[action.action]
        flash(request, f"{what} är sparad. {_wake(request, item_id)}", "success")
    return RedirectResponse(f"/casework/{item_id}", status_code=303)


def _wake(request: Request, item_id: int) -> str:
    """Have the robot write the action back soon; the message says when."""
    return casework.wake_robot(
        request.app.state.db.sessions,
        item_id,
        actor=request.state.user.username,
        client_address=client_of(request),
    )


def _act_api(request: Request, item_id: int, act: Any) -> Any:
    _check_protected(request, request.app.state.db, item_id, request.state.user)
    try:
        action = act()
    except casework.NotPermitted as exc:
        raise HTTPException(404, str(exc)) from exc
    except casework.CaseworkError as exc:
        raise HTTPException(409, str(exc)) from exc
    # InputError: the app's handler answers 422 with the field
    _wake(request, item_id)
    return action


def _kronor(text: str) -> int | None:
    digits = text.replace(" ", "").replace("\u00a0", "").removesuffix("kr")
    if not digits:
        return None
    if not digits.isdigit():
        raise InputError("amount", "beloppet ska vara hela kronor")
    return int(digits)


#: Fields every application has (the e-service sets them); a case type labels its own.
APPLICATION_LABELS = {
    "id": "Ansökans id",
    "type": "Ärendetyp",
    "submitted_at": "Inlämnad",
    "status": "Status i e-tjänsten",
}


def _application(detail: ItemDetail) -> list[tuple[str, list[str]]]:
    """The application's fields under their Swedish labels, as the case type names them;
    a nested value as lines (one per list element, ``label: value`` for an object's fields,
    labelled by the same table)."""
    packages = discovery.installed()
    own = packages[detail.case_type].application_labels if detail.case_type in packages else {}
    labels = {**APPLICATION_LABELS, **own}
    return [(labels.get(k, k), _lines(v, labels)) for k, v in detail.application.items()]


def _lines(value: Any, labels: dict[str, str]) -> list[str]:
    if isinstance(value, list):
        return [line for element in value for line in _lines(element, labels)] or ["–"]
    if isinstance(value, dict):
        return [", ".join(f"{labels.get(k, k)}: {_flat(v, labels)}" for k, v in value.items())]
    return [_shown(value)]


def _flat(value: Any, labels: dict[str, str]) -> str:
    return "; ".join(_lines(value, labels)) if isinstance(value, list | dict) else _shown(value)


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
