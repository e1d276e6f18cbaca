"""The canary's records: accepted layouts, each robot's last check, accepting a change.

Every change is audited in its own transaction (:mod:`caserobot.audit`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from caserobot import audit
from caserobot.canary._model import (
    ACTOR,
    CanaryError,
    CanaryResult,
    CanaryState,
    ScreenSet,
    _change,
    change_message,
    screen_set,
)
from caserobot.db import read_session, utcnow, write_session
from caserobot.db.models import (
    CanaryScreenRow,
    CanaryStateRow,
    DecisionRow,
    RobotRow,
    WorkItemRow,
)
from caserobot.legacy.casesystem.screens import features, fingerprint, problems
from caserobot.personnummer import InvalidPersonnummer, Personnummer
from caserobot.registry import NotRegistered

Sessions = sessionmaker[Session]
SAMPLE_CANDIDATES = 5  # work items tried for a person whose screens can be read


def _load(sessions: Sessions, robot: str) -> tuple[dict[str, Any], dict[str, Any]]:
    with read_session(sessions) as session:
        rows = session.scalars(select(CanaryScreenRow).where(CanaryScreenRow.robot == robot))
        accepted = {row.screen: row.features for row in rows}
        st = session.scalar(select(CanaryStateRow).where(CanaryStateRow.robot == robot))
        previous = {"samples": st.samples, "status": st.status} if st is not None else {}
    return accepted, previous


def _candidates(
    sessions: Sessions, screens: ScreenSet, samples: dict[str, Any]
) -> dict[str, list[str]]:
    """Sample ids to try, best first: the last ones that worked, the robot's own cases (with
    their applicant), then people whose applications wait in the queue."""
    pnrs: list[str] = [samples["pnr"]] if samples.get("pnr") else []
    cases: list[str] = [samples.get("case_id") or ""]  # the first one is the stored sample
    with read_session(sessions) as session:
        decided = session.execute(
            select(DecisionRow.legacy_case_id, WorkItemRow.payload)
            .join(WorkItemRow, WorkItemRow.id == DecisionRow.work_item_id)
            .where(DecisionRow.case_type == screens.case_type)
            .where(DecisionRow.legacy_case_id.is_not(None))
            .order_by(DecisionRow.id.desc())
            .limit(SAMPLE_CANDIDATES)
        ).all()
        waiting = session.scalars(
            select(WorkItemRow.payload)
            .where(WorkItemRow.case_type == screens.case_type)
            .where(WorkItemRow.kind == "application")
            .order_by(WorkItemRow.id.desc())
            .limit(SAMPLE_CANDIDATES)
        ).all()
    for case_id, payload in decided:
        cases.append(str(case_id))
        pnrs.append(_pnr(payload, screens.pnr_path) or "")
    pnrs.extend(_pnr(payload, screens.pnr_path) or "" for payload in waiting)
    household = [samples["number"]] if samples.get("number") else []
    return {
        "pnr": list(dict.fromkeys(p for p in pnrs if p)),
        "case_id": cases,
        "number": household,
    }


def _pnr(payload: Any, path: tuple[str, ...]) -> str | None:
    value = payload
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    try:
        return Personnummer.parse(str(value)).digits if value else None
    except InvalidPersonnummer:
        return None


def _state_row(session: Session, robot: str) -> CanaryStateRow:
    row = session.scalar(select(CanaryStateRow).where(CanaryStateRow.robot == robot))
    if row is None:
        row = CanaryStateRow(
            robot=robot, status="ok", message="", changes=[], observed={}, samples={}
        )
        session.add(row)
    return row


def _record(
    sessions: Sessions,
    screens: ScreenSet,
    robot: str,
    result: CanaryResult,
    observed: dict[str, Any],
    samples: dict[str, Any],
) -> bool:
    """Store the check; on a change pause the robot and audit it. True if it paused now."""
    now = utcnow()
    paused = False
    with write_session(sessions) as session:
        st = _state_row(session, robot)
        st.checked_at = now
        st.check_ms = round(result.elapsed_ms)
        st.observed = {**(st.observed or {}), **observed}
        st.samples = {**(st.samples or {}), **samples}
        changes = [_change(s) for s in result.changed]
        if changes:
            robot_row = session.scalar(select(RobotRow).where(RobotRow.name == robot))
            before = robot_row.status if robot_row is not None else None
            if robot_row is not None and robot_row.status != "paused":
                robot_row.status = "paused"
                robot_row.updated_at = now
                paused = True
            if st.status != "changed":
                st.detected_at = now
            st.status = "changed"
            st.changes = changes
            st.message = change_message(robot, changes)
            audit.record(
                session,
                actor=ACTOR,
                action="canary.layout_changed",
                target=f"robot:{robot}",
                before={"status": before},
                after={
                    "status": "paused" if robot_row is not None else None,
                    "screens": {c["title"]: c["findings"] for c in changes},
                },
            )
            return paused
        if st.status == "changed":
            st.changes = []  # the screens read well now; an administrator still accepts
            return False
        new = [s for s in result.screens if s.status == "recorded"]
        for s in new:
            spec = next(x for x in screens.screens if x.name == s.screen)
            session.add(
                CanaryScreenRow(
                    robot=robot,
                    screen=s.screen,
                    fingerprint=s.fingerprint or "",
                    features=features(observed[s.screen], spec),
                    accepted_at=now,
                    accepted_by=ACTOR,
                )
            )
        if new:
            audit.record(
                session,
                actor=ACTOR,
                action="canary.baseline",
                target=f"robot:{robot}",
                after={"screens": {s.title: s.fingerprint for s in new}},
            )
    return paused


def accept(
    sessions: Sessions,
    robot: str,
    screens: ScreenSet,
    *,
    actor: str,
    client: str | None = None,
) -> list[str]:
    """Accept the screens as last seen and resume the robot; returns the screens accepted.

    Only when the page objects (as deployed in this process) read every screen as it was
    last seen: otherwise nothing changes.

    Raises:
        NotRegistered: no such robot.
        CanaryError: nothing to accept, or the page objects do not read the new screens.
    """
    now = utcnow()
    with write_session(sessions) as session:
        robot_row = session.scalar(select(RobotRow).where(RobotRow.name == robot))
        if robot_row is None:
            raise NotRegistered("robot", robot)
        st = session.scalar(select(CanaryStateRow).where(CanaryStateRow.robot == robot))
        if st is None or st.status != "changed":
            raise CanaryError(f"Roboten {robot} har ingen ändrad layout att godta.")
        observed = st.observed or {}
        still = {
            spec.title: list(wrong.values())
            for spec in screens.screens
            if spec.name in observed and (wrong := problems(spec, observed[spec.name]))
        }
        if still:
            detail = " ".join(f"{t.capitalize()}: {'; '.join(w)}." for t, w in still.items())
            raise CanaryError(
                "Sidobjekten läser ännu inte de ändrade skärmarna, så den nya layouten kan "
                f"inte godtas. Rätta sidobjekten och kör en ny kontroll. {detail}"
            )
        rows = {
            row.screen: row
            for row in session.scalars(
                select(CanaryScreenRow).where(CanaryScreenRow.robot == robot)
            )
        }
        before = {name: row.fingerprint for name, row in rows.items()}
        after: dict[str, str] = {}
        for spec in screens.screens:
            if spec.name not in observed:
                continue
            feats = features(observed[spec.name], spec)
            row = rows.get(spec.name)
            if row is None:
                row = CanaryScreenRow(robot=robot, screen=spec.name)
                session.add(row)
            row.features = feats
            row.fingerprint = after[spec.name] = fingerprint(feats)
            row.accepted_at = now
            row.accepted_by = actor
        changes = st.changes
        st.status, st.changes, st.message = "ok", [], ""
        st.detected_at = None
        status_before = robot_row.status
        robot_row.status = "active"
        robot_row.updated_at = now
        audit.record(
            session,
            actor=actor,
            action="canary.accept",
            target=f"robot:{robot}",
            before={"status": status_before, "fingerprints": before, "changes": changes},
            after={"status": "active", "fingerprints": after},
            client=client,
        )
        return sorted(after)


def state(sessions: Sessions, robot: str) -> CanaryState | None:
    with read_session(sessions) as session:
        st = session.scalar(select(CanaryStateRow).where(CanaryStateRow.robot == robot))
        if st is None:
            return None
        count = len(
            list(session.scalars(select(CanaryScreenRow.id).where(CanaryScreenRow.robot == robot)))
        )
        return _state(st, count)


def alerts(sessions: Sessions) -> list[CanaryState]:
    """Robots whose screens changed and wait for an administrator (for the web UI banner)."""
    with read_session(sessions) as session:
        rows = session.scalars(
            select(CanaryStateRow)
            .where(CanaryStateRow.status == "changed")
            .order_by(CanaryStateRow.robot)
        )
        return [_state(row, 0) for row in rows]


def _state(row: CanaryStateRow, count: int) -> CanaryState:
    return CanaryState(
        robot=row.robot,
        status=row.status,
        message=row.message,
        changes=list(row.changes or []),
        detected_at=row.detected_at,
        checked_at=row.checked_at,
        check_ms=row.check_ms,
        screens_accepted=count,
    )


def screens_for(sessions: Sessions, robot: str) -> ScreenSet:
    """The screens of a registered robot's case type.

    Raises:
        NotRegistered: no such robot.
        CanaryError: its case type has no screens declared.
    """
    from caserobot import registry

    found = registry.get_robot(sessions, robot)
    if found is None:
        raise NotRegistered("robot", robot)
    screens = screen_set(found.case_type)
    if screens is None:
        raise CanaryError(f"ärendetypen {found.case_type} har inga skärmar att kontrollera")
    return screens


def robots_for(sessions: Sessions, case_type: str) -> list[tuple[str, str]]:
    """(name, status) of the registered robots of a case type."""
    with read_session(sessions) as session:
        rows = session.execute(
            select(RobotRow.name, RobotRow.status)
            .where(RobotRow.case_type == case_type)
            .order_by(RobotRow.name)
        ).all()
    return [(name, status) for name, status in rows]
