"""Applications from the e-service: validation into typed models.

Bad input never raises a traceback: each problem becomes a :class:`BusinessException`
with a specific reason code and the offending field, and the item goes to the exception
queue.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from caserobot.exceptions import BusinessException, ReasonCode
from caserobot.personnummer import InvalidPersonnummer, Personnummer

M = TypeVar("M", bound=BaseModel)

#: No e-service application was submitted before this; an earlier time is a broken value.
EARLIEST_SUBMISSION = datetime(2000, 1, 1, tzinfo=UTC)
#: How far the e-service's clock may run ahead of the robot's.
CLOCK_SKEW = timedelta(minutes=10)
#: Text fields longer than this are not an application's (names, addresses, ids).
MAX_TEXT = 200
#: A free text may be longer, but not without bound.
MAX_FREE_TEXT = 10_000


def parse_submitted_at(value: Any, now: datetime | None = None) -> datetime:
    """An application's submission time as aware UTC, or ValueError saying why not.

    It must be an ISO date-time with a UTC offset, not before 2000 and not later than
    ``now`` plus a small clock skew. Never raises anything but ValueError, whatever the
    value (a year 9999 or 0001 time with an offset overflows when converted).
    """
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("ska vara en tidpunkt ÅÅÅÅ-MM-DDTHH:MM:SS med tidszon")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("ska vara en tidpunkt ÅÅÅÅ-MM-DDTHH:MM:SS med tidszon") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("saknar tidszon (till exempel +01:00)")
    try:
        at = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("ligger utanför de tider som kan räknas med") from None
    if at < EARLIEST_SUBMISSION:
        raise ValueError(f"{at.date().isoformat()} är före år {EARLIEST_SUBMISSION.year}")
    if at > (now or datetime.now(UTC)) + CLOCK_SKEW:
        raise ValueError(f"{at.date().isoformat()} ligger i framtiden")
    return at


def check_submitted_at(raw: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """Validate ``submitted_at`` if present (the e-service always sets it).

    Raises:
        BusinessException: ``implausible_value`` naming the field ``submitted_at``.
    """
    if raw.get("submitted_at") is None:
        return None
    try:
        return parse_submitted_at(raw["submitted_at"], now)
    except ValueError as exc:
        raise BusinessException(
            ReasonCode.IMPLAUSIBLE_VALUE, f"inlämningstiden {exc}", field="submitted_at"
        ) from None


def validate(model: type[M], raw: Any) -> M:
    """A raw e-service application validated into a case type's model.

    Raises:
        BusinessException: it is no JSON object, nested too deep, or the first problem of
            its validation (naming the field), or an implausible ``submitted_at``.
    """
    if not isinstance(raw, dict):
        raise BusinessException(ReasonCode.INVALID_FIELD, "ansökan är inget JSON-objekt")
    try:
        app = model.model_validate(raw)
    except ValidationError as exc:
        raise validation_exception(exc) from None
    except RecursionError:
        raise BusinessException(
            ReasonCode.INVALID_FIELD, "ansökan är nästlad i för många nivåer"
        ) from None
    check_submitted_at(raw)
    return app


def validation_exception(exc: ValidationError) -> BusinessException:
    """The first problem of an application's validation as a BusinessException naming it."""
    err = exc.errors(include_url=False)[0]
    field = ".".join(str(p) for p in err["loc"]) or "ansökan"
    if len(field) > 120:
        field = field[:119] + "…"
    if err["type"] == "missing":
        return BusinessException(ReasonCode.MISSING_FIELD, "uppgift saknas i ansökan", field=field)
    if err["loc"] and err["loc"][-1] == "personnummer":
        return BusinessException(ReasonCode.INVALID_PERSONNUMMER, _message(err), field=field)
    if err["type"] in ("less_than_equal", "too_long", "string_too_long"):
        return BusinessException(ReasonCode.IMPLAUSIBLE_VALUE, _message(err), field=field)
    return BusinessException(ReasonCode.INVALID_FIELD, _message(err), field=field)


def _message(err: ErrorDetails) -> str:
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "less_than_equal":
        return f"värdet är orimligt stort (högst {ctx.get('le')})"
    if kind == "greater_than_equal":
        return (
            "värdet får inte vara negativt"
            if ctx.get("ge") == 0
            else (f"värdet ska vara minst {ctx.get('ge')}")
        )
    if kind in ("too_long", "string_too_long"):
        return "uppgiften är orimligt lång"
    text = str(err["msg"]).removeprefix("Value error, ")
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


class Person(BaseModel):
    model_config = ConfigDict(extra="ignore")
    personnummer: str = Field(max_length=40)
    name: str = Field(default="", max_length=MAX_TEXT)

    @field_validator("personnummer")
    @classmethod
    def _valid_pnr(cls, value: str) -> str:
        try:
            return Personnummer.parse(value).digits
        except InvalidPersonnummer as exc:
            raise ValueError(str(exc)) from exc


class PostalAddress(BaseModel):
    model_config = ConfigDict(extra="ignore")
    street: str = Field(min_length=1, max_length=MAX_TEXT)
    postal_code: str = Field(min_length=1, max_length=20)
    city: str = Field(default="", max_length=MAX_TEXT)

    @property
    def route_key(self) -> str:
        return f"{self.street}, {self.postal_code.replace(' ', '')}"
