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

from caserobot.canary._check import check, check_robot, emit_event
from caserobot.canary._guard import CanaryGuard
from caserobot.canary._model import (
    ACTOR,
    EVENT,
    CanaryError,
    CanaryResult,
    CanaryState,
    LayoutChanged,
    ScreenResult,
    ScreenSet,
    change_message,
    screen_set,
)
from caserobot.canary._store import accept, alerts, robots_for, screens_for, state

__all__ = [
    "ACTOR",
    "EVENT",
    "screen_set",
    "CanaryError",
    "CanaryGuard",
    "CanaryResult",
    "CanaryState",
    "LayoutChanged",
    "ScreenResult",
    "ScreenSet",
    "accept",
    "alerts",
    "change_message",
    "check",
    "check_robot",
    "emit_event",
    "robots_for",
    "screens_for",
    "state",
]
