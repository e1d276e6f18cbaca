"""What a robot reading the Komvux stand-ins must conclude for one course choice.

Written from the stand-ins' own model of each applicant (``caserobot_komvux.standins``), not
from the robot's code, so a robot that reads a screen wrong disagrees with it
(case-rules.md section 2; the mix in ``caserobot_komvux.standins.mix``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from caserobot_komvux.standins.catalogue import COURSES
from caserobot_komvux.standins.people import KomvuxWorld
from standins import pnr


def choice_outcome(app: dict[str, Any], choice: dict[str, Any], kw: KomvuxWorld) -> str:
    """``refer``, or the case system's ``utfall`` (``bifall``, ``avslag``, ``urval``)."""
    a = kw.applicants[pnr.normalize(app["applicant"]["personnummer"])]
    if (
        a.person.protected
        or not a.resident
        or app["foreign_grades_attached"]
        or a.person.address.municipality != "0182"
    ):
        return "refer"
    start, birth = date.fromisoformat(choice["start_date"]), a.person.birth_date
    adult = start >= date(birth.year + 20, 7, 1)
    course = COURSES[choice["course_code"]]
    programme = any(
        p.completed and p.school_form == "Gymnasieskola" for p in a.records.programmes
    )
    if course.level == "grundlaggande":
        lacks = not a.records.passed_subject(course.subject)
        return "refer" if not adult else "bifall" if lacks else "avslag"
    if not adult and not programme:
        return "refer"
    if a.records.passed_step(course.code):  # passed, or one giving the same knowledge
        return "avslag"
    return "bifall" if course.qualifying else "urval"


def application_outcome(app: dict[str, Any], kw: KomvuxWorld) -> str:
    """The one outcome every course choice of a generated application is built for."""
    results = {choice_outcome(app, c, kw) for c in app["course_choices"]}
    assert len(results) == 1, (app, results)
    return results.pop()
