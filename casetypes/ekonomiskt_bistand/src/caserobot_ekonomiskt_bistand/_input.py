"""The input of ``decide ekonomiskt_bistand``: one monthly försörjningsstöd application.

The contract is issue 3's; see :class:`EkonomisktBistandInput`. Cross-field problems
(no applicant, an income for a person who is not there, a child's work income typed as
salary) raise :class:`InputError` naming the field, as pydantic's own errors do.
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
    StrictInt,
    StrictStr,
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
#: No monthly amount of one household comes near this; above it the input is not a real
#: application (issue 13: `decide` granted 10^30 kr). Reasonable levels are rule data
#: (``cost_guideline`` in parameters.yaml); this bound is the contract's sanity limit.
MAX_KRONOR = 10_000_000
#: An asset's value may be larger than a month's amounts, but not without bound.
MAX_ASSET_KRONOR = 1_000_000_000
MAX_MEMBERS = 30
MAX_ITEMS = 50
MAX_MONTHS = 1200


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
        return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_KRONOR

    if ok(value):
        return value
    if (
        isinstance(value, dict)
        and len(value) <= MAX_MEMBERS
        and all(
            isinstance(k, str) and re.fullmatch(r"[0-9]{1,2}", k) and ok(v)
            for k, v in value.items()
        )
    ):
        return {int(k): v for k, v in value.items()}
    raise PydanticCustomError(
        "child_income",
        f"must be a whole number of kronor (0–{MAX_KRONOR}), or an object from household "
        "index to such kronor",
    )


EARLIEST_BIRTH = date(1890, 1, 1)


def _plausible_birth(value: date) -> date:
    if value < EARLIEST_BIRTH:
        raise PydanticCustomError("birth_date", f"must be on or after {EARLIEST_BIRTH.isoformat()}")
    return value


Kronor = Annotated[StrictInt, Field(ge=0, le=MAX_KRONOR, description="Whole kronor per month")]
ItemType = Annotated[StrictStr, Field(min_length=1, max_length=50, pattern=r"^[a-z_]+$")]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class Member(BaseModel):
    """A person in the household. ``partner`` is the applicant's sambo or spouse."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    role: Role
    birth_date: Annotated[IsoDate, AfterValidator(_plausible_birth)]
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

    person: Annotated[StrictInt, Field(ge=0, lt=MAX_MEMBERS, description="Index into household")]
    type: IncomeType
    amount: Kronor
    source: Literal["application", "register"] | None = None
    fetched_at: Annotated[datetime | None, BeforeValidator(_iso_datetime)] = None


class SpecialExpense(BaseModel):
    """One special expense applied for (livsföringen i övrigt), e.g. dental care."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    type: ItemType = Field(description="dental_care, glasses, furniture or another type")
    amount: Kronor = Field(description="Kronor applied for")


class Asset(BaseModel):
    """One asset declared, e.g. a bank balance or a car."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    type: ItemType = Field(description="bank_balance, car, securities or another type")
    value: Annotated[StrictInt, Field(ge=0, le=MAX_ASSET_KRONOR)] = Field(
        description="Value in kronor"
    )


class EkonomisktBistandInput(BaseModel):
    """The facts of one monthly application, as gathered by the robot."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    household: Annotated[list[Member], Field(min_length=1, max_length=MAX_MEMBERS)]
    costs: Costs
    incomes: Annotated[list[Income], Field(max_length=MAX_ITEMS)]
    consecutive_months_on_support: Annotated[StrictInt, Field(ge=0, le=MAX_MONTHS)] = Field(
        description="Months in a row with försörjningsstöd before the month applied for"
    )
    child_work_income_this_year: Annotated[int | dict[int, int], BeforeValidator(_ytd)] = Field(
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
    special_expense_items: Annotated[list[SpecialExpense], Field(max_length=MAX_ITEMS)] = Field(
        default_factory=list,
        description="The special expenses applied for, each checked against its guideline",
    )
    asset_items: Annotated[list[Asset], Field(max_length=MAX_ITEMS)] = Field(
        default_factory=list, description="The assets declared, each checked against its guideline"
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
        if self.special_expense_items and not self.special_expenses:
            raise InputError(
                "special_expenses", "must be true when special_expense_items are given"
            )
        if self.asset_items and not self.assets_declared:
            raise InputError("assets_declared", "must be true when asset_items are given")
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
