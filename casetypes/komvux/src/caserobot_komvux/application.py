"""The Komvux application as the e-service delivers it, and its split into course choices.

Nacka decides admission course by course (skollagen 20 kap.; case-rules.md 2.5), so the
intake makes each course choice its own work item (:func:`course_choices`): one choice can
be granted while another goes to a caseworker, and each decision is written once.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from caserobot.applications import MAX_FREE_TEXT, MAX_TEXT, Person, validate
from caserobot.exceptions import BusinessException, ReasonCode

Level = Literal["grundlaggande", "gymnasial"]
MAX_CHOICES = 10


class CourseChoice(BaseModel):
    """One course the applicant applies for, at one provider and start date."""

    model_config = ConfigDict(extra="ignore")
    priority: int = Field(ge=1, le=MAX_CHOICES)
    course_code: str = Field(min_length=1, max_length=20)
    course_name: str = Field(default="", max_length=MAX_TEXT)
    level: Level
    points: int = Field(ge=0, le=2000)
    provider_code: str = Field(min_length=1, max_length=20)
    provider_name: str = Field(default="", max_length=MAX_TEXT)
    start_date: date


class KomvuxApplication(BaseModel):
    """A Komvux application: the applicant and one or more course choices."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=100)
    applicant: Person
    course_choices: list[CourseChoice] = Field(min_length=1, max_length=MAX_CHOICES)
    foreign_grades_attached: bool = False
    free_text: str = Field(default="", max_length=MAX_FREE_TEXT)


def course_choices(application: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The work items of an application: one per course choice, keyed by its priority.

    Anything malformed here is left whole (one item), so the handler names the problem.
    """
    choices = application.get("course_choices")
    if not isinstance(choices, list):
        return []
    keyed = [
        (str(c.get("priority")), c) for c in choices if isinstance(c, dict) and c.get("priority")
    ]
    if len(keyed) != len(choices) or len({k for k, _ in keyed}) != len(keyed):
        return []  # a choice without a priority, or two with the same: not split
    return keyed


def parse_komvux(
    raw: dict[str, Any], part: dict[str, Any] | None
) -> tuple[KomvuxApplication, CourseChoice]:
    """Validate the application and the course choice this item decides.

    Raises:
        BusinessException: naming the field of the first problem.
    """
    app = validate(KomvuxApplication, raw)
    if part is None:
        if len(app.course_choices) != 1:  # the intake did not split it: priorities unusable
            raise BusinessException(
                ReasonCode.INVALID_FIELD,
                "kursvalen saknar unika prioriteter; ansökan kan inte delas upp per kurs",
                field="course_choices",
            )
        return app, app.course_choices[0]
    choice = validate(CourseChoice, part)
    if choice not in app.course_choices:
        raise BusinessException(
            ReasonCode.INVALID_FIELD,
            f"kursvalet {choice.course_code} finns inte längre i ansökan",
            field="course_choices",
        )
    return app, choice
