"""Ekonomiskt bistånd: the lines of the calculation (norm, costs, incomes), pure functions.

The rules in :mod:`caserobot_ekonomiskt_bistand.rules` pass in the figures they read (or
a ``param(name, key)`` lookup, so the trace records exactly the table entries used) and
get back plain dicts shaped like :class:`~caserobot.rules._calculation.CalculationLine`.
Every line is in whole kronor (:func:`whole_kronor`), so the sums always add up.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from caserobot.rules import kronor
from caserobot_ekonomiskt_bistand._household import (
    COST_LABELS,
    IN_HOUSEHOLD,
    INCOME_LABELS,
    band_text,
    whole_kronor,
)

Line = dict[str, Any]
Lookup = Callable[[str, str], int]

INCOME_TREATMENTS = ("counted", "employment", "child_work")


def line(
    part: str,
    item: str,
    label: str,
    amount: int,
    counted: int | None = None,
    *,
    persons: list[int] | None = None,
    note: str | None = None,
    **extra: Any,
) -> Line:
    return {
        "part": part,
        "item": item,
        "label": label,
        "persons": persons or [],
        "amount": amount,
        "counted": amount if counted is None else counted,
        "note": note,
        **extra,
    }


def personal_lines(members: list[dict[str, Any]], param: Lookup) -> list[Line]:
    """Personal costs: the adults (single, or sambor together), then each child by band."""
    adults = [m for m in members if m["category"] in ("applicant", "partner")]
    persons = [m["index"] for m in adults]
    if len(adults) == 2:
        label, kind = "Personliga kostnader, sökanden och sambon (sambor)", "couple"
    else:
        label, kind = "Personliga kostnader, sökanden (ensamstående)", "single"
    lines = [line("norm", f"adult_{kind}", label, param("riksnorm_adult", kind), persons=persons)]
    for m in members:
        if m["category"] == "child":
            lines.append(
                line(
                    "norm",
                    f"child_{m['band']}",
                    f"Personliga kostnader, {m['label']}, åldersgrupp {band_text(m['band'])}",
                    param("riksnorm_child", m["band"]),
                    persons=[m["index"]],
                )
            )
    return lines


def shared_line(household_size: int, in_household: int, param: Lookup) -> Line:
    """Shared costs of everyone in the dwelling, and the applicant's household's share.

    Beyond 7 members each extra one adds (7 − 6); an adult who is not a sambo, or a
    household sharing with such adults, gets cost ÷ members × its own members.
    """
    n, f = household_size, in_household
    notes = []
    if n <= 7:
        cost = param("riksnorm_shared", str(n))
    else:
        seven, six = param("riksnorm_shared", "7"), param("riksnorm_shared", "6")
        cost = seven + (n - 7) * (seven - six)
        notes.append(f"7 personer {kronor(seven)} + {n - 7} × {kronor(seven - six)}")
    share = whole_kronor(Fraction(cost * f, n))
    if f < n:
        notes.append(f"sökandens hushåll är {f} av {n} personer: {kronor(cost)} / {n} × {f}")
    people = "1 person" if n == 1 else f"{n} personer"
    label = f"Gemensamma hushållskostnader, {people}"
    return line("norm", "shared", label, cost, share, note="; ".join(notes) or None)


def cost_lines(
    costs: dict[str, int], rent_cap: int | None, ceilings: dict[str, int] | None = None
) -> list[Line]:
    """Declared costs at their actual amount, but at most the municipality's level.

    Rent is capped by the case system's rent cap for the household type; any item (rent
    too when there is no cap) by its guideline level in ``ceilings``. Above either, the
    counted amount is the level: that is the recommendation a caseworker then reviews.
    """
    ceilings = ceilings or {}
    lines = []
    for item, amount in costs.items():
        counted, note = amount, None
        if item == "rent" and rent_cap is not None and amount > rent_cap:
            counted, note = rent_cap, f"kommunens tak för hushållet är {kronor(rent_cap)}"
        elif item in ceilings and amount > ceilings[item]:
            counted = ceilings[item]
            note = f"kommunens riktvärde för hushållet är {kronor(ceilings[item])}"
        lines.append(line("cost", item, COST_LABELS[item], amount, counted, note=note))
    return lines


def above_guideline(amounts: dict[str, int], ceilings: dict[str, int]) -> dict[str, int]:
    """The items whose amount is above their level, in the order given."""
    return {k: v for k, v in amounts.items() if k in ceilings and v > ceilings[k]}


def jobbstimulans_status(months_on_support: int, qualifying: int, duration: int) -> dict[str, Any]:
    """Whether the special rule applies, reading months in a row as a repeating cycle.

    ``qualifying`` months in a row start it; it lasts ``duration`` months; then the
    qualifying months must be met anew: active when ``c mod (q + d) ≥ q``.
    """
    c, q, d = months_on_support, qualifying, duration
    phase = c % (q + d)
    active = phase >= q
    had = f"Hushållet har haft försörjningsstöd {c} månader i följd"
    if active:
        reason = f"{had}. Jobbstimulans gäller (månad {phase - q + 1} av {d})."
    elif c < q + d:
        reason = f"{had}. Jobbstimulans gäller först efter {q} månader i följd."
    else:
        reason = (
            f"{had}. Jobbstimulansens {d} månader har gått; den gäller igen efter "
            f"{q} nya månader i följd ({q - phase} månader kvar)."
        )
    return {"active": active, "reason": reason}


def child_counted(this_month: dict[str, int], this_year: dict[str, int], allowance: int) -> dict:
    """Per child, the part of this month's work income above the year's allowance."""
    return {
        child: min(month, max(0, this_year[child] - allowance))
        for child, month in this_month.items()
    }


def income_lines(
    incomes: list[dict[str, Any]],
    members: list[dict[str, Any]],
    treatment: dict[str, str],
    jobbstimulans_percent: int | None,
    child: dict[str, Any] | None,
) -> list[Line]:
    """Each income with what counts of it.

    Args:
        incomes: The input's incomes (JSON form).
        members: :func:`~caserobot_ekonomiskt_bistand._household.classify`'s result.
        treatment: Income type → counted | employment | child_work (``income_treatment``).
        jobbstimulans_percent: The share of employment income disregarded, or None.
        child: ``{"allowance": kr, "counted": {child index: kr}}`` if children work.
    """
    # The part above the allowance is the last earned: count it on a child's last lines.
    left = dict(child["counted"]) if child else {}
    counted_child: dict[int, int] = {}
    for i in reversed(range(len(incomes))):
        if incomes[i]["type"] == "child_work_income":
            key = str(incomes[i]["person"])
            counted_child[i] = min(incomes[i]["amount"], left.get(key, 0))
            left[key] = left.get(key, 0) - counted_child[i]
    lines = []
    for i, income in enumerate(incomes):
        kind, amount, member = income["type"], income["amount"], members[income["person"]]
        how = treatment[kind]
        counted, note = amount, None
        if member["category"] not in IN_HOUSEHOLD:
            counted, note = 0, "räknas inte: personen ingår inte i sökandens hushåll"
        elif how == "employment" and jobbstimulans_percent:
            counted = amount - whole_kronor(Fraction(amount * jobbstimulans_percent, 100))
            note = f"jobbstimulans: {jobbstimulans_percent} % räknas inte"
        elif how == "child_work" and child:
            counted = counted_child[i]
            note = f"räknas inte upp till ett prisbasbelopp, {kronor(child['allowance'])} per år"
        lines.append(
            line(
                "income",
                kind,
                f"{INCOME_LABELS[kind]}, {member['label']}",
                amount,
                counted,
                persons=[income["person"]],
                note=note,
                source=income.get("source"),
                fetched_at=income.get("fetched_at"),
            )
        )
    return lines
