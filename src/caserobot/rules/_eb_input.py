"""The input of ``decide ekonomiskt_bistand``: one monthly försörjningsstöd application.

The contract is issue 3's; see :class:`EkonomisktBistandInput`. Cross-field problems
(no applicant, an income for a person who is not there, a child's work income typed as
salary) raise :class:`InputError` naming the field, as pydantic's own errors do.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)
from pydantic_core import PydanticCustomError

from caserobot.exceptions import InputError

Role = Literal["applicant", "partner", "child", "other_adult"]
IncomeType = Literal[
    "salary_net",
    "a_kassa",
    "aktivitetsstod",
    "etableringsersattning",
    "sjukpenning",
    "foraldrapenning",
    "sjuk_aktivitetsersattning",
    "pension",
    "bostadsbidrag",
    "barnbidrag",
    "flerbarnstillagg",
    "studiebidrag",
    "underhallsstod",
    "csn",
    "child_work_income",
    "other",
]
COST_ITEMS = (
    "rent",
    "household_electricity",
    "home_insurance",
    "work_travel",
    "union_fee",
    "a_kassa_fee",
)


def _iso_date(value: Any) -> Any:
    # JSON has no dates; accept "YYYY-MM-DD" only (not numbers read as timestamps).
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("iso_date", "must be a date YYYY-MM-DD")


def _iso_datetime(value: Any) -> Any:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("iso_datetime", "must be a date-time YYYY-MM-DDTHH:MM:SS")


def _ytd(value: Any) -> Any:
    # An integer (one working child) or {"<household index>": kr}; bool is an int in Python.
    def ok(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if ok(value):
        return value
    if isinstance(value, dict) and all(
        isinstance(k, str) and k.isdigit() and ok(v) for k, v in value.items()
    ):
        return {int(k): v for k, v in value.items()}
    raise PydanticCustomError(
        "child_income",
        "must be a whole number of kronor, or an object from household index to kronor",
    )


Kronor = Annotated[StrictInt, Field(ge=0, description="Whole kronor per month")]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class Member(BaseModel):
    """A person in the household. ``partner`` is the applicant's sambo or spouse."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    role: Role
    birth_date: IsoDate
    in_school: StrictBool = Field(
        default=False, description="Grundskola, gymnasieskola or comparable (children 18–20)"
    )


class Costs(BaseModel):
    """Costs on top of the norm, kr/month; only those declared."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    rent: Kronor = 0
    household_electricity: Kronor = 0
    home_insurance: Kronor = 0
    work_travel: Kronor = 0
    union_fee: Kronor = 0
    a_kassa_fee: Kronor = 0

    def declared(self) -> dict[str, int]:
        """The items the application stated, in the contract's order."""
        return {k: getattr(self, k) for k in COST_ITEMS if k in self.model_fields_set}


class Income(BaseModel):
    """One income of one person this month, net of tax."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    person: Annotated[StrictInt, Field(ge=0, description="Index into household")]
    type: IncomeType
    amount: Kronor
    source: Literal["application", "register"] | None = None
    fetched_at: Annotated[datetime | None, BeforeValidator(_iso_datetime)] = None


class EkonomisktBistandInput(BaseModel):
    """The facts of one monthly application, as gathered by the robot."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    household: Annotated[list[Member], Field(min_length=1)]
    costs: Costs
    incomes: list[Income]
    consecutive_months_on_support: Annotated[StrictInt, Field(ge=0)] = Field(
        description="Months in a row with försörjningsstöd before the month applied for"
    )
    child_work_income_this_year: Annotated[
        int | dict[int, int], BeforeValidator(_ytd)
    ] = Field(
        default=0,
        description="Children's work income this calendar year, this month included: kronor, "
        "or per child {household index: kronor} when several children work",
    )
    rent_cap: Kronor | None = Field(description="The municipality's cap for the household type")
    first_application: StrictBool
    active_labour_market_plan: StrictBool
    register_matches_declared: StrictBool
    changed_since_previous: StrictBool
    special_expenses: StrictBool
    assets_declared: StrictBool
    protected_identity: StrictBool
    health_data_decisive: StrictBool
    samordningsnummer: StrictBool = Field(
        default=False, description="The applicant has a samordningsnummer, not a personnummer"
    )
    registered_in_municipality: StrictBool = Field(
        default=True, description="The applicant is folkbokförd in the municipality"
    )

    @model_validator(mode="after")
    def _consistent(self) -> EkonomisktBistandInput:
        roles = [m.role for m in self.household]
        if roles.count("applicant") != 1:
            raise InputError("household", "must have exactly one member with role applicant")
        if roles.count("partner") > 1:
            raise InputError("household", "must have at most one member with role partner")
        for i, income in enumerate(self.incomes):
            if income.person >= len(self.household):
                raise InputError(
                    f"incomes.{i}.person",
                    f"no household member {income.person} (the household has "
                    f"{len(self.household)}, numbered from 0)",
                )
            role = self.household[income.person].role
            if income.type == "child_work_income" and role != "child":
                raise InputError(
                    f"incomes.{i}.type",
                    f"child_work_income is for a member with role child, not {role}",
                )
            if income.type == "salary_net" and role == "child":
                raise InputError(
                    f"incomes.{i}.type", "a child's income from work is child_work_income"
                )
        self._check_child_ytd()
        return self

    def _check_child_ytd(self) -> None:
        field = "child_work_income_this_year"
        month = self.child_work_income_this_month()
        ytd = self.child_work_income_ytd()
        if isinstance(self.child_work_income_this_year, int) and len(month) > 1:
            raise InputError(
                field,
                "several children have work income this month: give an object from household "
                'index to kronor, e.g. {"2": 12000, "3": 4000}',
            )
        if isinstance(self.child_work_income_this_year, dict):
            for index in ytd:
                if index >= len(self.household) or self.household[index].role != "child":
                    raise InputError(
                        f"{field}.{index}", "is not a household member with role child"
                    )
        for index, this_month in month.items():
            if index not in ytd:
                raise InputError(f"{field}.{index}", "required: this child has work income")
            if ytd[index] < this_month:
                raise InputError(
                    field
                    if isinstance(self.child_work_income_this_year, int)
                    else f"{field}.{index}",
                    f"{ytd[index]} kr is less than this month's child_work_income "
                    f"({this_month} kr); the year's total must include this month",
                )

    def child_work_income_this_month(self) -> dict[int, int]:
        """This month's child_work_income per child (household index)."""
        month: dict[int, int] = {}
        for income in self.incomes:
            if income.type == "child_work_income":
                month[income.person] = month.get(income.person, 0) + income.amount
        return month

    def child_work_income_ytd(self) -> dict[int, int]:
        """The year's child work income per child, this month included."""
        ytd = self.child_work_income_this_year
        if isinstance(ytd, dict):
            return dict(ytd)
        month = self.child_work_income_this_month()
        return {next(iter(month)): ytd} if month else {}
