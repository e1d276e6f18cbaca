"""Komvux (kommunal vuxenutbildning): admission, course by course: a caserobot case type.

Installed, it is found through the entry point ``caserobot.case_types`` (this distribution's
pyproject.toml). It holds the rules (:mod:`.rules`, ``config/``) with the outcome
``selection`` (eligible, admitted through selection) beside granted and denied, and its
reason codes (:mod:`.reasons`). The robot is not written yet: ``handler``, ``robot``,
``demo``, ``caseworker`` and ``screens`` are None (rules only), so the core lists and
decides Komvux but runs no robot for it. The robot's handler will be
``caserobot_komvux.handler:KomvuxHandler``. The stand-ins of its legacy systems are the
subpackage :mod:`.standins` (entry point ``caserobot.standins``).
"""

from caserobot.discovery import CaseTypePackage
from caserobot_komvux.reasons import KomvuxReason
from caserobot_komvux.rules import CASE_TYPE

#: What the core finds through the entry point ``caserobot.case_types``.
PACKAGE = CaseTypePackage(
    name=CASE_TYPE.name,
    rules=CASE_TYPE,
    handler=None,  # rules only; the robot's "caserobot_komvux.handler:KomvuxHandler" is to come
    profile={
        "label": "Komvux",
        "unit": "Vuxenutbildning",
        # [U] Neither figure is sourced: Nacka's Komvux handling times were not found
        # (case-rules.md 2.6). Four weeks is the guide's sketch and well before a term's
        # start; 15 minutes is a caseworker's check of one course choice against the
        # registers and the grades. Override both in config/case_types.yaml.
        "sla_days": 28,
        "manual_minutes": 15,
    },
    application_labels={
        "applicant": "Sökande",
        "courses": "Sökta kurser",
        "foreign_grades_attached": "Utländska betyg bifogade",
        "free_text": "Övrigt från sökanden",
    },
    reasons=KomvuxReason,
    robot=None,
    demo=None,
    caseworker=None,
    screens=None,
)

__all__ = ["PACKAGE"]
