"""Amounts on a decision: a means test, norm + reasonable costs − counted income.

A case type that calculates an amount (a means test) builds a :class:`Calculation`
from :class:`CalculationLine` s and hands it to :meth:`Evaluation.record_calculation`;
the decision then carries ``amount``, ``norm``, ``reasonable_costs``, ``counted_income``
and the lines, and the motivering shows the calculation. All figures are whole kronor:
each line is rounded by the case type, so the sums shown always add up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Part = Literal["norm", "cost", "income"]

_HEADINGS: dict[Part, tuple[str, str]] = {
    "norm": ("Norm", "Summa norm"),
    "cost": ("Skäliga kostnader", "Summa skäliga kostnader"),
    "income": ("Inkomster", "Summa inkomster som räknas"),
}


def kronor(value: int) -> str:
    """``12 345 kr``: whole kronor with a space as thousands separator."""
    sign = "−" if value < 0 else ""
    return f"{sign}{abs(value):,}".replace(",", " ") + " kr"


class CalculationLine(BaseModel):
    """One line of the calculation: a norm item, a cost or an income."""

    model_config = ConfigDict(frozen=True)

    part: Part
    item: str = Field(description="Machine key, e.g. 'adult_single', 'rent', 'salary_net'")
    label: str = Field(description="Swedish text for the decision form")
    persons: list[int] = Field(
        default_factory=list, description="Indexes into the input's household, if personal"
    )
    amount: int = Field(description="As declared, or the table value; whole kronor")
    counted: int = Field(description="What enters the sum, after caps and disregards")
    note: str | None = Field(default=None, description="Why counted differs from amount")
    source: str | None = Field(default=None, description="application | register, if known")
    fetched_at: datetime | None = None


class Calculation(BaseModel):
    """The lines of a means test and their sums. ``amount`` is never negative."""

    model_config = ConfigDict(frozen=True)

    lines: list[CalculationLine]

    def total(self, part: Part) -> int:
        return sum(line.counted for line in self.lines if line.part == part)

    @property
    def norm(self) -> int:
        return self.total("norm")

    @property
    def reasonable_costs(self) -> int:
        return self.total("cost")

    @property
    def counted_income(self) -> int:
        return self.total("income")

    @property
    def need(self) -> int:
        """Norm plus reasonable costs."""
        return self.norm + self.reasonable_costs

    @property
    def amount(self) -> int:
        return max(0, self.need - self.counted_income)


def render_calculation(calculation: Calculation) -> list[str]:
    """The calculation as lines of Swedish text for the motivering."""
    out = ["Beräkning (kronor per månad):"]
    for part, (heading, total) in _HEADINGS.items():
        lines = [line for line in calculation.lines if line.part == part]
        out.append(f"{heading}:")
        if not lines:
            out.append("- inga")
        for line in lines:
            text = f"- {line.label}: {kronor(line.amount)}"
            if line.counted != line.amount:
                text += f", varav {kronor(line.counted)} räknas"
            if line.note:
                text += f" ({line.note})"
            out.append(text)
        out.append(f"{total}: {kronor(calculation.total(part))}")
    need, income = calculation.need, calculation.counted_income
    out.append(
        f"Norm och skäliga kostnader {kronor(need)} minus inkomster {kronor(income)} = "
        f"{kronor(need - income)}."
    )
    return out
