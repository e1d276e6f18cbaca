"""The case-system screens the skolskjuts robot uses, for the UI-drift canary."""

from __future__ import annotations

from typing import Any

from caserobot.legacy.casesystem import pages
from caserobot.legacy.casesystem.screens import ScreenSet

CASE_TYPE = "skolskjuts"


def _discover_pupil(html: str, pnr: str) -> dict[str, Any]:
    pupil = pages.parse_pupil(html, pnr)
    cases = [c.case_id for c in pupil.cases if c.case_type == CASE_TYPE] if pupil else []
    return {"case_ids": cases}


SCREEN_SET = ScreenSet(
    CASE_TYPE, pages.SCREENS, ("application", "child", "personnummer"), _discover_pupil
)
