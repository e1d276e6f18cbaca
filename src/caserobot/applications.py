"""Applications from the e-service: validation into typed models.

Bad input never raises a traceback: each problem becomes a :class:`BusinessException`
with a specific reason code and the offending field, and the item goes to the exception
queue.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from caserobot.exceptions import BusinessException, ReasonCode
from caserobot.personnummer import InvalidPersonnummer, Personnummer

MAX_PLAUSIBLE_DISTANCE_M = 100_000
GRADES = ("F", "1", "2", "3", "4", "5", "6", "7", "8", "9")


class Person(BaseModel):
    model_config = ConfigDict(extra="ignore")
    personnummer: str
    name: str = ""

    @field_validator("personnummer")
    @classmethod
    def _valid_pnr(cls, value: str) -> str:
        try:
            return Personnummer.parse(value).digits
        except InvalidPersonnummer as exc:
            raise ValueError(str(exc)) from exc


class SchoolRef(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = ""
    unit_code: str = Field(min_length=1)


class PostalAddress(BaseModel):
    model_config = ConfigDict(extra="ignore")
    street: str = Field(min_length=1)
    postal_code: str = Field(min_length=1)
    city: str = ""

    @property
    def route_key(self) -> str:
        return f"{self.street}, {self.postal_code.replace(' ', '')}"


class SkolskjutsApplication(BaseModel):
    """A school-transport application as the e-service delivers it."""

    model_config = ConfigDict(extra="ignore")
    id: str
    applicant: Person
    child: Person
    school: SchoolRef
    grade: str
    addresses: list[PostalAddress] = Field(min_length=1, max_length=2)
    alternating_residence: bool = False
    medical_certificate_attached: bool = False
    traffic_danger_claimed: bool = False
    taxi_requested: bool = False
    free_text: str = ""
    declared_distance_m: int | None = None

    @field_validator("grade", mode="before")
    @classmethod
    def _grade(cls, value: Any) -> str:
        text = str(value).strip().upper() if value is not None else ""
        if text not in GRADES:
            raise ValueError(f"årskurs '{value}' finns inte (F eller 1–9)")
        return text


_PNR_FIELDS = {"personnummer"}


def parse_skolskjuts(raw: dict[str, Any]) -> SkolskjutsApplication:
    """Validate a raw application; raise a specific BusinessException on the first problem."""
    try:
        app = SkolskjutsApplication.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        if err["type"] == "missing":
            raise BusinessException(
                ReasonCode.MISSING_FIELD, "uppgift saknas i ansökan", field=field
            ) from None
        if err["loc"] and err["loc"][-1] in _PNR_FIELDS:
            raise BusinessException(
                ReasonCode.INVALID_PERSONNUMMER,
                err["msg"].removeprefix("Value error, "),
                field=field,
            ) from None
        raise BusinessException(
            ReasonCode.INVALID_FIELD, err["msg"].removeprefix("Value error, "), field=field
        ) from None
    d = app.declared_distance_m
    if d is not None and not 0 <= d <= MAX_PLAUSIBLE_DISTANCE_M:
        raise BusinessException(
            ReasonCode.ABSURD_DISTANCE,
            f"angivet avstånd {d} m är orimligt (0–{MAX_PLAUSIBLE_DISTANCE_M} m)",
            field="declared_distance_m",
        )
    if app.alternating_residence and len(app.addresses) < 2:
        raise BusinessException(
            ReasonCode.MISSING_FIELD,
            "växelvis boende angivet men bara en adress",
            field="addresses",
        )
    return app
