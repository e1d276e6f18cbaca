"""Skolskjuts (SL-terminsbiljett) in förskoleklass and grundskola: a caserobot case type.

Installed, it is found through the entry point ``caserobot.case_types`` (this distribution's
pyproject.toml). It holds the rules (:mod:`.rules`, ``config/``), the application model, the
robot's handler (facts from the case system, the population register and the route service;
the decision written back), the robot (``robot/``) and its Prefect flow (:mod:`.flow`), the
caseworker's write-back and the screens the canary watches.
"""

from pathlib import Path

from caserobot.discovery import CaseTypePackage, Demo
from caserobot_skolskjuts.reasons import SkolskjutsReason
from caserobot_skolskjuts.rules import CASE_TYPE

#: What the core finds through the entry point ``caserobot.case_types``.
PACKAGE = CaseTypePackage(
    name=CASE_TYPE.name,
    rules=CASE_TYPE,
    handler="caserobot_skolskjuts.handler:SkolskjutsProcess",
    profile={
        "label": "Skolskjuts",
        "unit": "Skolskjuts",
        "sla_days": 21,  # Nacka's target: a decision within three weeks of the application
        "manual_minutes": 25,
    },
    caseworker="caserobot_skolskjuts.caseworker:write_action",
    screens="caserobot_skolskjuts.screens:SCREEN_SET",
    application_labels={
        "applicant": "Sökande (vårdnadshavare)",
        "child": "Elev",
        "school": "Skola",
        "grade": "Årskurs",
        "addresses": "Adresser",
        "alternating_residence": "Växelvis boende",
        "medical_certificate_attached": "Läkarintyg bifogat",
        "traffic_danger_claimed": "Trafikfarlig väg anges",
        "taxi_requested": "Taxi begärs",
        "free_text": "Övrigt från sökanden",
        "declared_distance_m": "Uppgivet gångavstånd (m)",
    },
    reasons=SkolskjutsReason,
    robot=Path(__file__).parent / "robot",
    demo=Demo(
        noun="skolskjutsansökningar",
        applications=200,
        seconds_apart=1000,  # the stand-in e-service spaces them 60–1800 s apart
        caseworker=("skolskjuts", "Sam Skolskjutshandläggare"),
    ),
)

__all__ = ["PACKAGE"]
