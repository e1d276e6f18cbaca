"""Ekonomiskt bistånd (monthly försörjningsstöd), Trelleborg's model: a caserobot case type.

Installed, it is found through the entry point ``caserobot.case_types`` (this distribution's
pyproject.toml). It holds the rules (:mod:`.rules` and its calculation, ``config/``), the
social-services screens of the case system (:mod:`.pages`, :mod:`.screens`), the robot's
handler (household, previous decisions, plan, rent caps, population and income registers;
the decision and a grant's payment order written back), the robot (``robot/``) and its
Prefect flow (:mod:`.flow`), the caseworker's write-back and the screens the canary watches.
"""

from pathlib import Path

from caserobot.discovery import CaseTypePackage, Demo
from caserobot_ekonomiskt_bistand.reasons import BistandReason
from caserobot_ekonomiskt_bistand.rules import CASE_TYPE

#: What the core finds through the entry point ``caserobot.case_types``.
PACKAGE = CaseTypePackage(
    name=CASE_TYPE.name,
    rules=CASE_TYPE,
    handler="caserobot_ekonomiskt_bistand.handler:EkonomisktBistandProcess",
    profile={
        "label": "Ekonomiskt bistånd (försörjningsstöd)",
        "unit": "Försörjningsstöd",
        "sla_days": 7,  # Trelleborg: decided within 7-10 days manually, next day by robot
        "manual_minutes": 40,
    },
    decides_amount=True,
    caseworker="caserobot_ekonomiskt_bistand.caseworker:write_action",
    screens="caserobot_ekonomiskt_bistand.pages:SCREEN_SET",
    application_labels={
        "month": "Ansökt månad",
        "first_application": "Första ansökan",
        "applicant": "Sökande",
        "address": "Adress",
        "household": "Hushållet",
        "incomes": "Inkomster",
        "costs": "Kostnader",
        "special_expenses": "Särskilda utgifter",
        "assets": "Tillgångar",
        "medical_certificate_attached": "Läkarintyg bifogat",
        "payout_account": "Konto för utbetalning",
        "free_text": "Övrigt från sökanden",
    },
    reasons=BistandReason,
    robot=Path(__file__).parent / "robot",
    demo=Demo(
        noun="ansökningar om ekonomiskt bistånd",
        applications=150,
        seconds_apart=500,  # the stand-in e-service spaces them 30–900 s apart
        caseworker=("fsstod", "Frida Socialsekreterare"),
        as_of=False,  # decided for the month applied for (the stand-ins' scenario month)
    ),
)

__all__ = ["PACKAGE"]
