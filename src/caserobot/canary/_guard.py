"""The canary as the robot engine uses it: before a batch, on an unexpected screen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from caserobot.canary._check import check
from caserobot.canary._model import CanaryResult, LayoutChanged, screen_set
from caserobot.canary._store import Sessions, robots_for
from caserobot.exceptions import UnexpectedScreen
from caserobot.legacy.casesystem import pages
from caserobot.personnummer import mask


class CanaryGuard:
    """The canary as the robot engine uses it (one per run).

    :meth:`before_batch` once the seats are open; :meth:`classify` on an item's error
    (an unexpected screen: one check per run); :meth:`hold` before each claim and
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
        self.screens = screen_set(case_type)
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

    async def classify(self, exc: Exception, session: Any) -> Exception:
        """An item's error as the engine should record it.

        An unexpected screen makes the canary check again (once per run; a later one waits
        for that check). If the screens changed, the error is the system's, not the
        item's: :class:`LayoutChanged`, so the item waits without using an attempt.
        """
        if not isinstance(exc, UnexpectedScreen) or self.screens is None:
            return exc
        if self.saw_unexpected():
            await self.after_unexpected(session)
        else:
            await self._idle.wait()
        if self.stop_reason is None:
            return exc
        return LayoutChanged(
            f"{exc.detail} (ärendesystemets skärmar har ändrats; ärendet väntar)",
            system=exc.system,
            step=exc.step,
        )

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
