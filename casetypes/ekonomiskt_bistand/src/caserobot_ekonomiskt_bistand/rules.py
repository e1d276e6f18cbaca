"""Ekonomiskt bistånd (försörjningsstöd) for one month, on the Trelleborg model.

Facts and sources: ``/work/shared/domain/case-rules.md`` section 1; rule texts and
figures: ``config/`` next to this module. In short::

    amount = max(0, riksnorm(household) + reasonable costs − counted income)

in whole kronor, with rent capped by the municipality's cap, 25 % of salary disregarded
under jobbstimulans and children's work income disregarded up to one prisbasbelopp a
year. The robot grants standard cases; Trelleborg's checks (first application, registers,
changes, labour-market plan) and the other reasons below send a case to a caseworker
with the recommended outcome and amount. A proposed refusal also goes to a caseworker
unless the municipality's policy (``policy_automate_refusals``) automates refusals.

Input: :class:`~caserobot_ekonomiskt_bistand._input.EkonomisktBistandInput`; household rules:
:mod:`caserobot_ekonomiskt_bistand._household`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from caserobot.exceptions import ConfigurationError, ReasonCode
from caserobot.rules import (
    Calculation,
    CalculationLine,
    CaseType,
    Check,
    Evaluation,
    Referral,
    kronor,
    register,
)
from caserobot_ekonomiskt_bistand._amounts import (
    INCOME_TREATMENTS,
    Line,
    above_guideline,
    child_counted,
    cost_lines,
    income_lines,
    jobbstimulans_status,
    personal_lines,
    shared_line,
)
from caserobot_ekonomiskt_bistand._household import (
    COST_LABELS,
    IN_HOUSEHOLD,
    classify,
    household_kind,
)
from caserobot_ekonomiskt_bistand._input import EkonomisktBistandInput
from caserobot_ekonomiskt_bistand.reasons import BistandReason

CONFIG_DIR = Path(__file__).parent / "config"
CASE_TYPE = register(CaseType("ekonomiskt_bistand", EkonomisktBistandInput, config_dir=CONFIG_DIR))


# ---- referrals on the application's flags: a person decides ------------------------

# (rule id, input field, value that refers, reason code, reason in Swedish)
FLAG_REFERRALS: list[tuple[str, str, bool, ReasonCode, str]] = [
    (
        "first_application",
        "first_application",
        True,
        BistandReason.FIRST_APPLICATION,
        "Det är en första ansökan. Den första utredningen, med bedömning av arbetsförmågan, "
        "görs alltid av en handläggare.",
    ),
    (
        "register_mismatch",
        "register_matches_declared",
        False,
        BistandReason.REGISTER_MISMATCH,
        "Inkomstuppgifterna i registren (Försäkringskassan, Skatteverket, CSN, a-kassa) "
        "stämmer inte med dem som anges i ansökan.",
    ),
    (
        "changed_since_previous",
        "changed_since_previous",
        True,
        BistandReason.CHANGED_SINCE_PREVIOUS,
        "Uppgifterna skiljer sig från föregående ansökan (hushåll, adress, boendekostnad eller "
        "inkomsttyper).",
    ),
    (
        "labour_market_plan",
        "active_labour_market_plan",
        False,
        BistandReason.NO_LABOUR_MARKET_PLAN,
        "Sökanden har ingen aktiv arbetsmarknadsplanering.",
    ),
    (
        "protected_identity",
        "protected_identity",
        True,
        ReasonCode.PROTECTED_IDENTITY,
        "Någon i hushållet har skyddade personuppgifter. Sådana ärenden handläggs av en "
        "handläggare.",
    ),
    (
        "samordningsnummer",
        "samordningsnummer",
        True,
        BistandReason.SAMORDNINGSNUMMER,
        "Sökanden har samordningsnummer och är inte folkbokförd i Sverige.",
    ),
    (
        "registered_in_municipality",
        "registered_in_municipality",
        False,
        BistandReason.NOT_REGISTERED_IN_MUNICIPALITY,
        "Sökanden är inte folkbokförd i {municipality} kommun. En handläggare prövar vilken "
        "kommun som ansvarar för biståndet.",
    ),
    (
        "special_expenses",
        "special_expenses",
        True,
        BistandReason.SPECIAL_EXPENSES,
        "Ansökan gäller också särskilda utgifter (till exempel tandvård, glasögon eller "
        "möbler), som prövas individuellt.",
    ),
    (
        "assets_declared",
        "assets_declared",
        True,
        BistandReason.ASSETS_DECLARED,
        "Sökanden har uppgett tillgångar eller banksaldo, som ska prövas innan bistånd kan "
        "beviljas.",
    ),
    (
        "health_data",
        "health_data_decisive",
        True,
        ReasonCode.HEALTH_DATA_DECISIVE,
        "Bedömningen grundas på uppgifter om hälsa (till exempel läkarintyg). Ett sådant "
        "beslut ska fattas av en handläggare (dataskyddsförordningen art. 22.4).",
    ),
]


def _register_flag(
    rule_id: str, field: str, refer_when: bool, code: ReasonCode, reason: str
) -> None:
    def rule(ev: Evaluation, **inputs: bool) -> Referral | None:
        if inputs[field] is not refer_when:
            return None
        return Referral(code, reason.format(municipality=ev.rule_set.municipality))

    CASE_TYPE.rule(rule_id, kind="referral")(rule)


for _flag in FLAG_REFERRALS:
    _register_flag(*_flag)


# ---- the household and the riksnorm ------------------------------------------------


@CASE_TYPE.rule("household", kind="value")
def _household(ev: Evaluation, household: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each member's age on the decision date, category and norm band."""
    return classify(household, ev.as_of)


@CASE_TYPE.rule("adult_child", kind="referral")
def _adult_child(ev: Evaluation, adult_children: list[dict[str, Any]]) -> Referral | None:
    if not adult_children:
        return None
    who = " och ".join(
        f"{m['label']}, som {'har fyllt 21' if m['age'] >= 21 else 'inte går i skolan'}"
        for m in adult_children
    )
    return Referral(
        BistandReason.ADULT_CHILD,
        f"I hushållet finns {who}. Ett barn som fyllt 18 och inte går i skolan, eller som "
        "fyllt 21, ingår inte i föräldrarnas försörjningsstöd utan är ett eget ärende. I "
        "förslaget räknas personen in i hushållets storlek men inte i normen eller inkomsterna.",
    )


@CASE_TYPE.rule("norm_personal", kind="value")
def _norm_personal(ev: Evaluation, members: list[dict[str, Any]]) -> list[Line]:
    return personal_lines(members, ev.param)


@CASE_TYPE.rule("norm_shared", kind="value")
def _norm_shared(ev: Evaluation, household_size: int, in_household: int) -> Line:
    return shared_line(household_size, in_household, ev.param)


@CASE_TYPE.rule("norm_estimated", kind="referral")
def _norm_estimated(ev: Evaluation, household_kind: str, norm: int) -> Referral | None:
    if not ev.param("riksnorm_estimated") or not ev.param("policy_refer_estimated_norm"):
        return None
    official = ev.param("riksnorm_official_totals")
    if official.get(household_kind) == norm:
        return None  # the norm equals an official total: nothing estimated in it
    return Referral(
        BistandReason.NORM_ESTIMATED,
        f"Riksnormen för {ev.as_of.year} finns i regeldata bara som uppskattning per "
        "åldersgrupp och hushållsstorlek. Normen för hushållet ska kontrolleras mot den "
        "officiella tabellen.",
    )


# ---- costs ------------------------------------------------------------------------


GUIDELINE_SIZES = 7  # cost_guideline has keys 1..7, "7" meaning seven or more
SPECIAL_LABELS = {"dental_care": "tandvård", "glasses": "glasögon", "furniture": "möbler"}
ASSET_LABELS = {"bank_balance": "banksaldo", "car": "bil", "securities": "värdepapper"}


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} personer"


@CASE_TYPE.rule("cost_ceilings", kind="value")
def _cost_ceilings(
    ev: Evaluation, items: list[str], household_size: int, rent_cap: int | None
) -> dict[str, int]:
    """The municipality's level for each declared item and this household size.

    Rent is capped by the case system's cap when it gives one; the guideline applies to
    rent only without it.
    """
    size = str(min(household_size, GUIDELINE_SIZES))
    return {
        item: ev.param("cost_guideline", f"{item}.{size}")
        for item in items
        if not (item == "rent" and rent_cap is not None)
    }


@CASE_TYPE.rule("reasonable_costs", kind="value")
def _reasonable_costs(
    ev: Evaluation, costs: dict[str, int], rent_cap: int | None, ceilings: dict[str, int]
) -> list[Line]:
    return cost_lines(costs, rent_cap, ceilings)


@CASE_TYPE.rule("rent_cap", kind="referral")
def _rent_cap(ev: Evaluation, rent: int, rent_cap: int | None) -> Referral | None:
    if rent_cap is None or rent <= rent_cap:
        return None
    return Referral(
        BistandReason.RENT_ABOVE_CAP,
        f"Boendekostnaden {kronor(rent)} är högre än kommunens tak {kronor(rent_cap)} för "
        f"hushållet. I förslaget räknas {kronor(rent_cap)}; om en högre kostnad är skälig "
        "prövas individuellt.",
    )


@CASE_TYPE.rule("cost_guideline", kind="referral")
def _cost_guideline(
    ev: Evaluation, costs: dict[str, int], ceilings: dict[str, int], household_size: int
) -> Referral | None:
    above = above_guideline(costs, ceilings)
    if not above:
        return None
    items = "; ".join(
        f"{COST_LABELS[item]} {kronor(amount)} är mer än riktvärdet {kronor(ceilings[item])}"
        for item, amount in above.items()
    )
    return Referral(
        BistandReason.COST_ABOVE_GUIDELINE,
        f"Kostnader över kommunens riktvärde för ett hushåll med "
        f"{_people(household_size)}: {items}. I förslaget räknas riktvärdet; om en högre "
        "kostnad är skälig prövas individuellt.",
    )


@CASE_TYPE.rule("special_expense_guideline", kind="referral")
def _special_expense_guideline(
    ev: Evaluation, special_expense_items: list[dict[str, Any]]
) -> Referral | None:
    above = []
    for i, item in enumerate(special_expense_items):
        known = item["type"] in SPECIAL_LABELS
        level = ev.param("special_expense_guideline", item["type"] if known else "other")
        if item["amount"] > level:
            what = SPECIAL_LABELS.get(item["type"], f"särskild utgift nr {i + 1}")
            above.append(f"{what} {kronor(item['amount'])} (riktvärde {kronor(level)})")
    if not above:
        return None
    return Referral(
        BistandReason.COST_ABOVE_GUIDELINE,
        f"Särskilda utgifter över kommunens riktvärde: {'; '.join(above)}.",
    )


@CASE_TYPE.rule("asset_guideline", kind="referral")
def _asset_guideline(ev: Evaluation, asset_items: list[dict[str, Any]]) -> Referral | None:
    level = ev.param("asset_value_guideline")
    above = [
        f"{ASSET_LABELS.get(a['type'], f'tillgång nr {i + 1}')} {kronor(a['value'])}"
        for i, a in enumerate(asset_items)
        if a["value"] > level
    ]
    if not above:
        return None
    return Referral(
        BistandReason.COST_ABOVE_GUIDELINE,
        f"Uppgivna tillgångar över kommunens riktvärde {kronor(level)}: {'; '.join(above)}. "
        "Värdet ska kontrolleras och tillgången prövas innan bistånd kan beviljas.",
    )


# ---- incomes ----------------------------------------------------------------------


@CASE_TYPE.rule("jobbstimulans", kind="value")
def _jobbstimulans(ev: Evaluation, consecutive_months_on_support: int) -> dict[str, Any]:
    """Whether a share of salary is disregarded; the reading is in parameters.yaml."""
    months = ev.param("jobbstimulans_months")
    status = jobbstimulans_status(
        consecutive_months_on_support, months["qualifying"], months["duration"]
    )
    status["percent"] = ev.param("jobbstimulans_percent") if status["active"] else 0
    return status


@CASE_TYPE.rule("child_work_income", kind="value")
def _child_work_income(
    ev: Evaluation, this_month: dict[str, int], this_year: dict[str, int]
) -> dict[str, Any]:
    """Per child, the part of this month's work income above one prisbasbelopp a year."""
    allowance = ev.param("prisbasbelopp")
    return {"allowance": allowance, "counted": child_counted(this_month, this_year, allowance)}


@CASE_TYPE.rule("counted_income", kind="value")
def _counted_income(
    ev: Evaluation,
    incomes: list[dict[str, Any]],
    members: list[dict[str, Any]],
    jobbstimulans: dict[str, Any] | None,
    child_work_income: dict[str, Any] | None,
) -> list[Line]:
    treatment = ev.param("income_treatment")
    for kind in sorted({income["type"] for income in incomes}):
        if treatment.get(kind) not in INCOME_TREATMENTS:
            raise ConfigurationError(
                str(ev.parameters_path),
                f"income_treatment (in force {ev.as_of.isoformat()}) must map {kind!r} to one "
                f"of {', '.join(INCOME_TREATMENTS)}; it has {treatment.get(kind)!r}",
            )
    percent = jobbstimulans["percent"] if jobbstimulans else None
    return income_lines(incomes, members, treatment, percent, child_work_income)


# ---- the decision -----------------------------------------------------------------


@CASE_TYPE.rule("need")
def _need(ev: Evaluation, norm: int, reasonable_costs: int, counted_income: int) -> Check:
    need = norm + reasonable_costs
    if counted_income < need:
        return Check(
            True,
            f"Hushållets norm är {kronor(norm)} och de skäliga kostnaderna "
            f"{kronor(reasonable_costs)}, sammanlagt {kronor(need)}. Inkomsterna som räknas är "
            f"{kronor(counted_income)}. Försörjningsstöd beviljas med mellanskillnaden, "
            f"{kronor(need - counted_income)}.",
        )
    surplus = "" if counted_income == need else f" (normöverskott {kronor(counted_income - need)})"
    return Check(
        False,
        f"Hushållets inkomster som räknas, {kronor(counted_income)}, täcker normen och de "
        f"skäliga kostnaderna, sammanlagt {kronor(need)}{surplus}. Hushållet har därför inte "
        "rätt till försörjningsstöd för månaden.",
    )


@CASE_TYPE.rule("outcome_policy", kind="referral")
def _outcome_policy(ev: Evaluation, proposed: str) -> Referral | None:
    if proposed != "denied" or ev.param("policy_automate_refusals"):
        return None
    return Referral(
        ReasonCode.PROPOSED_REFUSAL,
        "Förslaget är avslag. Beslut om avslag fattas av en handläggare; den automatiserade "
        "beslutsfunktionen beslutar bara om bifall.",
    )


@CASE_TYPE.evaluator
def evaluate(ev: Evaluation, data: EkonomisktBistandInput) -> None:
    """Apply the rules; the engine turns the results into a decision."""
    for rule_id, field, *_ in FLAG_REFERRALS:
        ev.apply(rule_id, **{field: getattr(data, field)})

    raw = data.model_dump(mode="json")
    members = ev.apply("household", household=raw["household"])
    ev.apply("adult_child", adult_children=[m for m in members if m["category"] == "adult_child"])
    in_household = [m for m in members if m["category"] in IN_HOUSEHOLD]
    # New lists throughout: a rule's result is kept in the trace as it was returned.
    lines = [
        *ev.apply("norm_personal", members=in_household),
        ev.apply("norm_shared", household_size=len(members), in_household=len(in_household)),
    ]
    ev.apply(
        "norm_estimated",
        household_kind=household_kind(members),
        norm=sum(line["counted"] for line in lines),
    )

    costs = data.costs.declared()
    ceilings = ev.apply(
        "cost_ceilings", items=list(costs), household_size=len(members), rent_cap=data.rent_cap
    )
    lines = [
        *lines,
        *ev.apply("reasonable_costs", costs=costs, rent_cap=data.rent_cap, ceilings=ceilings),
    ]
    if "rent" in costs:
        ev.apply("rent_cap", rent=costs["rent"], rent_cap=data.rent_cap)
    ev.apply("cost_guideline", costs=costs, ceilings=ceilings, household_size=len(members))
    if raw["special_expense_items"]:
        ev.apply("special_expense_guideline", special_expense_items=raw["special_expense_items"])
    if raw["asset_items"]:
        ev.apply("asset_guideline", asset_items=raw["asset_items"])

    jobb = child = None
    if any(
        i.type == "salary_net" and members[i.person]["category"] in IN_HOUSEHOLD
        for i in data.incomes
    ):
        jobb = ev.apply(
            "jobbstimulans", consecutive_months_on_support=data.consecutive_months_on_support
        )
    if month := data.child_work_income_this_month():
        ytd = data.child_work_income_ytd()
        child = ev.apply(
            "child_work_income",
            this_month={str(k): v for k, v in month.items()},
            this_year={str(k): ytd[k] for k in month},
        )
    lines = [
        *lines,
        *ev.apply(
            "counted_income",
            incomes=raw["incomes"],
            members=members,
            jobbstimulans=jobb,
            child_work_income=child,
        ),
    ]

    calculation = Calculation(lines=[CalculationLine.model_validate(x) for x in lines])
    ev.record_calculation(calculation)
    need = ev.apply(
        "need",
        norm=calculation.norm,
        reasonable_costs=calculation.reasonable_costs,
        counted_income=calculation.counted_income,
    )
    ev.apply("outcome_policy", proposed="granted" if need.passed else "denied")
