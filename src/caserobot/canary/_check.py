"""Checking: read every screen through a seat (GET only), compare, tell Prefect."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy.exc import IntegrityError

from caserobot.canary._model import EVENT, CanaryResult, ScreenResult, ScreenSet, _change
from caserobot.canary._store import Sessions, _candidates, _load, _record, screens_for
from caserobot.exceptions import ApplicationException, UnexpectedScreen
from caserobot.legacy.casesystem.screens import features, findings, fingerprint, structure
from caserobot.personnummer import mask

log = logging.getLogger(__name__)
EVENT_TIMEOUT_S = 10.0


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
    unchecked: dict[str, str] = {}
    observed: dict[str, Any] = {}
    for spec in screens.screens:
        missing = [p for p in spec.placeholders if not found.get(p)]
        if missing:
            unchecked[spec.name] = "inget exempel att läsa skärmen med (" + ", ".join(missing) + ")"
            continue
        html = await reader.read(spec.path.format(**found), spec.name)
        if html is None:
            unchecked[spec.name] = f"kunde inte läsas: {reader.last_error}"
            continue
        observed[spec.name] = structure(html)
    kept = {k: v for k, v in found.items() if k in ("pnr", "case_id", "number") and v}
    result = _compare(robot, screens, accepted, observed, unchecked, started)
    try:
        result.paused = await asyncio.to_thread(
            _record, sessions, screens, robot, result, observed, kept
        )
    except IntegrityError:
        # Another run of the robot (another worker) recorded the first layouts or the check's
        # state at the same moment: compare with what it recorded, and record again.
        accepted, _ = await asyncio.to_thread(_load, sessions, robot)
        result = _compare(robot, screens, accepted, observed, unchecked, started)
        result.paused = await asyncio.to_thread(
            _record, sessions, screens, robot, result, observed, kept
        )
    if not result.ok and emit:
        result.event_sent = await emit_event(result)
    return result


def _compare(
    robot: str,
    screens: ScreenSet,
    accepted: dict[str, Any],
    observed: dict[str, Any],
    unchecked: dict[str, str],
    started: float,
) -> CanaryResult:
    """The screens read (``observed``) against the accepted layouts."""
    results: list[ScreenResult] = []
    for spec in screens.screens:
        if spec.name in unchecked:
            note = unchecked[spec.name]
            results.append(ScreenResult(spec.name, spec.title, "unchecked", note=note))
            continue
        seen = observed[spec.name]
        wrong = findings(spec, seen, accepted.get(spec.name))
        fp = fingerprint(features(seen, spec))
        status = "changed" if wrong else "ok" if spec.name in accepted else "recorded"
        results.append(ScreenResult(spec.name, spec.title, status, wrong, fp))
    result = CanaryResult(robot=robot, screens=results)
    result.elapsed_ms = (time.perf_counter() - started) * 1000
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
                self.pages[path] = await self.session.read(path, step)
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
