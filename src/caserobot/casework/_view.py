"""Reading the exception queue as a caseworker of some units sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caserobot.applications import parse_submitted_at
from caserobot.case_types import case_types_of_units, load_case_types
from caserobot.casework._records import (
    DECISIONS,
    ActionRecord,
    ItemDetail,
    NotPermitted,
    QueueEntry,
    Sessions,
    decides_amount,
)
from caserobot.db import read_session, utcnow
from caserobot.db.models import CaseworkerActionRow, ExceptionItemRow, WorkItemRow
from caserobot.exceptions import reason_label


def queue_for(
    sessions: Sessions,
    units: list[str] | tuple[str, ...],
    *,
    reason: str | None = None,
    case_type: str | None = None,
    now: datetime | None = None,
) -> list[QueueEntry]:
    """Open items of the units' case types, earliest due first (then oldest)."""
    types = case_types_of_units(list(units))
    if case_type is not None:
        types = [t for t in types if t == case_type]
    if not types:
        return []
    E = ExceptionItemRow
    query = (
        select(E)
        .where(E.status == "open", E.case_type.in_(types))
        .order_by(E.due_at.is_(None), E.due_at, E.created_at, E.id)
    )
    now = now or utcnow()
    with read_session(sessions) as session:
        rows = [r for r in session.scalars(query) if reason is None or reason in r.reason_codes]
        pending = _pending_actions(session, [r.id for r in rows])
        return [QueueEntry(**_entry(row, now, pending.get(row.id))) for row in rows]


def item(
    sessions: Sessions,
    item_id: int,
    units: list[str] | tuple[str, ...],
    *,
    now: datetime | None = None,
) -> ItemDetail:
    """Everything a caseworker needs to decide one item.

    Raises:
        NotPermitted: no such item, or it belongs to another unit's case type.
    """
    with read_session(sessions) as session:
        row = _permitted(session, item_id, units)
        work = session.get(WorkItemRow, row.work_item_id)
        actions = _actions(session, row.id)
        basis = row.decision_basis or {}
        facts, trace, rule_set = _basis_parts(basis)
        pending = next((a.action for a in actions if a.state == "pending"), None)
        return ItemDetail(
            **_entry(row, now or utcnow(), pending),
            status=row.status,
            application=dict((work.payload or {}).get("application") or {}) if work else {},
            facts=facts,
            trace=trace,
            rule_set=rule_set,
            draft_motivering=row.draft_motivering,
            decision_motivering=decision_text(row.draft_motivering),
            legacy_case_id=_legacy_case_id(basis),
            resolved_at=row.resolved_at,
            resolved_by=row.resolved_by,
            amount_required=decides_amount(row.case_type),
            decided=any(a.action in DECISIONS for a in actions),
            actions=actions,
        )


#: The rules' proposal text → a decision's text, when the caseworker accepts it as it is.
_PROPOSAL_TO_DECISION = (
    ("Förslag till beslut\n", "Beslut\n"),
    (" bör beviljas", " beviljas"),
    (" bör avslås", " avslås"),
    ("Ärendet ska prövas av en handläggare eftersom:", "Ärendet har prövats av en handläggare:"),
    ("Underlag för förslaget:", "Skäl för beslutet:"),
    ("Beslutet fattas av en handläggare.", "Beslutet har fattats av en handläggare."),
)


def decision_text(draft: str | None) -> str | None:
    """The motivering written when a caseworker accepts the draft: the proposal as decided."""
    if not draft:
        return draft
    text = draft
    for proposal, decision in _PROPOSAL_TO_DECISION:
        text = text.replace(proposal, decision, 1)
    return text


def due_at(case_type: str, payload: Any, created_at: datetime) -> datetime | None:
    """When a caseworker should have decided: submission (else queued) + the case type's SLA.

    Total: whatever the stored payload holds (a year 9999 or a broken submission time is
    ignored, issue 13), this never raises.
    """
    config = load_case_types().get(case_type)
    if config is None:
        return None
    start = submitted_at(payload) or created_at
    return config.due_at(start) if start is not None else None


def submitted_at(payload: Any) -> datetime | None:
    """The application's submission time from a work item payload, as aware UTC.

    None when absent or not plausible (no offset is taken as UTC; before 2000 or in the
    future beyond a small clock skew is ignored, see caserobot.applications).
    """
    application = payload.get("application") if isinstance(payload, dict) else None
    raw = application.get("submitted_at") if isinstance(application, dict) else None
    if not isinstance(raw, str):
        return None
    if len(raw) <= 64:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            raw = parsed.replace(tzinfo=UTC).isoformat()
    try:
        return parse_submitted_at(raw)
    except ValueError:
        return None


def _permitted(
    session: Session, item_id: int, units: list[str] | tuple[str, ...], *, lock: bool = False
) -> ExceptionItemRow:
    query = select(ExceptionItemRow).where(ExceptionItemRow.id == item_id)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None or row.case_type not in case_types_of_units(list(units)):
        raise NotPermitted(item_id)
    return row


def _actions(session: Session, exception_item_id: int) -> list[ActionRecord]:
    query = (
        select(CaseworkerActionRow, WorkItemRow.state, WorkItemRow.last_error)
        .outerjoin(WorkItemRow, WorkItemRow.id == CaseworkerActionRow.work_item_id)
        .where(CaseworkerActionRow.exception_item_id == exception_item_id)
        .order_by(CaseworkerActionRow.id)
    )
    out = []
    for action_row, work_state, last_error in session.execute(query):
        record = _action(action_row)
        # The queue may abandon an item without the worker seeing it (a robot that crashed
        # on every attempt): such an action has failed too, with the queue's last error.
        if record.state == "pending" and work_state == "abandoned":
            record = record.model_copy(update={"state": "failed", "error": last_error})
        out.append(record)
    return out


def _pending_actions(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    A = CaseworkerActionRow
    query = select(A.exception_item_id, A.action).where(
        A.exception_item_id.in_(ids), A.state == "pending"
    )
    return {item_id: action for item_id, action in session.execute(query)}


def _action(row: CaseworkerActionRow) -> ActionRecord:
    return ActionRecord(
        id=row.id,
        action=row.action,  # type: ignore[arg-type]
        outcome=row.outcome,
        amount=row.amount,
        motivering=row.motivering,
        actor=row.actor,
        created_at=row.created_at,
        state=row.state,  # type: ignore[arg-type]
        legacy_case_id=row.legacy_case_id,
        diarienummer=row.diarienummer,
        written_at=row.written_at,
        error=row.error,
    )


def _entry(row: ExceptionItemRow, now: datetime, pending: str | None) -> dict[str, Any]:
    types = load_case_types()
    label = types[row.case_type].label if row.case_type in types else row.case_type
    return {
        "id": row.id,
        "case_type": row.case_type,
        "case_type_label": label,
        "application_id": row.application_id,
        "reasons": [(code, reason_label(code)) for code in row.reason_codes],
        "detail": row.detail,
        "recommended_outcome": row.recommended_outcome,
        "recommended_amount": _recommended_amount(row),
        "due_at": row.due_at,
        "overdue": row.due_at is not None and row.due_at < now,
        "created_at": row.created_at,
        "pending_action": pending,
    }


def _basis_parts(
    basis: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """Facts, trace and rule set of a decision basis.

    A referral's basis is ``{"facts", "rule_set", "trace", "legacy_case_id"}``; a business
    exception's basis is the facts collected until the robot stopped.
    """
    referral = "trace" in basis and isinstance(basis.get("facts"), dict)
    facts = basis["facts"] if referral else basis
    rows = []
    for name, fact in facts.items():
        if isinstance(fact, dict) and "value" in fact:
            rows.append(
                {
                    "name": name,
                    "value": fact.get("value"),
                    "source": fact.get("source", ""),
                    "fetched_at": fact.get("fetched_at"),
                }
            )
    trace = list(basis.get("trace") or []) if referral else []
    return rows, trace, basis.get("rule_set") if referral else None


def _legacy_case_id(basis: dict[str, Any]) -> str | None:
    if basis.get("legacy_case_id"):
        return str(basis["legacy_case_id"])
    facts, _, _ = _basis_parts(basis)
    case = next((f["value"] for f in facts if f["name"] == "ärende"), None)
    return str(case) if case else None


def _recommended_amount(row: ExceptionItemRow) -> int | None:
    if not decides_amount(row.case_type):
        return None
    facts, _, _ = _basis_parts(row.decision_basis or {})
    rec = next((f["value"] for f in facts if f["name"] == "rekommendation"), None)
    amount = rec.get("belopp") if isinstance(rec, dict) else None
    return int(amount) if isinstance(amount, int | float) else None
