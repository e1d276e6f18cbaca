"""The input of ``decide komvux``: one course choice in an application to Komvux.

The contract (:class:`KomvuxInput`) is strict: JSON types only (no "true" for true), dates
as ``YYYY-MM-DD``, unknown fields refused. Implausible values are input errors naming the
field (a birth date before 1900 or after today, a course that starts before the applicant
was born), never a decision.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from caserobot.exceptions import InputError

Level = Literal["grundlaggande", "gymnasial"]
LEVELS: tuple[str, ...] = ("grundlaggande", "gymnasial")

#: No applicant was born before this; an earlier date is a typing error.
EARLIEST_BIRTH = date(1900, 1, 1)
#: No one starts a course at this age or later; a later start is a typing error (and the
#: bound keeps date arithmetic on birth years far from year 9999).
MAX_AGE_AT_START = 130

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> Any:
    # JSON has no dates. Python 3.11's fromisoformat also reads "20260817" and "2026-W33-1";
    # the contract is YYYY-MM-DD only.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "iso_date", "is not a real date (expected YYYY-MM-DD)"
            ) from None
    raise PydanticCustomError("iso_date", "must be a date YYYY-MM-DD")


def _plausible_birth(value: date) -> date:
    if value < EARLIEST_BIRTH:
        raise PydanticCustomError("birth_date", f"must be on or after {EARLIEST_BIRTH.isoformat()}")
    if value > date.today():
        raise PydanticCustomError("birth_date", "must not be in the future")
    return value


def _level(value: Any) -> Any:
    if isinstance(value, str) and value in LEVELS:
        return value
    raise PydanticCustomError("level", 'must be "grundlaggande" or "gymnasial"')


def _municipality_text(value: Any) -> Any:
    # A name is printed in the reasons: one printable line (no control characters).
    if isinstance(value, str) and not value.isprintable():
        raise PydanticCustomError("municipality", "must be a printable name on one line")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Municipality = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    BeforeValidator(_municipality_text),
]


class KomvuxInput(BaseModel):
    """The facts of one course choice, as gathered by the robot."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    birth_date: Annotated[IsoDate, AfterValidator(_plausible_birth)] = Field(
        description="YYYY-MM-DD, from the personnummer or the population register"
    )
    registered_municipality: Municipality | None = Field(
        description="Where the applicant is folkbokförd (the home municipality); null only "
        "when not folkbokförd in Sweden (resident_in_sweden false): no home municipality"
    )
    deciding_municipality: Municipality = Field(
        description="The municipality that received the application and decides it"
    )
    resident_in_sweden: StrictBool = Field(
        description="Folkbokförd in Sweden (other ways of being bosatt need a person)"
    )
    level: Annotated[Level, BeforeValidator(_level)] = Field(
        description='"grundlaggande" or "gymnasial"'
    )
    course_start: IsoDate = Field(description="The course's first day, YYYY-MM-DD")
    lacks_knowledge: StrictBool = Field(
        description="The applicant lacks the knowledge the course aims to give"
    )
    completed_national_programme: StrictBool = Field(
        description="Has completed a national programme in gymnasieskolan or equivalent"
    )
    has_basic_eligibility: StrictBool = Field(
        description="Has basic eligibility for university or yrkeshögskolan"
    )
    seeks_specific_eligibility: StrictBool = Field(
        description="Seeks the course for specific eligibility (särskild behörighet)"
    )
    foreign_grades: StrictBool = Field(description="The applicant's grades are foreign")
    protected_identity: StrictBool

    @model_validator(mode="after")
    def _course_after_birth(self) -> KomvuxInput:
        if self.registered_municipality is None and self.resident_in_sweden:
            raise InputError(
                "registered_municipality", "required when resident_in_sweden is true"
            )
        if self.course_start < self.birth_date:
            raise InputError(
                "course_start",
                f"{self.course_start.isoformat()} is before birth_date "
                f"{self.birth_date.isoformat()}",
            )
        if self.course_start.year - self.birth_date.year > MAX_AGE_AT_START:
            raise InputError(
                "course_start",
                f"is more than {MAX_AGE_AT_START} years after birth_date "
                f"{self.birth_date.isoformat()}",
            )
        return self
