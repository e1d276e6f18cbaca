"""The skolskjuts application as the e-service delivers it, validated before anything else."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from caserobot.applications import (
    MAX_FREE_TEXT,
    MAX_TEXT,
    Person,
    PostalAddress,
    validate,
)
from caserobot.exceptions import BusinessException, ReasonCode
from caserobot_skolskjuts.reasons import SkolskjutsReason

MAX_PLAUSIBLE_DISTANCE_M = 100_000
GRADES = ("F", "1", "2", "3", "4", "5", "6", "7", "8", "9")


class SchoolRef(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(default="", max_length=MAX_TEXT)
    unit_code: str = Field(min_length=1, max_length=40)



class SkolskjutsApplication(BaseModel):
    """A school-transport application as the e-service delivers it."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=100)
    applicant: Person
    child: Person
    school: SchoolRef
    grade: str
    addresses: list[PostalAddress] = Field(min_length=1, max_length=2)
    alternating_residence: bool = False
    medical_certificate_attached: bool = False
    traffic_danger_claimed: bool = False
    taxi_requested: bool = False
    free_text: str = Field(default="", max_length=MAX_FREE_TEXT)
    declared_distance_m: int | None = None

    @field_validator("grade", mode="before")
    @classmethod
    def _grade(cls, value: Any) -> str:
        text = str(value).strip().upper() if value is not None else ""
        if text not in GRADES:
            raise ValueError(f"årskurs '{value}' finns inte (F eller 1–9)")
        return text


def parse_skolskjuts(raw: dict[str, Any]) -> SkolskjutsApplication:
    """Validate a raw application; raise a specific BusinessException on the first problem."""
    app = validate(SkolskjutsApplication, raw)
    d = app.declared_distance_m
    if d is not None and not 0 <= d <= MAX_PLAUSIBLE_DISTANCE_M:
        raise BusinessException(
            SkolskjutsReason.ABSURD_DISTANCE,
            f"angivet avstånd är orimligt (0–{MAX_PLAUSIBLE_DISTANCE_M} m)",
            field="declared_distance_m",
        )
    if app.alternating_residence and len(app.addresses) < 2:
        raise BusinessException(
            ReasonCode.MISSING_FIELD,
            "växelvis boende angivet men bara en adress",
            field="addresses",
        )
    return app
