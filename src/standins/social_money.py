"""Money in the synthetic social-services world: norm bounds, benefit amounts, rent caps.

The stand-ins' own rough copy of the riksnorm (the 2023 table and the derived 2026 table of
../shared/domain/case-rules.md 1.2-1.3), used only to build households whose outcome is clear
whatever table, age date or reading of the "other adult" rule a platform uses: a household
meant to be granted stays granted under the *lowest* plausible norm, one meant to be refused
stays refused under the *highest*. It is not a rule set and the platform must not copy it.
"""

from __future__ import annotations

from datetime import date

BANDS = (0, 1, 3, 4, 7, 11, 15, 19)
"""Lower age of each child band: <1, 1-2, 3, 4-6, 7-10, 11-14, 15-18, 19-20."""
TABLES: dict[int, dict[str, tuple[int, ...]]] = {
    2023: {"child": (2420, 2700, 2410, 2700, 3380, 3890, 4390, 4430), "single": (3490,),
           "couple": (6300,), "shared": (1130, 1250, 1580, 1790, 2060, 2330, 2510),
           "extra": (180,)},
    2026: {"child": (2730, 3050, 2720, 3050, 3810, 4390, 4950, 5000), "single": (3940,),
           "couple": (7100,), "shared": (1280, 1410, 1780, 2020, 2320, 2630, 2830),
           "extra": (200,)},
}
AGE_DATES = (date(2026, 11, 16), date(2026, 12, 31))
"""Ages may be taken on any day from the first submission to the end of the month applied for."""
MARGIN = 1000
"""Kronor by which a clear grant (or refusal) clears the bound that could flip it."""

BARNBIDRAG = 1250
STUDIEBIDRAG = 1250
FLERBARNSTILLAGG = {2: 150, 3: 730, 4: 1740, 5: 2990, 6: 4240}
PRISBASBELOPP_2026 = 59200

# rent caps (kr/month), Nacka-like, in force from 2026-01-01: (adults, children) with adults
# 3 meaning "3 or more" and children 4 meaning "4 or more"
RENT_CAPS_FROM = "2026-01-01"
_CAP_ADULTS = {1: 7600, 2: 8700, 3: 9900}
_CAP_CHILDREN = {0: 0, 1: 1400, 2: 2600, 3: 3700, 4: 4700}
RENT_CAPS = {(a, c): _CAP_ADULTS[a] + _CAP_CHILDREN[c] for a in _CAP_ADULTS for c in _CAP_CHILDREN}


def rent_cap(adults: int, children: int) -> int:
    return RENT_CAPS[min(adults, 3), min(children, 4)]


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def underhallsstod(age: int) -> int:
    return 1673 if age <= 6 else 1823 if age <= 10 else 2223 if age <= 14 else 2373


def net_of_tax(gross: int) -> int:
    """Net pay after a flat 30 % preliminary tax (the stand-in's simplification)."""
    return round(gross * 0.70)


def gross_for(net: int) -> int:
    return round(net / 0.70)


def _child_cost(table: dict[str, tuple[int, ...]], age: int) -> int:
    band = max(i for i, lower in enumerate(BANDS) if lower <= age)
    return table["child"][band]


def _shared(table: dict[str, tuple[int, ...]], n: int) -> int:
    shared = table["shared"]
    return shared[n - 1] if n <= 7 else shared[6] + (n - 7) * table["extra"][0]


def norm(members: list[tuple[str, date]], year: int, day: date, others: str) -> int:
    """Riksnorm of (role, birth date) members: personal costs plus the shared costs.

    ``others`` reads the rule for adults who share the household without being sambor:
    ``"single"`` counts each as a single adult, ``"single_share"`` adds their share of the
    shared costs on top, ``"own_case"`` leaves them out of the norm (they are their own
    cases) and counts only the applicant's share of the shared costs.
    """
    table = TABLES[year]
    roles = [r for r, _ in members]
    n = len(members)
    total = table["couple"][0] if "partner" in roles else table["single"][0]
    for role, birth in members:
        if role == "child":
            total += _child_cost(table, age_on(birth, day))
        elif role == "other_adult" and others != "own_case":
            total += table["single"][0] + (_shared(table, n) // n if others == "single_share"
                                           else 0)
    if others == "own_case":
        return total + round(_shared(table, n) * (n - roles.count("other_adult")) / n)
    return total + _shared(table, n)


def norm_low(members: list[tuple[str, date]], others: str) -> int:
    """The lowest plausible norm: the 2023 table, ages on any day of :data:`AGE_DATES`."""
    return min(norm(members, 2023, d, others) for d in AGE_DATES)


def norm_high(members: list[tuple[str, date]], others: str) -> int:
    """The highest plausible norm: the 2026 table plus 3 %, ages on any of the days."""
    return round(max(norm(members, 2026, d, others) for d in AGE_DATES) * 1.03)
