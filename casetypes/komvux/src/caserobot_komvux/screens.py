"""The case-system screens the Komvux robot uses, for the UI-drift canary.

[U] The school register's screens are not watched yet: the canary knows the case system
only (a changed register screen is still caught item by item, as UnexpectedScreen).
"""

from __future__ import annotations

from typing import Any

from caserobot.legacy.casesystem import pages
from caserobot.legacy.casesystem.screens import ScreenSet

CASE_TYPE = "komvux"


def _discover_cases(html: str, pnr: str) -> dict[str, Any]:
    return {
        "case_ids": [c.case_id for c in pages.parse_case_search(html) if c.case_type == CASE_TYPE]
    }


SCREEN_SET = ScreenSet(
    CASE_TYPE,
    (pages.CASE_SEARCH, pages.CASE, pages.NEW_CASE, pages.DECISION),
    ("application", "applicant", "personnummer"),
    _discover_cases,
)
