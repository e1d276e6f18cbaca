"""Ekonomiskt bistånd (monthly försörjningsstöd): collect the facts, apply the rules, and
for a grant write the decision and the payment order back, each exactly once.

Decision date: the rules are applied as of the **first day of the month applied for**
(``month`` ``2026-12`` → 2026-12-01), not the robot's run date. The support is for that
month, so that month's riksnorm, rent caps and policies apply, whenever the robot runs
(the stand-ins' households apply in November for December 2026). ``WorkContext.as_of`` is
therefore not used by this case type.

Exactly once, for two writes: before each write the item is marked (``writing_decision``,
``writing_payment``); whatever the marker, an existing case is read back first and a
decision / payment order for the month already on it is not written again. A crash between
the two writes thus leads the next attempt to write only the payment order.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from caserobot.applications import (
    MAX_FREE_TEXT,
    MAX_TEXT,
    validate,
)
from caserobot.cases.base import Decided, Facts, Referred, WorkContext
from caserobot.cases.writeback import conflict, same_text, settle, settle_deadline
from caserobot.exceptions import (
    BusinessException,
    ReasonCode,
    UnexpectedScreen,
    WriteOutcomeUnknown,
)
from caserobot.legacy.casesystem.pages import SYSTEM
from caserobot.legacy.income import PersonPayments
from caserobot.legacy.population import PersonRecord
from caserobot.personnummer import InvalidPersonnummer, Personnummer, mask
from caserobot.process import ItemProcess, step
from caserobot_ekonomiskt_bistand import pages as sp
from caserobot_ekonomiskt_bistand._input import (  # one list and one bound, owned by the rules
    COST_ITEMS,
    MAX_ASSET_KRONOR,
    MAX_KRONOR,
    MAX_MEMBERS,
    IncomeType,
    Role,
)
from caserobot_ekonomiskt_bistand.screens import SocialServicesScreens

CASE_TYPE = "ekonomiskt_bistand"
MUNICIPALITY_CODE = "0182"  # Nacka
SRC_APP = "e-tjänst"
SRC_CASE = "ärendesystemet"
SRC_POP = "folkbokföringen (Navet)"
SRC_INCOME = "inkomstregistret (SSBTEK)"
HEALTH_INCOMES = {"sjukpenning", "sjuk_aktivitetsersattning"}
ADULT_ROLES = {"applicant", "partner", "other_adult"}
EARLIEST_MONTH_YEAR = 2000
MONTHS_AHEAD = 3  # an application for a month at most this far ahead of today


def _pnr(value: Any) -> str:
    try:
        return Personnummer.parse(str(value)).digits
    except InvalidPersonnummer as exc:
        raise ValueError(str(exc)) from exc


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _WithPnr(_Model):
    personnummer: str

    @field_validator("personnummer")
    @classmethod
    def _valid_pnr(cls, value: str) -> str:
        return _pnr(value)


Kronor = Annotated[int, Field(ge=0, le=MAX_KRONOR)]


class Applicant(_WithPnr):
    personnummer: str = Field(max_length=40)
    name: str = Field(default="", max_length=MAX_TEXT)


class Address(_Model):
    street: str = Field(min_length=1, max_length=MAX_TEXT)
    postal_code: str = Field(min_length=1, max_length=20)
    city: str = Field(default="", max_length=MAX_TEXT)


class Member(_WithPnr):
    role: Role
    personnummer: str = Field(max_length=40)
    name: str = Field(default="", max_length=MAX_TEXT)
    birth_date: date = Field(ge=date(1890, 1, 1))
    in_school: bool = False


class DeclaredIncome(_WithPnr):
    personnummer: str = Field(max_length=40)
    type: IncomeType
    amount: Kronor


class DeclaredCosts(_Model):
    rent: Kronor
    household_electricity: Kronor
    home_insurance: Kronor
    work_travel: Kronor
    union_fee: Kronor
    a_kassa_fee: Kronor


class Amounted(_Model):
    type: str = Field(min_length=1, max_length=50, pattern=r"^[a-z_]+$")
    amount: Kronor | None = None
    value: int | None = Field(default=None, ge=0, le=MAX_ASSET_KRONOR)
    description: str = Field(default="", max_length=MAX_FREE_TEXT)


class EbApplication(_Model):
    """A monthly application as the e-service delivers it (docs/architecture.md)."""

    id: str = Field(min_length=1, max_length=100)
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    first_application: bool = False
    applicant: Applicant
    address: Address
    household: list[Member] = Field(min_length=1, max_length=MAX_MEMBERS)
    incomes: list[DeclaredIncome] = Field(max_length=50)
    costs: DeclaredCosts
    special_expenses: list[Amounted] = Field(default_factory=list, max_length=50)
    assets: list[Amounted] = Field(default_factory=list, max_length=50)
    medical_certificate_attached: bool = False
    payout_account: str = Field(default="", pattern=r"^(\d{4}-\d{7,10})?$")
    free_text: str = Field(default="", max_length=MAX_FREE_TEXT)

    @field_validator("month")
    @classmethod
    def _plausible_month(cls, value: str) -> str:
        # The pattern lets "0000-12" through; the rules need a real month near today.
        year, month = int(value[:4]), int(value[5:7])
        today = date.today()
        latest = (today.year * 12 + today.month - 1) + MONTHS_AHEAD
        if year < EARLIEST_MONTH_YEAR or year * 12 + month - 1 > latest:
            raise ValueError(
                f"månaden ska vara en månad från år {EARLIEST_MONTH_YEAR} till högst "
                f"{MONTHS_AHEAD} månader framåt"
            )
        return value

    @property
    def first_day(self) -> date:
        year, month = self.month.split("-")
        return date(int(year), int(month), 1)


def parse_application(raw: dict[str, Any]) -> EbApplication:
    """Validate; raise a BusinessException with a specific reason code naming the field."""
    app = validate(EbApplication, raw)
    first = app.household[0]
    if first.role != "applicant" or first.personnummer != app.applicant.personnummer:
        raise BusinessException(
            ReasonCode.INVALID_FIELD,
            "första hushållsmedlemmen ska vara den sökande",
            field="household.0",
        )
    if [m.role for m in app.household].count("applicant") != 1:
        raise BusinessException(
            ReasonCode.INVALID_FIELD, "hushållet ska ha exakt en sökande", field="household"
        )
    members = {m.personnummer for m in app.household}
    for i, income in enumerate(app.incomes):
        if income.personnummer not in members:
            raise BusinessException(
                ReasonCode.INVALID_FIELD,
                "inkomsten gäller en person som inte finns i hushållet",
                field=f"incomes.{i}.personnummer",
            )
    return app


def _previous_month(month: str) -> str:
    year, m = (int(x) for x in month.split("-"))
    return f"{year - 1}-12" if m == 1 else f"{year}-{m - 1:02d}"


class EkonomisktBistandProcess(ItemProcess):
    """One month's application, from the e-service to the decision and payment order
    written back: the steps the robot's ``tasks.robot`` puts in order (keyword
    ``Process Economic Assistance Application``)."""

    case_type = CASE_TYPE

    app: EbApplication
    screens: SocialServicesScreens
    household: sp.Household
    history: list[sp.PreviousDecision]
    plans: list[sp.PlanRow]
    caps: list[sp.RentCap]
    case: sp.EbCase
    person: PersonRecord | None
    payments: dict[str, PersonPayments]
    written: sp.EbDecisionRow  # the decision as the case shows it after writing
    written_at: datetime | None = None

    @step("Read Application", gives=("app",))
    async def read_application(self) -> None:
        """Read the application (kept in the work item at intake; an item enqueued without
        it is read from the e-service's API now); a malformed one goes to a caseworker."""
        ctx = self.ctx
        raw = ctx.payload.get("application") or await ctx.systems.eservice.get(ctx.application_id)
        self.app = parse_application(raw)
        self.facts.add("ansökan", _application_summary(self.app), SRC_APP)
        self.screens = SocialServicesScreens(ctx.session)

    @step("Read Household In Case System", needs=("app",), gives=("household",))
    async def read_household(self) -> None:
        """The applicant's household in the social-services case system: members, costs
        and incomes on record, the payout account, protection."""
        self.household = await self._household(self.screens, self.app, self.facts)

    @step(
        "Read Previous Decisions, Plan And Rent Caps",
        needs=("household",),
        gives=("history", "plans", "caps"),
    )
    async def read_history(self) -> None:
        """Earlier decisions, the labour-market plan and the municipality's rent caps, side
        by side on this seat."""
        number = self.household.number
        self.history, self.plans, self.caps = await self.ctx.gather(
            self.screens.previous_decisions(number),
            self.screens.labour_market_plan(number),
            self._caps(self.screens),
        )
        self.facts.add(
            "tidigare_beslut", [[d.month, d.outcome, d.amount] for d in self.history], SRC_CASE
        )
        self.facts.add(
            "arbetsmarknadsplanering",
            [[mask(p.personnummer), p.status] for p in self.plans],
            SRC_CASE,
        )

    @step("Find Or Create Case", needs=("app", "household"), gives=("case",))
    async def find_or_create(self) -> None:
        """The application's case on the household, found by its reference or created,
        exactly once."""
        self.case = await self._find_or_create_case(
            self.ctx, self.screens, self.app, self.household
        )
        self.facts.add("ärende", self.case.case_id, SRC_CASE)

    @step("Look Up Applicant In Population Register", needs=("app",), gives=("person",))
    async def look_up_person(self) -> None:
        """Folkbokföring and protection of the applicant (Navet); a samordningsnummer
        holder is not folkbokförd."""
        applicant = Personnummer(self.app.applicant.personnummer)
        self.person = person = await self._person(self.ctx, applicant)
        if person is not None:
            self.facts.add("folkbokföringskommun", person.municipality_code, SRC_POP)
            self.facts.add("skyddad_identitet", person.protected_identity, SRC_POP)
        else:
            self.facts.add("folkbokförd", False, SRC_POP)

    @step("Read Payments In Income Register", needs=("app",), gives=("payments",))
    async def read_payments(self) -> None:
        """Every household member's payments this year up to the month applied for
        (SSBTEK)."""
        app = self.app
        pnrs = [m.personnummer for m in app.household]
        income = self.ctx.systems["income"]
        self.payments = payments = await income.payments(pnrs, f"{app.month[:4]}-01", app.month)
        this_month = {
            mask(p): [[x.type, x.amount] for x in pp.payments if x.month == app.month]
            for p, pp in payments.items()
        }
        self.facts.add("utbetalningar_månaden", this_month, SRC_INCOME)

    @step(
        "Apply Rules",
        needs=("app", "household", "history", "plans", "caps", "person", "payments"),
        gives=("decision",),
    )
    async def decide(self) -> None:
        """Decide with the rules of the month applied for (rule set
        ``nacka-ekonomiskt-bistand``, as of its first day); the trace names every rule with
        its legal reference and the calculation."""
        inputs = self._rules_input(
            self.app,
            self.household,
            self.history,
            self.plans,
            self.caps,
            self.person,
            self.payments,
            self.facts,
        )
        self.apply_rules(inputs, self.app.first_day)

    @step("Hand Over To Caseworker If Referred", needs=("decision", "case"), ends=True)
    async def hand_over_if_referred(self) -> Referred | None:
        """If the rules refer the case, it goes to a caseworker with the decision basis and
        the rules' recommendation (outcome and amount); otherwise the process goes on."""
        decision = self.decision
        if decision.outcome != "refer":
            return None
        self.facts.add(
            "rekommendation",
            {"utfall": decision.recommended_outcome, "belopp": decision.amount},
            "reglerna",
        )
        return Referred.by_rules(decision, self.facts, self.case.case_id)

    @step(
        "Write Decision Once And Read Back",
        needs=("app", "household", "decision", "case"),
        gives=("written",),
        ends=True,
    )
    async def write_decision(self) -> Referred | None:
        """Write the month's decision on the case exactly once and read it back; one that
        is already there and not the robot's own goes to a caseworker side by side."""
        self._refuse_referral()
        return await self._write_decision()

    @step(
        "Order Payment Once And Read Back",
        needs=("app", "household", "decision", "case", "written"),
        final=True,
    )
    async def order_payment(self) -> Decided | Referred:
        """For a grant, order the month's payment to the household's account exactly once
        and read it back; then the item is decided."""
        return await self._order_payment()

    # -- the case system ---------------------------------------------------------------------

    @staticmethod
    async def _household(
        screens: SocialServicesScreens, app: EbApplication, facts: Facts
    ) -> sp.Household:
        applicant = app.applicant.personnummer
        household = await screens.household(applicant)
        if household is None:
            raise BusinessException(
                ReasonCode.PERSON_NOT_FOUND,
                f"den sökande {mask(applicant)} har inget hushåll i ärendesystemet",
                field="applicant.personnummer",
            )
        facts.add(
            "hushåll_enligt_ärendesystemet",
            {
                "hushållsnummer": household.number,
                "senaste_ansökan": household.latest_month,
                "medlemmar": [[mask(m.personnummer), m.role] for m in household.members],
                "kostnader": household.costs,
                "inkomsttyper": sorted({(mask(p), t) for p, t, _ in household.incomes}),
                "skyddad": household.protected,
            },
            SRC_CASE,
        )
        return household

    async def _caps(self, screens: SocialServicesScreens) -> list[sp.RentCap]:
        """The rent caps: the same for every seat and item, read once per robot run."""
        if "rent_caps" not in self.run_cache:
            self.run_cache["rent_caps"] = await screens.rent_caps()
        caps: list[sp.RentCap] = self.run_cache["rent_caps"]
        return caps

    async def _find_or_create_case(
        self,
        ctx: WorkContext,
        screens: SocialServicesScreens,
        app: EbApplication,
        household: sp.Household,
    ) -> sp.EbCase:
        def ours(h: sp.Household | None) -> Any:
            cases = h.cases if h is not None else ()
            return next(
                (c for c in cases if c.extern_ref == app.id and c.case_type == CASE_TYPE), None
            )

        def read() -> Any:
            return screens.household(app.applicant.personnummer)

        existing = ours(household)
        left = settle_deadline(ctx, "writing_case")
        if existing is None and left is not None:  # an earlier creation may still land
            existing = ours(await settle(ctx, read, lambda h: ours(h) is not None, left_s=left))
        if existing is not None:  # an earlier attempt: the case may hold our writes
            return await screens.case(existing.case_id)
        await ctx.mark_step("writing_case")
        try:
            created = await ctx.session.create_case(
                app.applicant.personnummer, CASE_TYPE, app.id
            )
        except WriteOutcomeUnknown:
            landed = ours(
                await settle(ctx, read, lambda h: ours(h) is not None, left_s=ctx.settle_s)
            )
            if landed is None:
                raise
            return await screens.case(landed.case_id)
        return sp.EbCase(
            case_id=created.case_id,
            case_type=CASE_TYPE,
            status=created.status,
            extern_ref=app.id,
            diarienummer="",
            household=household.number,
            decisions=(),
            payments=(),
        )

    # -- the registers -----------------------------------------------------------------------

    async def _person(self, ctx: WorkContext, pnr: Personnummer) -> PersonRecord | None:
        try:
            return await ctx.systems["population"].person(pnr.digits)
        except BusinessException as exc:
            if exc.reason == ReasonCode.PERSON_NOT_FOUND and pnr.is_samordningsnummer:
                return None  # a samordningsnummer holder is not folkbokförd
            raise

    # -- the rules' input --------------------------------------------------------------------

    def _rules_input(
        self,
        app: EbApplication,
        household: sp.Household,
        history: list[sp.PreviousDecision],
        plans: list[sp.PlanRow],
        caps: list[sp.RentCap],
        person: PersonRecord | None,
        payments: dict[str, PersonPayments],
        facts: Facts,
    ) -> dict[str, Any]:
        index = {m.personnummer: i for i, m in enumerate(app.household)}
        roles = {m.personnummer: m.role for m in app.household}

        # The register's payments for the month, in the e-service's types.
        paid: dict[tuple[str, str], int] = defaultdict(int)
        child_before: dict[str, int] = defaultdict(int)  # children's wages earlier this year
        for pnr, pp in payments.items():
            for p in pp.payments:
                etype = p.type
                if p.type == "salary":
                    etype = "child_work_income" if roles.get(pnr) == "child" else "salary_net"
                if p.month == app.month:
                    paid[(pnr, etype)] += p.amount
                elif etype == "child_work_income" and p.month < app.month:
                    child_before[pnr] += p.amount
        declared: dict[tuple[str, str], int] = defaultdict(int)
        for inc in app.incomes:
            declared[(inc.personnummer, inc.type)] += inc.amount
        matches = {k: v for k, v in declared.items() if v} == {k: v for k, v in paid.items() if v}
        fetched = {p: pp.fetched_at for p, pp in payments.items()}

        incomes = []
        for inc in app.incomes:
            confirmed = (
                paid.get((inc.personnummer, inc.type)) == declared[(inc.personnummer, inc.type)]
            )
            line: dict[str, Any] = {
                "person": index[inc.personnummer],
                "type": inc.type,
                "amount": inc.amount,
                "source": "register" if confirmed else "application",
            }
            if confirmed and fetched.get(inc.personnummer):
                line["fetched_at"] = fetched[inc.personnummer]
            incomes.append(line)

        # Children's work income this year, this month (as declared) included.
        ytd: dict[int, int] = {}
        for inc in app.incomes:
            if inc.type == "child_work_income":
                i = index[inc.personnummer]
                ytd[i] = ytd.get(i, child_before[inc.personnummer]) + inc.amount
        child_ytd: int | dict[str, int] = (
            next(iter(ytd.values())) if len(ytd) == 1 else {str(k): v for k, v in ytd.items()}
        )
        if not ytd:
            child_ytd = 0

        previous = bool(household.latest_month)
        changed = previous and self._changed(app, household)
        months = self._consecutive_months(history, app.month)
        cap = self._rent_cap(app, caps)
        active_plan = any(
            p.personnummer == app.applicant.personnummer and p.status == "Aktiv" for p in plans
        )
        protected = household.protected or bool(person and person.protected_identity)
        registered = person is not None and person.municipality_code == MUNICIPALITY_CODE

        facts.add("registret_stämmer_med_ansökan", matches, SRC_INCOME)
        facts.add("ändrat_sedan_föregående", changed, SRC_CASE)
        facts.add("månader_i_följd_med_bistånd", months, SRC_CASE)
        facts.add("hyresnorm", cap, SRC_CASE)
        facts.add("aktiv_planering", active_plan, SRC_CASE)
        return {
            "household": [
                {"role": m.role, "birth_date": m.birth_date.isoformat(), "in_school": m.in_school}
                for m in app.household
            ],
            "costs": app.costs.model_dump(),
            "incomes": incomes,
            "consecutive_months_on_support": months,
            "child_work_income_this_year": child_ytd,
            "rent_cap": cap,
            "first_application": app.first_application or not previous,
            "active_labour_market_plan": active_plan,
            "register_matches_declared": matches,
            "changed_since_previous": changed,
            "special_expenses": bool(app.special_expenses),
            "assets_declared": bool(app.assets),
            "special_expense_items": [
                {"type": e.type, "amount": e.amount}
                for e in app.special_expenses
                if e.amount is not None
            ],
            "asset_items": [
                {"type": a.type, "value": a.value} for a in app.assets if a.value is not None
            ],
            "protected_identity": protected,
            "health_data_decisive": app.medical_certificate_attached
            or any(i.type in HEALTH_INCOMES for i in app.incomes),
            "samordningsnummer": Personnummer(app.applicant.personnummer).is_samordningsnummer,
            "registered_in_municipality": registered,
        }

    @staticmethod
    def _changed(app: EbApplication, household: sp.Household) -> bool:
        members_now = {(m.personnummer, m.role) for m in app.household}
        members_then = {(m.personnummer, m.role) for m in household.members}
        incomes_now = {(i.personnummer, i.type) for i in app.incomes}
        incomes_then = {(p, t) for p, t, _ in household.incomes}
        address_changed = False
        if household.address is not None:
            street, _, rest = household.address.partition(",")
            postal = rest.strip().split(" ")[0] if rest.strip() else ""
            address_changed = (
                street.strip().lower() != app.address.street.strip().lower()
                or postal != app.address.postal_code.replace(" ", "")
            )
        # Every cost item, not only rent: an item the case system does not show was 0.
        costs_changed = any(
            household.costs.get(item, 0) != getattr(app.costs, item) for item in COST_ITEMS
        )
        return (
            members_now != members_then
            or incomes_now != incomes_then
            or address_changed
            or costs_changed
        )

    @staticmethod
    def _consecutive_months(history: list[sp.PreviousDecision], month: str) -> int:
        granted = {d.month for d in history if d.outcome == "bifall"}
        count, m = 0, _previous_month(month)
        while m in granted:
            count += 1
            m = _previous_month(m)
        return count

    @staticmethod
    def _rent_cap(app: EbApplication, caps: list[sp.RentCap]) -> int | None:
        adults = sum(m.role in ADULT_ROLES for m in app.household)
        children = sum(m.role == "child" for m in app.household)
        a = "3+" if adults >= 3 else str(adults)
        c = "4+" if children >= 4 else str(children)
        day = app.first_day.isoformat()
        rows = [r for r in caps if r.adults == a and r.children == c and r.valid_from <= day]
        return max(rows, key=lambda r: r.valid_from).cap if rows else None

    # -- writing -----------------------------------------------------------------------------

    # Each write exactly once: whatever is already on the case for the month is compared
    # field by field with the robot's own (cases/writeback.py): only an exact match of the
    # robot's own writing is recovered; anything else goes to a caseworker with both side
    # by side.

    @property
    def _amount(self) -> int:
        return int(self.decision.amount or 0) if self.decision.outcome == "granted" else 0

    def _decisions(self, c: sp.EbCase) -> list[sp.EbDecisionRow]:
        return [d for d in c.decisions if d.month == self.app.month]

    def _payments(self, c: sp.EbCase) -> list[sp.PaymentRow]:
        return [p for p in c.payments if p.month == self.app.month]

    def _read_case(self) -> Any:
        return self.screens.case(self.case.case_id)

    def _decision_mismatch(self, c: sp.EbCase) -> str | None:
        month, robot = self.app.month, self.ctx.session.username
        found = self._decisions(c)
        if len(found) != 1:
            return f"{len(found)} beslut för {month} finns på ärendet"
        d = found[0]
        utfall = sp.OUTCOME_VALUES[self.decision.outcome]
        if d.decided_by != robot:
            return f"beslutet för {month} är fattat av {d.decided_by or 'okänd'}"
        if d.outcome != utfall:
            return f"utfallet är '{d.outcome}', roboten kom fram till '{utfall}'"
        if d.amount != self._amount:
            return f"beloppet är {d.amount} kr, roboten kom fram till {self._amount} kr"
        if not same_text(d.motivering, self.decision.motivering):
            return "motiveringen skiljer sig från robotens"
        if not d.diarienummer:
            return "beslutet saknar diarienummer"
        return None

    def _payment_mismatch(self, c: sp.EbCase) -> str | None:
        month, robot, account = self.app.month, self.ctx.session.username, self.household.account
        found = self._payments(c)
        if len(found) != 1:
            return f"{len(found)} utbetalningar för {month} finns på ärendet"
        p = found[0]
        if p.ordered_by != robot:
            return f"utbetalningen är beställd av {p.ordered_by or 'okänd'}"
        if p.amount != self._amount or p.account != account or not p.number:
            return f"utbetalningen är {p.amount} kr till {p.account}, inte {self._amount} kr"
        return None

    def _side_by_side(self, c: sp.EbCase, why: str) -> Referred:
        found = [
            {"utfall": d.outcome, "belopp": d.amount, "månad": d.month,
             "diarienummer": d.diarienummer, "beslutsfattare": d.decided_by}
            for d in self._decisions(c)
        ] + [
            {"utbetalning": p.amount, "månad": p.month, "utbetalningsnummer": p.number,
             "beställd_av": p.ordered_by}
            for p in self._payments(c)
        ]
        return conflict(self.ctx, self.decision, self.facts, c.case_id, found, why)

    async def _write_decision(self) -> Referred | None:
        """The month's decision, exactly once; None when it is on the case as the robot's."""
        ctx, app, decision = self.ctx, self.app, self.decision
        if not self.household.account:
            raise BusinessException(
                ReasonCode.MISSING_FIELD,
                "hushållet saknar utbetalningskonto i ärendesystemet",
                field="payout_account",
            )
        case = self.case
        left = settle_deadline(ctx, "writing_decision")
        if left is not None and not self._decisions(case):
            case = await settle(
                ctx, self._read_case, lambda c: bool(self._decisions(c)), left_s=left
            )
        if not self._decisions(case):
            if self._payments(case):
                return self._side_by_side(case, "en utbetalning finns men inget beslut")
            await ctx.mark_step("writing_decision")
            self.written_at = datetime.now(UTC)
            try:
                case = await self.screens.write_decision(
                    case.case_id, decision.outcome, self._amount, app.month, decision.motivering
                )
            except WriteOutcomeUnknown:
                case = await settle(
                    ctx, self._read_case, lambda c: bool(self._decisions(c)), left_s=ctx.settle_s
                )
                if not self._decisions(case):
                    raise
            if not self._decisions(case):
                raise UnexpectedScreen(
                    "beslutet syns inte på ärendet efter sparande",
                    system=SYSTEM,
                    step="verifiering",
                )
        if (why := self._decision_mismatch(case)) is not None:
            if self.written_at is not None and len(self._decisions(case)) == 1:
                raise UnexpectedScreen(
                    f"ärendet visar annat än det som skrevs: {why}",
                    system=SYSTEM,
                    step="verifiering",
                )
            return self._side_by_side(case, why)
        self.case = case
        self.written = found = self._decisions(case)[0]
        self.facts.add(
            "beslut",
            {
                "utfall": found.outcome,
                "belopp": found.amount,
                "månad": found.month,
                "diarienummer": found.diarienummer,
            },
            SRC_CASE,
        )
        return None

    async def _order_payment(self) -> Decided | Referred:
        """For a grant the month's payment order, exactly once; then the item is decided."""
        ctx, app, decision, case = self.ctx, self.app, self.decision, self.case
        if decision.outcome == "granted":
            left = settle_deadline(ctx, "writing_payment")
            if left is not None and not self._payments(case):
                case = await settle(
                    ctx, self._read_case, lambda c: bool(self._payments(c)), left_s=left
                )
            if not self._payments(case):
                await ctx.mark_step("writing_payment")
                self.written_at = self.written_at or datetime.now(UTC)
                try:
                    case = await self.screens.order_payment(
                        case.case_id, self._amount, app.month, self.household.account
                    )
                except WriteOutcomeUnknown:
                    case = await settle(
                        ctx,
                        self._read_case,
                        lambda c: bool(self._payments(c)),
                        left_s=ctx.settle_s,
                    )
                    if not self._payments(case):
                        raise
            if (why := self._payment_mismatch(case)) is not None:
                if not self._payments(case):
                    raise UnexpectedScreen(
                        "utbetalningen syns inte på ärendet efter beställning",
                        system=SYSTEM,
                        step="verifiering",
                    )
                return self._side_by_side(case, why)
            payment = self._payments(case)[0]
            self.facts.add(
                "utbetalning",
                {
                    "belopp": payment.amount,
                    "månad": payment.month,
                    "utbetalningsnummer": payment.number,
                },
                SRC_CASE,
            )
        return Decided(
            decision=decision,
            facts=self.facts,
            legacy_case_id=case.case_id,
            diarienummer=self.written.diarienummer,
            recovered=self.written_at is None,
            written_at=self.written_at,
            verified_at=datetime.now(UTC),
        )


def _application_summary(app: EbApplication) -> dict[str, object]:
    return {
        "id": app.id,
        "månad": app.month,
        "första_ansökan": app.first_application,
        "hushållets_storlek": len(app.household),
        "kostnader": app.costs.model_dump(),
        "inkomster": [[mask(i.personnummer), i.type, i.amount] for i in app.incomes],
        "särskilda_utgifter": len(app.special_expenses),
        "tillgångar": len(app.assets),
        "läkarintyg": app.medical_certificate_attached,
        "fritext": app.free_text,
    }
