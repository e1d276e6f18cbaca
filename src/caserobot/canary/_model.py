"""The canary's vocabulary: the screens of each case type's robot (from its package),
results, errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from caserobot import discovery
from caserobot.exceptions import CaseRobotError, LegacySystemUnavailable
from caserobot.legacy.casesystem.screens import ScreenSet

ACTOR = "canary"
EVENT = "caserobot.canary.layout-changed"


class CanaryError(CaseRobotError):
    """An administrator's canary action that cannot be done (the message says why)."""


class LayoutChanged(LegacySystemUnavailable):
    """The robot's screens changed: the case system is unusable to it until accepted.

    Raised before a write once the canary has stopped the robot; the item waits without
    using an attempt (a system problem, not the item's).
    """


def screen_set(case_type: str) -> ScreenSet | None:
    """The screens of an installed case type's robot, or None (unknown, or no canary)."""
    packages = discovery.installed()
    if case_type not in packages:
        return None
    found: ScreenSet | None = packages[case_type].screen_set()
    return found


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


def _change(s: ScreenResult) -> dict[str, Any]:
    return {"screen": s.screen, "title": s.title, "findings": list(s.findings)}
