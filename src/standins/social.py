"""The social-services side of the synthetic world: households on försörjningsstöd.

Built from the world's seed (and only after the world, so the school world never changes),
about 1 600 households in Nacka (a few registered elsewhere) apply for ekonomiskt bistånd for
December 2026 (:data:`APPLIED_MONTH`). Each household knows its truth (members, address,
costs, every income paid, month by month: what the income register shows), the latest
application on file in the case system (:class:`Record`, November 2026), its decisions so far
and the adults' labour-market plans. Every household is built for one situation (``kind``,
the application mix of :mod:`standins.eb_generator`) and for nothing else, so a generated
application needs a caseworker for exactly one reason, or for none.

All personnummer are in Skatteverket's test series (birth number 980-999, valid check digit);
a few applicants have a samordningsnummer (day + 60) and are not in the population register.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from standins.social_money import rent_cap
from standins.world import Address, Person, World

APPLIED_MONTH = "2026-12"
RECORD_MONTH = "2026-11"
FIRST_DATA_MONTH = "2025-01"
LAST_DATA_MONTH = "2026-12"

ROLES = ("applicant", "partner", "child", "other_adult")
ROLE_LABELS = {"applicant": "Sökande", "partner": "Make/maka/sambo", "child": "Barn",
               "other_adult": "Annan vuxen"}
ADULT_ROLES = ("applicant", "partner", "other_adult")
INCOME_TYPES = (
    "salary_net", "a_kassa", "aktivitetsstod", "etableringsersattning", "sjukpenning",
    "foraldrapenning", "sjuk_aktivitetsersattning", "pension", "bostadsbidrag", "barnbidrag",
    "flerbarnstillagg", "studiebidrag", "underhallsstod", "csn", "child_work_income", "other",
)
INCOME_LABELS = {
    "salary_net": "Lön (netto)", "a_kassa": "Arbetslöshetsersättning",
    "aktivitetsstod": "Aktivitetsstöd", "etableringsersattning": "Etableringsersättning",
    "sjukpenning": "Sjukpenning", "foraldrapenning": "Föräldrapenning",
    "sjuk_aktivitetsersattning": "Sjuk- eller aktivitetsersättning", "pension": "Pension",
    "bostadsbidrag": "Bostadsbidrag", "barnbidrag": "Barnbidrag",
    "flerbarnstillagg": "Flerbarnstillägg", "studiebidrag": "Studiebidrag",
    "underhallsstod": "Underhållsstöd", "csn": "Studiemedel (CSN)",
    "child_work_income": "Barns arbetsinkomst", "other": "Övrig inkomst",
}
# e-service income type -> (register source, register type); "other" is in no register
REGISTER_TYPES: dict[str, tuple[str, str]] = {
    "salary_net": ("skatteverket", "salary"), "child_work_income": ("skatteverket", "salary"),
    "a_kassa": ("a_kassa", "a_kassa"), "csn": ("csn", "csn"),
    "studiebidrag": ("csn", "studiebidrag"), "pension": ("pensionsmyndigheten", "pension"),
    **{t: ("forsakringskassan", t) for t in (
        "aktivitetsstod", "etableringsersattning", "sjukpenning", "foraldrapenning",
        "sjuk_aktivitetsersattning", "bostadsbidrag", "barnbidrag", "flerbarnstillagg",
        "underhallsstod")},
}
TAXABLE = {"salary_net", "child_work_income", "a_kassa", "aktivitetsstod",
           "etableringsersattning", "sjukpenning", "foraldrapenning", "sjuk_aktivitetsersattning",
           "pension"}
PAYERS = {"forsakringskassan": "Försäkringskassan", "csn": "CSN",
          "a_kassa": "Arbetslöshetskassan Alfa", "pensionsmyndigheten": "Pensionsmyndigheten"}
PAY_DAY = {"forsakringskassan": 20, "csn": 25, "a_kassa": 15, "pensionsmyndigheten": 19,
           "skatteverket": 25}
COST_KEYS = ("rent", "household_electricity", "home_insurance", "work_travel", "union_fee",
             "a_kassa_fee")


def month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_months(month: str, n: int) -> str:
    return month_name(month_index(month) + n)


@dataclass
class Member:
    pnr: str
    role: str  # one of ROLES
    in_school: bool = False


@dataclass
class Income:
    """One income paid every month from ``start`` to ``end`` (both "YYYY-MM", inclusive)."""

    pnr: str
    type: str  # an e-service income type
    amount: int  # net, kr/month
    gross: int
    start: str = FIRST_DATA_MONTH
    end: str = LAST_DATA_MONTH
    payer: str = ""  # employer for salaries; the agency otherwise
    declared: bool = True  # False: paid, but left out of the application
    declared_amount: int | None = None  # what the applicant declares, when it differs

    def paid_in(self, month: str) -> bool:
        return self.start <= month <= self.end


@dataclass
class PastDecision:
    month: str
    date: str
    utfall: str  # bifall | avslag
    amount: int
    diarienummer: str = ""


@dataclass
class Plan:
    """A labour-market plan (arbetsmarknadsplanering) of one adult."""

    pnr: str
    status: str  # Aktiv | Avslutad
    start: str
    end: str = ""


@dataclass
class Record:
    """The latest application on file in the case system (None month: a new applicant)."""

    month: str | None
    members: list[Member]
    address: Address
    costs: dict[str, int]
    incomes: list[tuple[str, str, int]]  # (pnr, type, amount)


@dataclass
class Household:
    number: int  # hushållsnummer in the case system
    kind: str  # the situation it was built for (a kind of the application mix)
    variant: str
    members: list[Member]
    address: Address
    costs: dict[str, int]
    incomes: list[Income]
    account: str  # payout account "CCCC-NNNNNNN"
    first_application: bool = False
    history: list[PastDecision] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    record: Record | None = None
    special_expenses: list[dict[str, Any]] = field(default_factory=list)
    assets: list[dict[str, Any]] = field(default_factory=list)
    medical_certificate: bool = False
    free_text: str = ""

    @property
    def applicant(self) -> str:
        return self.members[0].pnr

    def declared_incomes(self, month: str = APPLIED_MONTH) -> list[tuple[str, str, int]]:
        """(pnr, type, amount) lines the applicant declares for ``month``, summed by type."""
        lines: dict[tuple[str, str], int] = {}
        for item in self.incomes:
            if item.declared and item.paid_in(month):
                amount = item.amount if item.declared_amount is None else item.declared_amount
                lines[item.pnr, item.type] = lines.get((item.pnr, item.type), 0) + amount
        order = {m.pnr: i for i, m in enumerate(self.members)}
        return sorted(((p, t, a) for (p, t), a in lines.items()),
                      key=lambda x: (order.get(x[0], 99), INCOME_TYPES.index(x[1])))

    def cap(self) -> int:
        adults = sum(m.role in ADULT_ROLES for m in self.members)
        return rent_cap(adults, sum(m.role == "child" for m in self.members))


class SocialWorld:
    """Households on försörjningsstöd over a :class:`World`; see :func:`build_social`."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.households: list[Household] = []
        self.by_number: dict[int, Household] = {}
        self.people: dict[str, Person] = {}  # every member, samordningsnummer included
        self.registered: dict[str, Person] = {}  # folkbokförda: what the population register has
        self.household_of: dict[str, Household] = {}  # any member, now or on record
        self.pools: dict[str, list[Household]] = {}
        self.diarie_counts: dict[int, int] = {}  # year -> decisions already in the diarium

    def add(self, household: Household) -> None:
        self.households.append(household)
        self.by_number[household.number] = household
        self.pools.setdefault(household.kind, []).append(household)
        on_record = household.record.members if household.record else []
        for member in [*household.members, *on_record]:
            self.household_of.setdefault(member.pnr, household)

    def adult(self, number: str) -> Person | None:
        """The person, if an adult member of some household (now or on record)."""
        household = self.household_of.get(number)
        if household is None:
            return None
        members = [*household.members, *(household.record.members if household.record else [])]
        if any(m.pnr == number and m.role in ADULT_ROLES for m in members):
            return self.people[number]
        return None

    def payments(self, number: str, first: str, last: str) -> list[dict[str, Any]]:
        """What the income register shows for one person, month by month (summed per payer)."""
        household = self.household_of.get(number)
        if household is None:
            return []
        sums: dict[tuple[str, str, str, str], list[int]] = {}
        for item in household.incomes:
            if item.pnr != number:
                continue
            source, kind = REGISTER_TYPES[item.type]
            payer = item.payer or PAYERS[source]
            lo = max(month_index(first), month_index(item.start))
            for m in range(lo, min(month_index(last), month_index(item.end)) + 1):
                key = (month_name(m), source, kind, payer)
                amount, gross = sums.get(key, [0, 0])
                sums[key] = [amount + item.amount, gross + item.gross]
        out = []
        for (month, source, kind, payer), (amount, gross) in sorted(sums.items()):
            out.append({
                "month": month, "source": source, "type": kind, "amount": amount,
                "gross": gross, "tax_withheld": gross - amount, "payer": payer,
                "paid_on": f"{month}-{PAY_DAY[source]:02d}",
            })
        return out

    def age(self, number: str, day: date) -> int:
        birth = self.people[number].birth_date
        return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@lru_cache(maxsize=4)
def build_social(world: World) -> SocialWorld:
    """The households of ``world``, built once per world (about 0.2 s)."""
    from standins.social_build import build

    return build(world)
