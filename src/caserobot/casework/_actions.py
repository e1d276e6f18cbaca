"""A caseworker's actions on an exception item, and the robot's record of writing them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from caserobot import audit, outcomes
from caserobot.casework._records import (
    DECISIONS,
    MAX_TEXT,
    ActionRecord,
    AlreadyDecided,
    CaseworkError,
    Sessions,
    decides_amount,
)
from caserobot.casework._view import (
    _action,
    _actions,
    _legacy_case_id,
    _permitted,
    _recommended_amount,
    decision_text,
)
from caserobot.db import utcnow, write_session
from caserobot.db.models import CaseworkerActionRow, ExceptionItemRow, WorkItemRow
from caserobot.exceptions import InputError
from caserobot.personnummer import mask


def accept(
    sessions: Sessions,
    item_id: int,
    units: list[str] | tuple[str, ...],
    *,
    actor: str,
    client: str | None = None,
) -> ActionRecord:
    """Decide as the robot recommended (outcome, amount and the draft motivering).

    Raises:
        NotPermitted, AlreadyDecided; CaseworkError when there is no recommendation.
    """
    with write_session(sessions) as session:
        row = _permitted(session, item_id, units, lock=True)
        _refuse_second_decision(session, row)
        choices = outcomes.of_case_type(row.case_type)
        if row.recommended_outcome not in choices or not row.draft_motivering:
            raise CaseworkError(
                f"ärende {item_id} har ingen rekommendation att godta; fatta ett eget beslut"
            )
        amount = _recommended_amount(row)
        if decides_amount(row.case_type) and choices[row.recommended_outcome].with_amount:
            if not amount or amount < 1:
                raise CaseworkError(
                    f"ärende {item_id}: rekommendationen saknar belopp; fatta ett eget beslut"
                )
        else:
            amount = None
        outcome, text = row.recommended_outcome, decision_text(row.draft_motivering) or ""
        return _act(session, row, "accept", outcome, amount, text, actor, client)


def decide(
    sessions: Sessions,
    item_id: int,
    units: list[str] | tuple[str, ...],
    *,
    outcome: str,
    motivering: str,
    amount: int | None = None,
    actor: str,
    client: str | None = None,
) -> ActionRecord:
    """Decide otherwise than (or without) the recommendation, with the caseworker's motivering.

    Raises:
        NotPermitted, AlreadyDecided; InputError naming the field for a bad outcome, amount
        or motivering.
    """
    text = _text("motivering", motivering)
    with write_session(sessions) as session:
        row = _permitted(session, item_id, units, lock=True)
        choices = outcomes.of_case_type(row.case_type)
        if outcome not in choices:
            raise InputError("outcome", f"utfallet ska vara {' eller '.join(choices)}")
        _refuse_second_decision(session, row)
        amount = _checked_amount(row.case_type, outcome, amount)
        return _act(session, row, "decide", outcome, amount, text, actor, client)


def request_completion(
    sessions: Sessions,
    item_id: int,
    units: list[str] | tuple[str, ...],
    *,
    message: str,
    actor: str,
    client: str | None = None,
) -> ActionRecord:
    """Ask the applicant to complete the application; the robot sends it, the item stays open.

    Raises:
        NotPermitted, AlreadyDecided (nothing to complete after a decision); CaseworkError
        while an earlier request is still unsent; InputError for an empty message.
    """
    text = _text("message", message)
    with write_session(sessions) as session:
        row = _permitted(session, item_id, units, lock=True)
        _refuse_second_decision(session, row)
        if any(
            a.action == "request_completion" and a.state == "pending"
            for a in _actions(session, row.id)
        ):
            raise CaseworkError(
                f"ärende {item_id}: en begäran om komplettering väntar redan på att skickas"
            )
        return _act(session, row, "request_completion", None, None, text, actor, client)


def action_key(case_type: str, application_id: str, action_id: int) -> str:
    """The work item's idempotency key for a caseworker's action."""
    return f"{case_type}:{application_id}:caseworker-action:{action_id}"


def record_written(
    session: Session,
    action_id: int,
    *,
    legacy_case_id: str | None,
    diarienummer: str | None,
    written_at: datetime,
    recovered: bool,
) -> ActionRecord:
    """Record, in the robot's transaction that finishes the work item, that it is written."""
    row = session.get(CaseworkerActionRow, action_id)
    if row is None:
        raise LookupError(f"caseworker action {action_id} not found")
    row.state = "written"
    row.legacy_case_id = legacy_case_id
    row.diarienummer = diarienummer
    row.written_at = row.written_at or written_at
    row.error = None
    audit.record(
        session,
        actor="robot",
        action=f"exception.{row.action}.written",
        target=f"exception:{row.exception_item_id}",
        after={"action": action_id, "diarienummer": diarienummer, "recovered": recovered},
    )
    session.flush()
    return _action(row)


def record_failed(sessions: Sessions, action_id: int, error: str) -> None:
    """The robot gave up writing the action (attempts used up, or refused by the system)."""
    with write_session(sessions) as session:
        row = session.get(CaseworkerActionRow, action_id)
        if row is None or row.state == "written":
            return
        row.state = "failed"
        row.error = mask(error)
        audit.record(
            session,
            actor="robot",
            action=f"exception.{row.action}.failed",
            target=f"exception:{row.exception_item_id}",
            after={"action": action_id, "error": mask(error)},
        )


def _act(
    session: Session,
    row: ExceptionItemRow,
    action: str,
    outcome: str | None,
    amount: int | None,
    text: str,
    actor: str,
    client: str | None,
) -> ActionRecord:
    now = utcnow()
    basis = row.decision_basis or {}
    legacy_case_id = _legacy_case_id(basis)
    action_row = CaseworkerActionRow(
        exception_item_id=row.id,
        action=action,
        outcome=outcome,
        amount=amount,
        motivering=text,
        actor=actor,
        created_at=now,
        state="pending",
        legacy_case_id=legacy_case_id,
    )
    session.add(action_row)
    session.flush()
    source = session.get(WorkItemRow, row.work_item_id)
    application = dict((source.payload or {}).get("application") or {}) if source else {}
    work = WorkItemRow(
        case_type=row.case_type,
        kind="caseworker_action",
        idempotency_key=action_key(row.case_type, row.application_id, action_row.id),
        application_id=row.application_id,
        payload={
            "action_id": action_row.id,
            "exception_item_id": row.id,
            "action": action,
            "outcome": outcome,
            "amount": amount,
            "motivering": text,
            "actor": actor,
            "legacy_case_id": legacy_case_id,
            "application": application,
            "part": (source.payload or {}).get("part") if source else None,
        },
        state="new",
        attempts=0,
        available_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(work)
    session.flush()
    action_row.work_item_id = work.id
    before = {"status": row.status}
    if action in DECISIONS:
        row.status = "resolved"
        row.resolved_at = now
        row.resolved_by = actor
    audit.record(
        session,
        actor=actor,
        action=f"exception.{action}",
        target=f"exception:{row.id}",
        before=before,
        after={
            "status": row.status,
            "action": action_row.id,
            "outcome": outcome,
            "amount": amount,
            "recommended_outcome": row.recommended_outcome,
            "work_item": work.id,
        },
        client=client,
    )
    session.flush()
    return _action(action_row)


def _refuse_second_decision(session: Session, row: ExceptionItemRow) -> None:
    decided = next((a for a in _actions(session, row.id) if a.action in DECISIONS), None)
    if decided is not None or row.status == "resolved":
        raise AlreadyDecided(row.id, decided.actor if decided else row.resolved_by)


def _checked_amount(case_type: str, outcome: str, amount: int | None) -> int | None:
    if not decides_amount(case_type):
        if amount:
            raise InputError("amount", "ärendetypen beslutar inget belopp")
        return None
    if outcomes.of_case_type(case_type)[outcome].with_amount:
        if amount is None or isinstance(amount, bool) or int(amount) < 1:
            raise InputError("amount", "ett beviljat bistånd behöver ett belopp i hela kronor")
        return int(amount)
    if amount:
        raise InputError("amount", "ett avslag har inget belopp")
    return None


def _text(field: str, value: str) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        what = "motiveringen" if field == "motivering" else "meddelandet"
        raise InputError(field, f"{what} får inte vara tom")
    if len(text) > MAX_TEXT:
        raise InputError(field, f"högst {MAX_TEXT} tecken")
    return text
