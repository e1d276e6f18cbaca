"""The UI-drift canary: before a batch, check every screen a robot reads or writes.

Each page object declares what it relies on (a
:class:`~caserobot.legacy.casesystem.screens.ScreenSpec` per screen, next to its selectors).
:func:`check` fetches every screen of the robot's case type through a logged-in seat (GET
only: forms are read, never submitted), reduces each to the parts the page object relies
on and compares them with the layout accepted for the robot (table ``canary_screens``):

* the first time a screen is seen and its page object can read it, its layout is accepted
  automatically (audited as ``canary.baseline``);
* when a screen lacks what its page object reads, or differs from the accepted layout, the
  robot is paused (registry status ``paused``), the change is written to the audit log
  (actor ``canary``, action ``canary.layout_changed``) and, when a Prefect API is
  configured, the event ``caserobot.canary.layout-changed`` is emitted (an automation can
  mail the administrator). The run writes nothing.

An administrator fixes the page object, then :func:`accept` records the screens as last
seen (only if the page objects now read them) and resumes the robot (web UI banner
"Godta den nya layouten", ``caserobot canary accept ROBOT``).

The engine calls the canary through :class:`CanaryGuard` (see :mod:`caserobot.worker`):
once before any item is claimed, and once more on the first unexpected screen of a run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from caserobot import audit
from caserobot.db import read_session, utcnow, write_session
from caserobot.db.models import (
    CanaryScreenRow,
    CanaryStateRow,
    DecisionRow,
    RobotRow,
    WorkItemRow,
)
from caserobot.exceptions import (
    ApplicationException,
    CaseRobotError,
    LegacySystemUnavailable,
    UnexpectedScreen,
)
from caserobot.legacy.casesystem import pages
from caserobot.legacy.casesystem import social_pages as sp
from caserobot.legacy.casesystem.screens import (
    ScreenSpec,
    features,
    findings,
    fingerprint,
    problems,
    structure,
)
from caserobot.personnummer import InvalidPersonnummer, Personnummer, mask
from caserobot.registry import NotRegistered

__all__ = [
    "EVENT",
    "SCREEN_SETS",
    "CanaryError",
    "CanaryGuard",
    "CanaryResult",
    "CanaryState",
    "LayoutChanged",
    "ScreenResult",
    "ScreenSet",
    "accept",
    "alerts",
    "check",
    "check_robot",
    "robots_for",
    "screens_for",
    "state",
]

Sessions = sessionmaker[Session]
log = logging.getLogger(__name__)

ACTOR = "canary"
EVENT = "caserobot.canary.layout-changed"
EVENT_TIMEOUT_S = 10.0
SAMPLE_CANDIDATES = 5  # work items tried for a person whose screens can be read


class CanaryError(CaseRobotError):
    """An administrator's canary action that cannot be done (the message says why)."""


class LayoutChanged(LegacySystemUnavailable):
    """The robot's screens changed: the case system is unusable to it until accepted.

    Raised before a write once the canary has stopped the robot; the item waits without
    using an attempt (a system problem, not the item's).
    """


@dataclass(frozen=True)
class ScreenSet:
    """The screens of one case type's robot and how to find sample ids to read them with.

    ``pnr_path``: where a work item's payload holds the person whose screens are read;
    ``discover``: from that person's screen (parsed by its page object), the ids of cases
    of this case type and other sample ids.
    """

    case_type: str
    screens: tuple[ScreenSpec, ...]
    pnr_path: tuple[str, ...]
    discover: Callable[[str, str], dict[str, Any]]


def _discover_pupil(html: str, pnr: str) -> dict[str, Any]:
    pupil = pages.parse_pupil(html, pnr)
    cases = [c.case_id for c in pupil.cases if c.case_type == "skolskjuts"] if pupil else []
    return {"case_ids": cases}


def _discover_household(html: str, pnr: str) -> dict[str, Any]:
    household = sp.parse_household(html)
    if household is None:
        return {"case_ids": []}
    cases = [c.case_id for c in household.cases if c.case_type == "ekonomiskt_bistand"]
    return {"case_ids": cases, "number": household.number}


SCREEN_SETS: dict[str, ScreenSet] = {
    "skolskjuts": ScreenSet(
        "skolskjuts", pages.SCREENS, ("application", "child", "personnummer"), _discover_pupil
    ),
    "ekonomiskt_bistand": ScreenSet(
        "ekonomiskt_bistand",
        sp.SCREENS,
        ("application", "applicant", "personnummer"),
        _discover_household,
    ),
}


@dataclass
class ScreenResult:
    screen: str
    title: str
    status: str  # ok, recorded (first seen, accepted), changed, unchecked
    findings: list[str] = field(default_factory=list)
    fingerprint: str | None = None
    note: str = ""  # why unchecked


@dataclass
class CanaryResult:
    robot: str
    screens: list[ScreenResult]
    paused: bool = False
    event_sent: bool | None = None  # None: no Prefect API configured
    elapsed_ms: float = 0.0

    @property
    def changed(self) -> list[ScreenResult]:
        return [s for s in self.screens if s.status == "changed"]

    @property
    def ok(self) -> bool:
        return not self.changed

    @property
    def message(self) -> str:
        """In Swedish, for the administrator: what changed and what happens now."""
        if self.ok:
            return f"Ärendesystemets skärmar för roboten {self.robot} är oförändrade."
        return change_message(self.robot, [_change(s) for s in self.changed])

    def as_dict(self) -> dict[str, Any]:
        return {
            "robot": self.robot,
            "ok": self.ok,
            "paused": self.paused,
            "event_sent": self.event_sent,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "message": self.message,
            "screens": [vars(s) for s in self.screens],
        }


@dataclass(frozen=True)
class CanaryState:
    """What the web UI and the CLI show: the robot's canary as last checked."""

    robot: str
    status: str  # ok, changed
    message: str
    changes: list[dict[str, Any]]
    detected_at: datetime | None
    checked_at: datetime | None
    check_ms: int | None
    screens_accepted: int


def change_message(robot: str, changes: list[dict[str, Any]]) -> str:
    titles = ", ".join(c["title"] for c in changes)
    detail = " ".join(f"{c['title'].capitalize()}: {'; '.join(c['findings'])}." for c in changes)
    return (
        f"Ärendesystemets skärmar har ändrats ({titles}). Roboten {robot} är pausad och "
        f"skriver ingenting förrän en administratör har rättat sidobjekten och godtagit den "
        f"nya layouten. {detail}"
    )


# -- checking --------------------------------------------------------------------------------


async def check(
    session: Any,
    screens: ScreenSet,
    sessions: Sessions,
    robot: str,
    *,
    emit: bool = True,
) -> CanaryResult:
    """Read every screen of ``screens`` on ``session`` and compare with what was accepted.

    Reads only (GET); never raises for a screen that cannot be read (it is ``unchecked``).
    On a change: pauses ``robot``, audits, emits the Prefect event (``emit``), and returns
    the differences.
    """
    started = time.perf_counter()
    accepted, previous = await asyncio.to_thread(_load, sessions, robot)
    samples = dict(previous.get("samples") or {})
    candidates = await asyncio.to_thread(_candidates, sessions, screens, samples)
    reader = _Reader(session)
    found = await _find_samples(reader, screens, candidates)
    results: list[ScreenResult] = []
    observed: dict[str, Any] = {}
    for spec in screens.screens:
        missing = [p for p in spec.placeholders if not found.get(p)]
        if missing:
            note = "inget exempel att läsa skärmen med (" + ", ".join(missing) + ")"
            results.append(ScreenResult(spec.name, spec.title, "unchecked", note=note))
            continue
        html = await reader.read(spec.path.format(**found), spec.name)
        if html is None:
            note = f"kunde inte läsas: {reader.last_error}"
            results.append(ScreenResult(spec.name, spec.title, "unchecked", note=note))
            continue
        seen = structure(html)
        observed[spec.name] = seen
        wrong = findings(spec, seen, accepted.get(spec.name))
        fp = fingerprint(features(seen, spec))
        status = "changed" if wrong else "ok" if spec.name in accepted else "recorded"
        results.append(ScreenResult(spec.name, spec.title, status, wrong, fp))
    result = CanaryResult(robot=robot, screens=results)
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    kept = {k: v for k, v in found.items() if k in ("pnr", "case_id", "number") and v}
    result.paused = await asyncio.to_thread(
        _record, sessions, screens, robot, result, observed, kept
    )
    if not result.ok and emit:
        result.event_sent = await emit_event(result)
    return result


class _Reader:
    """Reads screens through the seat, each path once; failures are noted, not raised."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.pages: dict[str, str | None] = {}
        self.last_error = ""

    async def read(self, path: str, step: str) -> str | None:
        if path not in self.pages:
            try:
                self.pages[path] = await self.session._read(path, step)
            except ApplicationException as exc:
                self.last_error = mask(str(exc))
                self.pages[path] = None
        return self.pages[path]


async def _find_samples(
    reader: _Reader, screens: ScreenSet, candidates: dict[str, list[str]]
) -> dict[str, Any]:
    """Sample ids that lead to real screens: a person the system knows, one of their cases.

    The ids that worked last time come first; then the person's own cases as their screen
    lists them (read by its page object), then the robot's decided cases.
    """
    stored_number = next(iter(candidates["number"]), None)
    found: dict[str, Any] = {"number": stored_number}
    person = next((s for s in screens.screens if s.placeholders == ("pnr",) and s.tables), None)
    discovered: dict[str, Any] = {}
    for pnr in candidates["pnr"]:
        if person is None:
            found["pnr"] = pnr
            break
        html = await reader.read(person.path.format(pnr=pnr), person.name)
        if html is None or HTMLParser(html).css_first("#ingen-traff") is not None:
            continue
        found["pnr"] = pnr
        try:
            discovered = screens.discover(html, pnr)
        except UnexpectedScreen:  # its layout changed: the check reports it
            discovered = {}
        found["number"] = discovered.get("number") or stored_number
        break
    stored, decided = candidates["case_id"][:1], candidates["case_id"][1:]
    case_ids = [*stored, *discovered.get("case_ids", []), *decided]
    case = next((s for s in screens.screens if s.placeholders == ("case_id",) and s.tables), None)
    for case_id in dict.fromkeys(c for c in case_ids if c):
        if case is None:
            found["case_id"] = case_id
            break
        html = await reader.read(case.path.format(case_id=case_id), case.name)
        if html is not None and not _error_page(html):
            found["case_id"] = case_id
            break
    return found


def _error_page(html: str) -> bool:
    """The case system's error page (an unknown case): ``p.fel`` and nothing else to read."""
    tree = HTMLParser(html)
    return tree.css_first("p.fel") is not None and tree.css_first("table[id], form[id]") is None


# -- storage ---------------------------------------------------------------------------------


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


def _change(s: ScreenResult) -> dict[str, Any]:
    return {"screen": s.screen, "title": s.title, "findings": list(s.findings)}


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


# -- the administrator -----------------------------------------------------------------------


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
    screens = SCREEN_SETS.get(found.case_type)
    if screens is None:
        raise CanaryError(f"ärendetypen {found.case_type} har inga skärmar att kontrollera")
    return screens


async def check_robot(settings: Any, sessions: Sessions, robot: str) -> CanaryResult:
    """Log in on one seat of the case system and :func:`check` the robot's screens."""
    from caserobot.legacy import browser as chromium
    from caserobot.legacy.casesystem import CaseSystemSession

    screens = screens_for(sessions, robot)
    pw, browser = await chromium.launch(settings.browser)
    try:
        async with CaseSystemSession(browser, settings.case_system) as session:
            return await check(session, screens, sessions, robot)
    finally:
        await chromium.shutdown(pw, browser)


def robots_for(sessions: Sessions, case_type: str) -> list[tuple[str, str]]:
    """(name, status) of the registered robots of a case type."""
    with read_session(sessions) as session:
        rows = session.execute(
            select(RobotRow.name, RobotRow.status)
            .where(RobotRow.case_type == case_type)
            .order_by(RobotRow.name)
        ).all()
    return [(name, status) for name, status in rows]


# -- Prefect -----------------------------------------------------------------------------


async def emit_event(result: CanaryResult) -> bool | None:
    """Emit ``caserobot.canary.layout-changed`` to Prefect; None when no API is configured.

    Never raises: the pause and the audit entry are the record; the event tells people.
    """
    # As caserobot.credentials: only a configured server is asked (without one, Prefect's
    # client would start a temporary server inside the robot process).
    if not os.environ.get("PREFECT_API_URL"):
        return None
    from prefect.events import Event  # imported only on a change (≈ 2 s)
    from prefect.events.clients import get_events_client

    event = Event(
        event=EVENT,
        resource={
            "prefect.resource.id": f"caserobot.robot.{result.robot}",
            "prefect.resource.name": result.robot,
        },
        payload={
            "robot": result.robot,
            "paused": result.paused,
            "message": result.message,
            "screens": [_change(s) for s in result.changed],
        },
    )

    async def send() -> None:
        async with get_events_client(reconnection_attempts=1) as client:
            await client.emit(event)

    try:
        await asyncio.wait_for(send(), EVENT_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - a notification must never stop the pause
        log.warning("canary: the Prefect event could not be sent: %s", exc)
        return False
    return True


# -- the engine's guard ----------------------------------------------------------------------


class CanaryGuard:
    """The canary as the robot engine uses it (one per run).

    :meth:`before_batch` once the seats are open; :meth:`after_unexpected` on an item's
    unexpected screen (one check per run); :meth:`hold` before each claim and
    :meth:`before_write` before each write: they wait while a check runs and stop the robot
    once a check has found a change.
    """

    def __init__(
        self,
        sessions: Sessions,
        case_type: str,
        progress: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.screens = SCREEN_SETS.get(case_type)
        self.case_type = case_type
        self.progress = progress or (lambda event, data: None)
        self.stop_reason: str | None = None
        self.results: list[CanaryResult] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self._rechecked = False

    async def before_batch(self, session: Any) -> str | None:
        """Check before any item is claimed; the reason to stop, or None."""
        return await self._check(session, "before_batch")

    def saw_unexpected(self) -> bool:
        """Note an unexpected screen; True if this run's one re-check should run now."""
        if self._rechecked or self.screens is None:
            return False
        self._rechecked = True
        self._idle.clear()  # seats hold their next claim and write until it is done
        return True

    async def after_unexpected(self, session: Any) -> str | None:
        try:
            return await self._check(session, "unexpected_screen")
        except Exception as exc:  # the item's error is recorded already; the run goes on
            self.progress("canary_failed", {"error": mask(f"{type(exc).__name__}: {exc}")})
            return self.stop_reason
        finally:
            self._idle.set()

    async def hold(self) -> str | None:
        await self._idle.wait()
        return self.stop_reason

    async def before_write(self) -> None:
        await self._idle.wait()
        if self.stop_reason is not None:
            raise LayoutChanged(self.stop_reason, system=pages.SYSTEM, step="canary")

    async def _check(self, session: Any, why: str) -> str | None:
        if self.screens is None or self.stop_reason is not None:
            return self.stop_reason
        robots = await asyncio.to_thread(robots_for, self.sessions, self.case_type)
        for name, status in robots:
            if status == "paused":
                continue  # the gate stops a paused robot; nothing to check for it
            result = await check(session, self.screens, self.sessions, name)
            self.results.append(result)
            self.progress(
                "canary",
                {
                    "robot": name,
                    "why": why,
                    "ok": result.ok,
                    "ms": round(result.elapsed_ms, 1),
                    "screens": {s.screen: s.status for s in result.screens},
                },
            )
            if not result.ok:
                self.stop_reason = result.message
        return self.stop_reason
