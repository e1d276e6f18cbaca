"""Building the households of :mod:`standins.social`, each for one situation of the mix.

Every household is first built as a clean re-application (members, incomes that the register
and the application agree on, costs under the rent cap, months of support on record, active
labour-market plans), then changed in exactly the one way its ``kind`` asks for. Households
meant to be granted are trimmed until they clear the *lowest* plausible norm by
:data:`~standins.social_money.MARGIN`; refusals clear the *highest*.
"""

from __future__ import annotations

import math
from datetime import date

from standins import names
from standins.eb_generator import CATEGORIES
from standins.social import (
    ADULT_ROLES,
    APPLIED_MONTH,
    FIRST_DATA_MONTH,
    RECORD_MONTH,
    TAXABLE,
    Household,
    Income,
    Member,
    PastDecision,
    Plan,
    Record,
    SocialWorld,
    add_months,
)
from standins.social_money import (
    BARNBIDRAG,
    FLERBARNSTILLAGG,
    MARGIN,
    STUDIEBIDRAG,
    age_on,
    gross_for,
    norm,
    norm_high,
    norm_low,
    underhallsstod,
)
from standins.social_people import DAY1, PeopleMaker, rand_date
from standins.world import World

HOUSEHOLDS_PER_WEIGHT = 16
VARIANTS = {
    "register_mismatch": ("amount", "undeclared"),
    "change_since_previous": ("rent", "address", "new_member", "member_left", "new_income",
                              "ended_income"),
    "health_data": ("sjukpenning", "sjuk_aktivitetsersattning", "medical_certificate"),
    "no_labour_market_plan": ("ended", "missing"),
    "special_expenses": ("dental_care", "glasses", "furniture"),
    "assets_declared": ("bank_balance", "car", "securities"),
    "grant_child_work_income": ("within_prisbasbelopp", "above_prisbasbelopp"),
}
# roughly Socialstyrelsen's statistics of households with ekonomiskt bistånd: most are single
# adults without children, then single parents and couples with children
COMPOSITIONS = {"single": 55, "single_parent": 18, "couple": 6, "couple_children": 12,
                "pupil": 4, "other_adult": 5}
KIND_COMPOSITION = {
    "grant_single": "single", "grant_single_parent": "single_parent", "grant_couple": "couple",
    "grant_couple_children": "couple_children", "grant_pupil_19_20": "pupil",
    "grant_other_adult": "other_adult", "samordningsnummer": "single",
    "grant_jobbstimulans": "single",
}
ACTIVITIES = {"none": 25, "a_kassa": 15, "aktivitetsstod": 15, "etableringsersattning": 10,
              "salary_net": 22, "foraldrapenning": 8}
RANGES = {"a_kassa": (5500, 11000), "aktivitetsstod": (3000, 7500),
          "etableringsersattning": (5400, 6900), "salary_net": (2500, 11000),
          "foraldrapenning": (4500, 9000), "sjukpenning": (7000, 13000),
          "sjuk_aktivitetsersattning": (8000, 11000), "child_work_income": (1200, 4500)}
ADULT_ACTIVITY_TYPES = set(RANGES) - {"child_work_income"}
EMPLOYERS = ("Städ & Service i Nacka AB", "Sickla Bageri AB", "Värmdö Bemanning AB",
             "Nacka Hemtjänst AB", "Lagerlogistik Stockholm AB", "Restaurang Fisksätra HB")
CLEARINGS = ("5012", "6142", "7215", "9021", "9960")
SPECIAL = {
    "dental_care": ((2500, 12000), "Tandvård enligt bifogat kostnadsförslag"),
    "glasses": ((1200, 3500), "Glasögon, recept bifogas"),
    "furniture": ((2000, 8000), "Säng och madrass till barnen"),
}
ASSETS = {
    "bank_balance": ((8000, 60000), "Sparkonto"),
    "car": ((15000, 60000), "Personbil, Volvo V70 2008"),
    "securities": ((5000, 40000), "Fondsparande"),
}
CERTIFICATE_TEXT = ("Läkarintyg bifogas. Jag är sjukskriven på heltid och kan inte delta i "
                    "arbetsmarknadsplaneringen just nu.")


def build(world: World) -> SocialWorld:
    social = SocialWorld(world)
    builder = _Builder(world, social)
    for category, kinds in CATEGORIES.items():
        if category == "malformed":
            continue
        for kind, weight in kinds.items():
            variants = VARIANTS.get(kind, ("",))
            for i in range(weight * HOUSEHOLDS_PER_WEIGHT):
                social.add(builder.household(kind, variants[i % len(variants)]))
    builder.number_decisions()
    return social


class _Builder(PeopleMaker):
    """Builds the households one by one; the people in them come from :class:`PeopleMaker`."""

    # ---- incomes -------------------------------------------------------------------------
    def income(self, number: str, kind: str, amount: int | None = None,
               start: str | None = None, **extra: object) -> Income:
        rng = self.rng
        if amount is None:
            lo, hi = RANGES[kind]
            amount = round(rng.randint(lo, hi), -1)
        if start is None:
            start = add_months(RECORD_MONTH, -rng.randint(1, 22))
        payer = rng.choice(EMPLOYERS) if kind in ("salary_net", "child_work_income") else ""
        gross = gross_for(amount) if kind in TAXABLE else amount
        return Income(number, kind, amount, gross, start, payer=payer, **extra)  # type: ignore[arg-type]

    def adult_incomes(self, hh: Household) -> None:
        rng = self.rng
        baby = any(m.role == "child" and self.age(m) < 2 for m in hh.members)
        for m in hh.members:
            if m.role not in ADULT_ROLES:
                continue
            activity = rng.choices(list(ACTIVITIES), list(ACTIVITIES.values()))[0]
            if activity == "foraldrapenning" and (not baby or m.role == "other_adult"):
                activity = "none"
            if activity == "foraldrapenning":
                born = max(self.social.people[c.pnr].birth_date for c in hh.members
                           if c.role == "child").strftime("%Y-%m")
                item = self.income(m.pnr, activity)
                item.start = max(item.start, born)
                hh.incomes.append(item)
            elif activity != "none":
                hh.incomes.append(self.income(m.pnr, activity))

    def child_benefits(self, hh: Household) -> None:
        rng, applicant = self.rng, hh.applicant
        children = [m for m in hh.members if m.role == "child"]
        counted, latest = 0, FIRST_DATA_MONTH
        for m in children:
            person = self.social.people[m.pnr]
            start = max(FIRST_DATA_MONTH, add_months(person.birth_date.strftime("%Y-%m"), 1))
            if self.age(m) < 16:
                hh.incomes.append(Income(applicant, "barnbidrag", BARNBIDRAG, BARNBIDRAG, start))
            elif m.in_school and person.birth_date.year >= 2007:
                hh.incomes.append(Income(m.pnr, "studiebidrag", STUDIEBIDRAG, STUDIEBIDRAG,
                                         start))
            else:
                continue
            counted += 1
            latest = max(latest, start)
        if counted >= 2:
            extra = FLERBARNSTILLAGG[min(counted, 6)]
            hh.incomes.append(Income(applicant, "flerbarnstillagg", extra, extra, latest))
        minors = [m for m in children if self.age(m) < 18]
        if minors and len([m for m in hh.members if m.role != "child"]) == 1 \
                and rng.random() < 0.5:
            amount = sum(underhallsstod(self.age(m)) for m in minors)
            hh.incomes.append(Income(applicant, "underhallsstod", amount, amount, latest))
        if children and rng.random() < 0.5:
            amount = round(rng.randint(1200, 3800), -1)
            hh.incomes.append(self.income(applicant, "bostadsbidrag", amount))
        teens = [m for m in children if 16 <= self.age(m) <= 20]
        if teens and rng.random() < 0.2:  # one child at most: the decision input has one sum
            hh.incomes.append(self.income(rng.choice(teens).pnr, "child_work_income",
                                          start="2026-06"))

    def age(self, member: Member) -> int:
        return age_on(self.social.people[member.pnr].birth_date, DAY1)

    # ---- costs and margins ---------------------------------------------------------------
    def costs(self, hh: Household, rent_factor: float) -> None:
        rng = self.rng
        paid = [i for i in hh.incomes if i.paid_in(APPLIED_MONTH)]
        salaried = any(i.type == "salary_net" for i in paid)
        insured = salaried or any(i.type == "a_kassa" for i in paid)
        n = len(hh.members)
        hh.costs = {
            "rent": int(round(hh.cap() * rent_factor, -1)),
            "household_electricity": round(rng.randint(200, 300) + 90 * n, -1),
            "home_insurance": rng.randint(110, 180) + 15 * n,
            "work_travel": 1010 if salaried and rng.random() < 0.7 else 0,
            "union_fee": rng.randint(180, 420) if salaried and rng.random() < 0.5 else 0,
            "a_kassa_fee": rng.randint(120, 170) if insured and rng.random() < 0.6 else 0,
        }

    @staticmethod
    def cost_sum(hh: Household, capped: bool = True) -> int:
        rent = min(hh.costs["rent"], hh.cap()) if capped else hh.costs["rent"]
        return rent + sum(v for k, v in hh.costs.items() if k != "rent")

    def roles(self, hh: Household) -> list[tuple[str, date]]:
        return [(m.role, self.social.people[m.pnr].birth_date) for m in hh.members]

    def _paid(self, hh: Household, own_case: bool) -> list[Income]:
        """Incomes this month; with ``own_case``, not those of other adults."""
        others = {m.pnr for m in hh.members if m.role == "other_adult"} if own_case else set()
        return [i for i in hh.incomes if i.paid_in(APPLIED_MONTH) and i.pnr not in others]

    def grant_margin(self, hh: Household) -> int:
        """Norm + costs - income at its lowest, whichever way other adults are read."""
        roles = self.roles(hh)
        return self.cost_sum(hh) + min(
            norm_low(roles, "single") - sum(i.amount for i in self._paid(hh, False)),
            norm_low(roles, "own_case") - sum(i.amount for i in self._paid(hh, True)))

    def refusal_margin(self, hh: Household) -> int:
        """Counted income - norm - costs at its lowest (jobbstimulans assumed on)."""
        def counted(own_case: bool) -> int:
            return sum(0 if i.type == "child_work_income" else
                       math.floor(i.amount * 0.75) if i.type == "salary_net" else i.amount
                       for i in self._paid(hh, own_case))

        roles = self.roles(hh)
        return min(counted(False) - norm_high(roles, "single_share"),
                   counted(True) - norm_high(roles, "own_case")) - self.cost_sum(hh, False)

    def trim_to_grant(self, hh: Household, keep: list[Income]) -> None:
        """Drop (then shrink) incomes until the household is clearly below the norm."""
        while self.grant_margin(hh) < MARGIN:
            paid = [i for i in hh.incomes if i.paid_in(APPLIED_MONTH)]
            loose = [i for i in paid if not any(i is k for k in keep)]
            loose = [i for i in loose if i.type in ADULT_ACTIVITY_TYPES] or [
                i for i in loose if i.type in ("bostadsbidrag", "child_work_income")]
            if loose:
                hh.incomes.remove(max(loose, key=lambda i: i.amount))
                continue
            kept = [i for i in paid if any(i is k for k in keep) and i.amount > 1000]
            if not kept:
                raise AssertionError(f"household {hh.number} ({hh.kind}) cannot be granted")
            item = max(kept, key=lambda i: i.amount)
            item.amount = max(1000, item.amount - (MARGIN - self.grant_margin(hh)) - 10)
            item.gross = gross_for(item.amount) if item.type in TAXABLE else item.amount
        salaried = any(i.type == "salary_net" for i in hh.incomes if i.paid_in(APPLIED_MONTH))
        if not salaried:
            hh.costs.update(work_travel=0, union_fee=0)

    # ---- one household -------------------------------------------------------------------
    def household(self, kind: str, variant: str) -> Household:
        rng = self.rng
        composition = KIND_COMPOSITION.get(kind) or rng.choices(
            list(COMPOSITIONS), list(COMPOSITIONS.values()))[0]
        teen = kind == "grant_child_work_income"
        if teen and composition not in ("single_parent", "couple_children"):
            composition = rng.choice(("single_parent", "couple_children"))
        address = rng.choice(self.outside if kind == "not_in_municipality" else self.nacka)
        members = self.members(composition, address, kind == "protected_identity",
                               kind == "samordningsnummer", teen)
        account = f"{rng.choice(CLEARINGS)}-{rng.randint(10**6, 10**10 - 1)}"
        hh = Household(self.next_number, kind, variant, members, address, {}, [], account)
        self.next_number += 1
        hh.first_application = kind == "first_application"
        if variant == "new_member":  # born after the latest application
            parents = [self.social.people[hh.applicant]]
            self.add_child(hh.members, parents, rand_date(rng, date(2026, 11, 1),
                                                           date(2026, 11, 14)), address,
                           parents[0].protected)
        self.adult_incomes(hh)
        self.child_benefits(hh)
        keep = self.situation(hh, kind, variant)
        if kind == "income_exceeds_norm":
            self.make_refusal(hh)
        else:
            self.costs(hh, rng.uniform(1.05, 1.3) if kind == "rent_above_cap"
                       else rng.uniform(0.6, 0.98))
            self.trim_to_grant(hh, keep)
        if kind == "register_mismatch" and variant == "amount":
            item = max((i for i in keep), key=lambda i: i.amount)
            item.declared_amount = max(0, item.amount - round(rng.randint(400, 2500), -1))
        self.history(hh)
        self.plans(hh, kind, variant)
        self.record(hh, variant)
        return hh

    def situation(self, hh: Household, kind: str, variant: str) -> list[Income]:
        """The incomes and facts that make this household what ``kind`` says; kept whole."""
        rng, applicant, keep = self.rng, hh.applicant, []
        adults = [i for i in hh.incomes if i.type in ADULT_ACTIVITY_TYPES]
        if kind == "register_mismatch" and variant == "undeclared":
            keep.append(self.income(applicant, "salary_net", round(rng.randint(1500, 4000), -1),
                                    start=APPLIED_MONTH, declared=False))
        elif kind == "register_mismatch" and adults:
            keep.append(max(adults, key=lambda i: i.amount))
        elif kind in ("grant_jobbstimulans", "register_mismatch"):
            hh.incomes = [i for i in hh.incomes if i.pnr != applicant
                          or i.type not in ADULT_ACTIVITY_TYPES]
            keep.append(self.income(applicant, "salary_net" if kind == "grant_jobbstimulans"
                                    else "a_kassa"))
        elif kind == "grant_child_work_income":
            teen = next(m for m in hh.members if m.role == "child" and 15 <= self.age(m) <= 18)
            hh.incomes = [i for i in hh.incomes if i.type != "child_work_income"]
            high = variant == "above_prisbasbelopp"
            keep.append(self.income(teen.pnr, "child_work_income",
                                    round(rng.randint(5500, 7000), -1) if high else None,
                                    start="2026-01" if high else "2026-06"))
        elif kind == "health_data" and variant != "medical_certificate":
            hh.incomes = [i for i in hh.incomes if i.pnr != applicant
                          or i.type not in ADULT_ACTIVITY_TYPES]
            keep.append(self.income(applicant, variant))
        elif kind == "health_data":
            hh.medical_certificate, hh.free_text = True, CERTIFICATE_TEXT
        elif kind == "change_since_previous" and variant in ("new_income", "ended_income"):
            held = {i.type for i in hh.incomes if i.pnr == applicant}
            kind_ = next(t for t in ("aktivitetsstod", "a_kassa", "etableringsersattning")
                         if t not in held)
            if variant == "new_income":
                keep.append(self.income(applicant, kind_, start=APPLIED_MONTH))
            else:
                keep.append(self.income(applicant, kind_, end=RECORD_MONTH))
        elif kind == "special_expenses":
            (lo, hi), text = SPECIAL[variant]
            hh.special_expenses = [{"type": variant, "amount": round(rng.randint(lo, hi), -1),
                                    "description": text}]
        elif kind == "assets_declared":
            (lo, hi), text = ASSETS[variant]
            hh.assets = [{"type": variant, "value": round(rng.randint(lo, hi), -2),
                          "description": text}]
        for item in keep:
            if not any(item is i for i in hh.incomes):
                hh.incomes.append(item)
        return keep

    def make_refusal(self, hh: Household) -> None:
        """Income clearly above the norm: the applicant got more hours from December."""
        rng, applicant = self.rng, hh.applicant
        hh.incomes = [i for i in hh.incomes if i.pnr != applicant
                      or i.type not in ADULT_ACTIVITY_TYPES]
        before = self.income(applicant, "salary_net", end=RECORD_MONTH)
        now = Income(applicant, "salary_net", 0, 0, APPLIED_MONTH, payer=before.payer)
        hh.incomes += [before, now]
        self.costs(hh, rng.uniform(0.6, 0.98))
        hh.costs["work_travel"] = 1010
        shortfall = MARGIN + rng.randint(0, 4000) - self.refusal_margin(hh)
        now.amount = max(8000, math.ceil(shortfall / 0.75 / 10) * 10)
        now.gross = gross_for(now.amount)
        assert self.refusal_margin(hh) >= MARGIN  # nosec B101  # self-check of the generated test data

    def history(self, hh: Household) -> None:
        rng = self.rng
        if hh.first_application:
            return
        salaried = any(i.type == "salary_net" for i in hh.incomes)
        if hh.kind == "grant_jobbstimulans":
            run = rng.randint(6, 28)
        elif salaried and rng.random() < 0.5:
            run = rng.randint(1, 5)  # jobbstimulans not (yet) earned
        else:
            run = rng.randint(1, 28)
        income = sum(i.amount for i in hh.incomes if i.paid_in(RECORD_MONTH))
        base = norm(self.roles(hh), 2026, DAY1, "single") + self.cost_sum(hh) - income
        months = [add_months(RECORD_MONTH, -k) for k in range(run - 1, -1, -1)]
        gap: list[str] = []
        if run <= 20 and rng.random() < 0.15:  # an earlier, shorter spell, then a refusal
            earlier = rng.randint(1, 4)
            gap = [add_months(months[0], -k) for k in range(earlier + 1, 0, -1)]
        for i, month in enumerate([*gap, *months]):
            refused = bool(gap) and i == len(gap) - 1
            amount = 0 if refused else max(800, round(base * rng.uniform(0.97, 1.03)))
            day = f"{add_months(month, -1)}-{rng.randint(24, 28)}"
            hh.history.append(PastDecision(month, day, "avslag" if refused else "bifall",
                                           amount))

    def plans(self, hh: Household, kind: str, variant: str) -> None:
        rng = self.rng
        start_month = hh.history[0].month if hh.history else "2026-11"
        for m in hh.members:
            if m.role not in ADULT_ROLES:
                continue
            start = f"{add_months(start_month, -1)}-{rng.randint(10, 28)}"
            if m.pnr == hh.applicant and kind == "no_labour_market_plan":
                if variant == "ended":
                    hh.plans.append(Plan(m.pnr, "Avslutad", start, "2026-09-30"))
                continue
            if rng.random() < 0.2:
                hh.plans.append(Plan(m.pnr, "Avslutad", "2023-03-01", "2023-12-31"))
            hh.plans.append(Plan(m.pnr, "Aktiv", start))

    def record(self, hh: Household, variant: str) -> None:
        rng = self.rng
        members = list(hh.members)
        address, costs = hh.address, dict(hh.costs)
        if variant == "new_member":
            members = members[:-1]
        elif variant == "member_left":
            role = "other_adult" if any(m.role == "partner" for m in members) else "partner"
            year = self.social.people[hh.applicant].birth_date.year + rng.randint(-4, 4)
            left = self.person(date(min(2004, year), rng.randint(1, 12), rng.randint(1, 28)),
                               rng.choice(names.SURNAMES), rng.choice(self.nacka), False)
            members.append(Member(left.pnr, role))
        elif variant == "rent":
            costs["rent"] = max(3000, costs["rent"] + rng.choice((-1, 1)) * rng.randint(30, 150)
                                * 10)
        elif variant == "address":
            address = rng.choice(self.nacka)
            while address.key == hh.address.key:
                address = rng.choice(self.nacka)
            costs["rent"] = max(3000, costs["rent"] - rng.randint(30, 150) * 10)
        if hh.first_application:
            hh.record = Record(None, members, address, {}, [])
            return
        incomes = [(i.pnr, i.type, i.amount) for i in hh.incomes
                   if i.declared and i.paid_in(RECORD_MONTH)]
        summed: dict[tuple[str, str], int] = {}
        for who, kind, amount in incomes:
            summed[who, kind] = summed.get((who, kind), 0) + amount
        hh.record = Record(RECORD_MONTH, members, address, costs,
                           [(p, t, a) for (p, t), a in summed.items()])

    def number_decisions(self) -> None:
        """Diarienummer EB-YYYY-NNNNN for the decisions so far, in date order per year."""
        decisions = sorted(((d.date, hh.number, d) for hh in self.social.households
                            for d in hh.history), key=lambda x: (x[0], x[1]))
        counts: dict[int, int] = {}
        for day, _, decision in decisions:
            year = int(day[:4])
            counts[year] = counts.get(year, 0) + 1
            decision.diarienummer = f"EB-{year}-{counts[year]:05d}"
        self.social.diarie_counts = counts
