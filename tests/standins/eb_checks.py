"""Test oracle: what a correct robot must conclude about an ekonomiskt bistånd application.

Written from the contract (docs/architecture.md, "Ekonomiskt bistånd") and the domain notes
(../shared/domain/case-rules.md 1.1, 1.3), not from the stand-ins' code: the derived 2026
riksnorm, ages on the first day of the month applied for, rent capped by the municipality's
cap, jobbstimulans after 6 months in a row, children's work income excluded up to one
prisbasbelopp a year. :class:`Facts` is what a robot gathers from the registers and the case
system; the tests fill it either from the world (in-process) or over HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from standins import pnr

INCOME_TYPES = (
    "salary_net", "a_kassa", "aktivitetsstod", "etableringsersattning", "sjukpenning",
    "foraldrapenning", "sjuk_aktivitetsersattning", "pension", "bostadsbidrag", "barnbidrag",
    "flerbarnstillagg", "studiebidrag", "underhallsstod", "csn", "child_work_income", "other",
)
COST_KEYS = ("rent", "household_electricity", "home_insurance", "work_travel", "union_fee",
             "a_kassa_fee")
ROLES = ("applicant", "partner", "child", "other_adult")
REGISTER_TYPE = {t: t for t in INCOME_TYPES if t != "other"} | {
    "salary_net": "salary", "child_work_income": "salary"}
HEALTH_TYPES = {"sjukpenning", "sjuk_aktivitetsersattning"}
# 2026, derived table (case-rules 1.3): bands <1, 1-2, 3, 4-6, 7-10, 11-14, 15-18, 19-20
BANDS = ((0, 2730), (1, 3050), (3, 2720), (4, 3050), (7, 3810), (11, 4390), (15, 4950),
         (19, 5000))
SINGLE, COUPLE = 3940, 7100
SHARED = (1280, 1410, 1780, 2020, 2320, 2630, 2830)
PRISBASBELOPP = 59200
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass
class Facts:
    """What the robot read: population register, income register, case system."""

    navet: dict[str, dict[str, Any]]  # pnr12 -> {"found", "protected", "kommun"}
    payments: dict[str, list[dict[str, Any]]]  # pnr12 -> register payments, Jan..month
    record_month: str | None
    record_members: set[tuple[str, str]]  # (pnr12, role)
    record_address: str | None  # "street, postal code"; None when withheld
    record_rent: int | None
    record_incomes: set[tuple[str, str]]  # (pnr12, type)
    plans: list[tuple[str, str]]  # (pnr12, status)
    history: list[tuple[str, str]]  # (month, utfall)
    caps: dict[tuple[str, str], int]  # ("1"|"2"|"3+", "0".."4+") -> kr
    notes: list[str] = field(default_factory=list)


def _valid_number(text: Any) -> bool:
    return isinstance(text, str) and (pnr.is_valid(text) or pnr.is_samordningsnummer(text))


def _kronor(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def malformed(app: dict[str, Any]) -> str | None:
    """Why the application cannot be processed at all, or None."""
    if not isinstance(app.get("month"), str) or not MONTH_RE.match(app["month"]):
        return "month"
    applicant = app.get("applicant")
    if not isinstance(applicant, dict) or not _valid_number(applicant.get("personnummer")):
        return "applicant"
    household = app.get("household")
    if not isinstance(household, list) or not household:
        return "household"
    for m in household:
        if m.get("role") not in ROLES or not _valid_number(m.get("personnummer")):
            return "household member"
        try:
            date.fromisoformat(m.get("birth_date") or "")
        except ValueError:
            return "birth_date"
    members = {pnr.normalize(m["personnummer"]) for m in household}
    if not isinstance(app.get("incomes"), list):
        return "incomes"
    for line in app["incomes"]:
        if line.get("type") not in INCOME_TYPES or not _kronor(line.get("amount")):
            return "income line"
        if pnr.normalize(line.get("personnummer", "")) not in members:
            return "income person"
    costs = app.get("costs")
    if not isinstance(costs, dict) or not all(_kronor(costs.get(k)) for k in COST_KEYS):
        return "costs"
    return None


def _age(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _month_before(month: str) -> str:
    y, m = int(month[:4]), int(month[5:])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def members_of(app: dict[str, Any]) -> list[tuple[str, str, date]]:
    return [(pnr.normalize(m["personnummer"]), m["role"], date.fromisoformat(m["birth_date"]))
            for m in app["household"]]


def cap_for(app: dict[str, Any], facts: Facts) -> int:
    roles = [r for _, r, _ in members_of(app)]
    adults = sum(r != "child" for r in roles)
    children = sum(r == "child" for r in roles)
    return facts.caps[("3+" if adults >= 3 else str(adults)),
                      ("4+" if children >= 4 else str(children))]


def consecutive_months(facts: Facts, month: str) -> int:
    granted = {m for m, utfall in facts.history if utfall == "bifall"}
    n, m = 0, _month_before(month)
    while m in granted:
        n, m = n + 1, _month_before(m)
    return n


def amount(app: dict[str, Any], facts: Facts, own_case: bool = False) -> int:
    """norm + reasonable costs - counted income, whole kronor (may be negative).

    Other adults (not sambor) count as single adults in the norm, or, with ``own_case``,
    are their own cases: out of the norm and the incomes, with the applicant's household
    paying its share of the shared costs (SoF 2 kap. 1 §).
    """
    month = app["month"]
    day = date(int(month[:4]), int(month[5:]), 1)
    members = members_of(app)
    roles = [r for _, r, _ in members]
    norm = COUPLE if "partner" in roles else SINGLE
    for _, role, birth in members:
        if role == "child":
            norm += max(cost for lower, cost in BANDS if lower <= _age(birth, day))
        elif role == "other_adult" and not own_case:
            norm += SINGLE
    n = len(members)
    shared = SHARED[n - 1] if n <= 7 else SHARED[6] + 200 * (n - 7)
    others = {p for p, r, _ in members if r == "other_adult"} if own_case else set()
    norm += round(shared * (n - len(others)) / n)
    costs = dict(app["costs"])
    costs["rent"] = min(costs["rent"], cap_for(app, facts))
    jobbstimulans = consecutive_months(facts, month) >= 6
    counted = 0
    for line in app["incomes"]:
        value = line["amount"]
        if pnr.normalize(line["personnummer"]) in others:
            continue
        if line["type"] == "salary_net" and jobbstimulans:
            value = value - value // 4
        elif line["type"] == "child_work_income":
            who = pnr.normalize(line["personnummer"])
            so_far = sum(p["amount"] for p in facts.payments.get(who, [])
                         if p["type"] == "salary" and p["month"][:4] == month[:4]
                         and p["month"] <= month)
            value = max(0, min(value, so_far - PRISBASBELOPP))
        counted += value
    return norm + sum(costs.values()) - counted


def register_matches(app: dict[str, Any], facts: Facts) -> bool:
    month = app["month"]
    declared: dict[tuple[str, str], int] = {}
    for line in app["incomes"]:
        if line["type"] in REGISTER_TYPE:
            key = (pnr.normalize(line["personnummer"]), REGISTER_TYPE[line["type"]])
            declared[key] = declared.get(key, 0) + line["amount"]
    paid: dict[tuple[str, str], int] = {}
    for who, _, _ in members_of(app):
        for p in facts.payments.get(who, []):
            if p["month"] == month:
                paid[who, p["type"]] = paid.get((who, p["type"]), 0) + p["amount"]
    return declared == paid


def reasons(app: dict[str, Any], facts: Facts) -> list[str]:
    """The caseworker reasons that apply (an empty list: the robot may decide)."""
    out = []
    members = members_of(app)
    applicant = members[0][0]
    if any(facts.navet.get(p, {}).get("protected") for p, _, _ in members):
        out.append("protected_identity")
    if pnr.is_samordningsnummer(applicant):
        out.append("samordningsnummer")
    elif facts.navet[applicant]["kommun"] != "0182":
        out.append("not_in_municipality")
    if app["first_application"] or facts.record_month is None:
        out.append("first_application")
    else:
        address = f"{app['address']['street']}, {app['address']['postal_code']}"
        changed = (
            {(p, r) for p, r, _ in members} != facts.record_members
            or (facts.record_address is not None and facts.record_address != address)
            or facts.record_rent != app["costs"]["rent"]
            or {(pnr.normalize(i["personnummer"]), i["type"]) for i in app["incomes"]}
            != facts.record_incomes
        )
        if changed:
            out.append("change_since_previous")
    if not register_matches(app, facts):
        out.append("register_mismatch")
    if app["costs"]["rent"] > cap_for(app, facts):
        out.append("rent_above_cap")
    if app.get("special_expenses"):
        out.append("special_expenses")
    if app.get("assets"):
        out.append("assets_declared")
    if app.get("medical_certificate_attached") or any(
            i["type"] in HEALTH_TYPES for i in app["incomes"]):
        out.append("health_data")
    if (applicant, "Aktiv") not in facts.plans:
        out.append("no_labour_market_plan")
    return out


def conclude(app: dict[str, Any], facts: Facts | None) -> tuple[str, int | None]:
    """("malformed" | one reason | "grant" | "refusal", amount or None)."""
    if facts is None or malformed(app):
        return "malformed", None
    found = reasons(app, facts)
    if found:
        return "+".join(found), None
    low, high = sorted((amount(app, facts), amount(app, facts, own_case=True)))
    if low > 0:
        return "grant", low
    return ("refusal", high) if high <= 0 else ("either way", low)
