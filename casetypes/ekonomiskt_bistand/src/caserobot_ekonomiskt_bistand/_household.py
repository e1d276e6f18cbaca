"""Ekonomiskt bistånd: who is in the household, their ages and norm bands, in Swedish.

Pure functions without parameters; the rules in :mod:`caserobot_ekonomiskt_bistand.rules`
read the figures and record the trace. A member is one of:

- ``applicant`` / ``partner``: the adults of the applicant's household (sambor if both);
- ``child``: a child or school pupil living at home, with a norm band by age;
- ``adult_child``: listed as a child but 18+ and not in school, or 21+ (its own case);
- ``other_adult``: shares the dwelling without being a sambo (its own case).

Only the first three form the applicant's household for the norm and the incomes; every
member counts in the number of people sharing the household costs (SoF 2 kap. 1 §).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from caserobot.exceptions import InputError

# (lowest age, highest age, table key) as in socialtjänstförordningen 2 kap. 1 §
BANDS = (
    (0, 0, "0"),
    (1, 2, "1-2"),
    (3, 3, "3"),
    (4, 6, "4-6"),
    (7, 10, "7-10"),
    (11, 14, "11-14"),
    (15, 18, "15-18"),
    (19, 20, "19-20"),
)
IN_HOUSEHOLD = ("applicant", "partner", "child")

COST_LABELS = {
    "rent": "Boendekostnad",
    "household_electricity": "Hushållsel",
    "home_insurance": "Hemförsäkring",
    "work_travel": "Arbetsresor",
    "union_fee": "Fackavgift",
    "a_kassa_fee": "Avgift till a-kassa",
}
INCOME_LABELS = {
    "salary_net": "Lön efter skatt",
    "a_kassa": "Ersättning från a-kassa",
    "aktivitetsstod": "Aktivitetsstöd",
    "etableringsersattning": "Etableringsersättning",
    "sjukpenning": "Sjukpenning",
    "foraldrapenning": "Föräldrapenning",
    "sjuk_aktivitetsersattning": "Sjuk- eller aktivitetsersättning",
    "pension": "Pension",
    "bostadsbidrag": "Bostadsbidrag",
    "barnbidrag": "Barnbidrag",
    "flerbarnstillagg": "Flerbarnstillägg",
    "studiebidrag": "Studiebidrag",
    "underhallsstod": "Underhållsstöd",
    "csn": "Studiemedel från CSN",
    "child_work_income": "Barns arbetsinkomst",
    "other": "Annan inkomst",
}


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on a date (a birthday on the date counts)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def band_for(age: int) -> str | None:
    """The norm band (table key) for a child's age; None from 21."""
    for low, high, key in BANDS:
        if low <= age <= high:
            return key
    return None


def band_text(key: str) -> str:
    return "under 1 år" if key == "0" else f"{key.replace('-', '–')} år"


def classify(household: list[dict[str, Any]], as_of: date) -> list[dict[str, Any]]:
    """Each member with index, age on ``as_of``, category, norm band and a Swedish label.

    Raises:
        InputError: a birth date after ``as_of``.
    """
    out = []
    for i, m in enumerate(household):
        born = date.fromisoformat(m["birth_date"])
        if born > as_of:
            raise InputError(
                f"household.{i}.birth_date",
                f"{born.isoformat()} is after the decision date {as_of.isoformat()}",
            )
        age = age_on(born, as_of)
        role = m["role"]
        category, band = role, None
        if role == "child":
            band = band_for(age)
            if band is None or (age >= 18 and not m["in_school"]):
                category, band = "adult_child", None
        out.append(
            {
                "index": i,
                "role": role,
                "birth_date": born.isoformat(),
                "age": age,
                "in_school": m["in_school"],
                "category": category,
                "band": band,
                "label": person_label(role, born, age, pupil=age >= 18 and m["in_school"]),
            }
        )
    return out


def person_label(role: str, born: date, age: int, *, pupil: bool = False) -> str:
    if role == "applicant":
        return "sökanden"
    if role == "partner":
        return "sambon"
    who = {"child": "skolungdom" if pupil else "barn"}.get(role, "annan vuxen")
    return f"{who} född {born.isoformat()} ({age} år)"


def household_kind(members: list[dict[str, Any]]) -> str:
    """``single`` or ``couple`` for an applicant (and sambo) living alone, else ``other``."""
    roles = sorted(m["role"] for m in members)
    if roles == ["applicant"]:
        return "single"
    if roles == ["applicant", "partner"]:
        return "couple"
    return "other"


def whole_kronor(value: Fraction | int) -> int:
    """Round to whole kronor, halves up (amounts are never negative here)."""
    value = Fraction(value)
    return int((value * 2 + 1) // 2)
