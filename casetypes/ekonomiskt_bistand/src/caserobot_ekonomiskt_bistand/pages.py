"""Page objects of the case system's social-services screens (ekonomiskt bistånd).

Every selector and parser of these screens is here; the skolskjuts screens are in
:mod:`pages`. Parsers take HTML, like those in :mod:`pages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from caserobot.exceptions import UnexpectedScreen
from caserobot.legacy.casesystem.pages import (
    CASE_INFO_LABELS,
    CASES_TABLE,
    NEW_CASE_FIELDS,
    SYSTEM,
    CaseSummary,
    _kv_table,
    _require,
    _rows,
    _yes,
    check_screen,
)
from caserobot.legacy.casesystem.screens import Form, ScreenSet, ScreenSpec, Table, require

HOUSEHOLD_BY_PNR = "/hushall?pnr={pnr}"
HISTORY = "/hushall/{number}/historik"
PLANNING = "/hushall/{number}/planering"
RENT_CAPS = "/hyresnormer"
NEW_EB_CASE = "/arende/ny?pnr={pnr}&typ=ekonomiskt_bistand"
EB_DECISION_PATH = "/arende/{case_id}/beslut"
PAYMENT_PATH = "/arende/{case_id}/utbetalning"
EB_DECISION_FORM = "form#ebbeslut"
PAYMENT_FORM = "form#utbetalningsform"
PROTECTED_ADDRESS = "Skyddade personuppgifter"
OUTCOME_VALUES = {"granted": "bifall", "denied": "avslag"}

# The household page's cost rows, label → the e-service's cost key.
COST_LABELS = {
    "Hyra": "rent",
    "Hushållsel": "household_electricity",
    "Hemförsäkring": "home_insurance",
    "Arbetsresor": "work_travel",
    "Fackavgift": "union_fee",
    "A-kasseavgift": "a_kassa_fee",
}

# What the robot relies on, screen by screen (see pages.py and caserobot.canary).
HOUSEHOLD = ScreenSpec(
    name="hushållssida",
    title="hushållssidan",
    path=HOUSEHOLD_BY_PNR,
    tables=(
        Table(
            "hushall",
            labels=(
                "Hushållsnummer",
                "Personnummer",
                "Adress",
                "Kommun",
                "Senaste ansökan",
                *COST_LABELS,
                "Utbetalningskonto",
            ),
        ),
        Table("medlemmar", columns=("Personnummer", "Namn", "Roll", "Födelsedatum", "Skolgång")),
        Table("inkomster", columns=("Personnummer", "Inkomsttyp", "Belopp")),
        CASES_TABLE,
    ),
)
HISTORY_SCREEN = ScreenSpec(
    name="beslutshistorik",
    title="beslutshistoriken",
    path=HISTORY,
    tables=(
        Table(
            "tidigare-beslut",
            columns=("Månad", "Beslutsdatum", "Utfall", "Belopp", "Diarienummer", "Ärende-id"),
        ),
    ),
)
PLANNING_SCREEN = ScreenSpec(
    name="arbetsmarknadsplanering",
    title="arbetsmarknadsplaneringen",
    path=PLANNING,
    tables=(
        Table("planering", columns=("Personnummer", "Namn", "Status", "Startdatum", "Slutdatum")),
    ),
)
RENT_CAPS_SCREEN = ScreenSpec(
    name="hyresnormer",
    title="hyresnormerna",
    path=RENT_CAPS,
    tables=(
        Table("hyresnormer", columns=("Vuxna", "Barn", "Högsta boendekostnad", "Gäller från")),
    ),
)
EB_CASE = ScreenSpec(
    name="ärendesida",
    title="ärendesidan",
    path="/arende/{case_id}",
    tables=(
        Table("arendeinfo", labels=(*CASE_INFO_LABELS, "Hushållsnummer")),
        Table(
            "beslut",
            columns=(
                "Datum",
                "Utfall",
                "Motivering",
                "Diarienummer",
                "Beslutsfattare",
                "Belopp",
                "Månad",
            ),
        ),
        Table(
            "utbetalningar",
            columns=("Datum", "Belopp", "Månad", "Konto", "Utbetalningsnummer", "Beställd av"),
        ),
    ),
)
NEW_EB_CASE_SCREEN = ScreenSpec(
    name="nytt ärende",
    title="formuläret för nytt ärende",
    path=NEW_EB_CASE,
    forms=(Form("nyttarende", (*NEW_CASE_FIELDS, ("formtoken", "hidden"))),),
)
_CONTROL = (("formtoken", "hidden"), ("kontroll", "hidden"))
EB_DECISION = ScreenSpec(
    name="beslut",
    title="beslutsformuläret",
    path=EB_DECISION_PATH,
    forms=(
        Form(
            "ebbeslut",
            (
                ("utfall", "select"),
                ("belopp", "text"),
                ("manad", "text"),
                ("motivering", "textarea"),
                *_CONTROL,
            ),
        ),
    ),
)
PAYMENT = ScreenSpec(
    name="utbetalning",
    title="utbetalningsformuläret",
    path=PAYMENT_PATH,
    forms=(
        Form(
            "utbetalningsform",
            (("belopp", "text"), ("manad", "text"), ("konto", "text"), *_CONTROL),
        ),
    ),
)
#: Every screen the ekonomiskt bistånd robot reads or writes.
SCREENS = (
    HOUSEHOLD,
    HISTORY_SCREEN,
    PLANNING_SCREEN,
    RENT_CAPS_SCREEN,
    EB_CASE,
    NEW_EB_CASE_SCREEN,
    EB_DECISION,
    PAYMENT,
)

# Fill a form's named fields (input/change events fire) and submit it through the page's
# own handler, which computes the control field and asks confirm(). Returns false if the
# form or a field is missing.
FILL_FORM_AND_SUBMIT_JS = """([selector, values]) => {
  const form = document.querySelector(selector);
  if (!form) return false;
  // A required field the robot does not fill means the form changed: never submit it.
  for (const el of form.elements) {
    if (el.required && !(el.name in values)) return false;
  }
  for (const [name, value] of Object.entries(values)) {
    const el = form.elements[name];
    if (!el) return false;
    el.value = value;
    el.dispatchEvent(new Event('input', {bubbles: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
    if (el.value !== value) return false;
  }
  const submit = form.querySelector('[type=submit]');
  setTimeout(() => form.requestSubmit(submit), 0);
  return true;
}"""


@dataclass(frozen=True)
class HouseholdMember:
    personnummer: str  # 12 digits
    name: str
    role: str  # applicant, partner, child, other_adult
    birth_date: str
    in_school: bool


@dataclass(frozen=True)
class Household:
    """The household as on record in the case system (its latest application)."""

    number: str
    applicant_pnr: str
    address: str | None  # None when protected
    municipality: str
    latest_month: str  # "" for a new applicant
    costs: dict[str, int]  # empty for a new applicant
    account: str
    members: tuple[HouseholdMember, ...]
    incomes: tuple[tuple[str, str, int], ...]  # (personnummer, e-service type, amount)
    cases: tuple[CaseSummary, ...]
    protected: bool


@dataclass(frozen=True)
class PreviousDecision:
    month: str
    date: str
    outcome: str  # bifall / avslag
    amount: int
    diarienummer: str
    case_id: str


@dataclass(frozen=True)
class PlanRow:
    personnummer: str
    status: str  # Aktiv / Avslutad
    start: str
    end: str


@dataclass(frozen=True)
class RentCap:
    adults: str  # 1, 2, 3+
    children: str  # 0 … 3, 4+
    cap: int
    valid_from: str


@dataclass(frozen=True)
class EbDecisionRow:
    date: str
    outcome: str  # bifall / avslag
    motivering: str
    diarienummer: str
    decided_by: str
    amount: int
    month: str


@dataclass(frozen=True)
class PaymentRow:
    date: str
    amount: int
    month: str
    account: str
    number: str
    ordered_by: str


@dataclass(frozen=True)
class EbCase:
    case_id: str
    case_type: str
    status: str
    extern_ref: str
    diarienummer: str
    household: str
    decisions: tuple[EbDecisionRow, ...]
    payments: tuple[PaymentRow, ...]


def _pnr(text: str) -> str:
    return text.replace("-", "").strip()


def _int(text: str) -> int:
    cleaned = text.replace(" ", "").replace("\xa0", "")
    return int(cleaned) if cleaned.lstrip("-").isdigit() else 0


def parse_household(html: str) -> Household | None:
    step = "hushållssida"
    tree = check_screen(html, step)
    if tree.css_first("#ingen-traff") is not None:
        return None
    require(tree, HOUSEHOLD, step)
    info = _kv_table(tree, "hushall", step)
    if info is None:
        raise UnexpectedScreen("hushållssidan saknar hushållsuppgifter", system=SYSTEM, step=step)
    protected = tree.css_first("p#skyddad") is not None
    costs = {
        key: _int(info[label]) for label, key in COST_LABELS.items() if info.get(label, "") != ""
    }
    members = tuple(
        HouseholdMember(
            personnummer=_pnr(c[0].text(strip=True)),
            name=c[1].text(strip=True),
            role=c[2].attributes.get("data-roll") or "",
            birth_date=c[3].text(strip=True),
            in_school=_yes(c[4].text(strip=True)),
        )
        for c in _rows(tree, "medlemmar")
        if len(c) >= 5
    )
    incomes = tuple(
        (_pnr(c[0].text(strip=True)), c[1].attributes.get("data-typ") or "", _int(c[2].text()))
        for c in _rows(tree, "inkomster")
        if len(c) >= 3
    )
    cases = tuple(
        CaseSummary(*(cell.text(strip=True) for cell in c[:5]))
        for c in _rows(tree, "arenden")
        if len(c) >= 5
    )
    address = _require(info, "Adress", step)
    return Household(
        number=_require(info, "Hushållsnummer", step),
        applicant_pnr=_pnr(_require(info, "Personnummer", step)),
        address=None if protected or address == PROTECTED_ADDRESS else address,
        municipality=info.get("Kommun", ""),
        latest_month=info.get("Senaste ansökan", ""),
        costs=costs,
        account=info.get("Utbetalningskonto", ""),
        members=members,
        incomes=incomes,
        cases=cases,
        protected=protected,
    )


def parse_history(html: str) -> list[PreviousDecision]:
    tree = check_screen(html, "beslutshistorik")
    require(tree, HISTORY_SCREEN)
    return [
        PreviousDecision(
            month=c[0].text(strip=True),
            date=c[1].text(strip=True),
            outcome=c[2].attributes.get("data-utfall") or "",
            amount=_int(c[3].text(strip=True)),
            diarienummer=c[4].text(strip=True),
            case_id=c[5].text(strip=True),
        )
        for c in _rows(tree, "tidigare-beslut")
        if len(c) >= 6
    ]


def parse_planning(html: str) -> list[PlanRow]:
    tree = check_screen(html, "arbetsmarknadsplanering")
    require(tree, PLANNING_SCREEN)
    return [
        PlanRow(
            personnummer=_pnr(c[0].text(strip=True)),
            status=c[2].text(strip=True),
            start=c[3].text(strip=True),
            end=c[4].text(strip=True),
        )
        for c in _rows(tree, "planering")
        if len(c) >= 5
    ]


def parse_rent_caps(html: str) -> list[RentCap]:
    tree = check_screen(html, "hyresnormer")
    require(tree, RENT_CAPS_SCREEN)
    caps = [
        RentCap(
            adults=c[0].text(strip=True),
            children=c[1].text(strip=True),
            cap=_int(c[2].text(strip=True)),
            valid_from=c[3].text(strip=True),
        )
        for c in _rows(tree, "hyresnormer")
        if len(c) >= 4
    ]
    if not caps:
        raise UnexpectedScreen("hyresnormerna saknas", system=SYSTEM, step="hyresnormer")
    return caps


def parse_eb_case(html: str) -> EbCase:
    step = "ärendesida"
    tree = check_screen(html, step)
    require(tree, EB_CASE, step)
    info = _kv_table(tree, "arendeinfo", step)
    if info is None:
        raise UnexpectedScreen("ärendesidan saknar ärendeinfo", system=SYSTEM, step=step)
    decisions = tuple(
        EbDecisionRow(
            date=c[0].text(strip=True),
            outcome=c[1].attributes.get("data-utfall") or c[1].text(strip=True),
            motivering=c[2].text(strip=True),
            diarienummer=c[3].text(strip=True),
            decided_by=c[4].text(strip=True),
            amount=_int(c[5].text(strip=True)),
            month=c[6].text(strip=True),
        )
        for c in _rows(tree, "beslut")
        if len(c) >= 7
    )
    payments = tuple(
        PaymentRow(
            date=c[0].text(strip=True),
            amount=_int(c[1].text(strip=True)),
            month=c[2].text(strip=True),
            account=c[3].text(strip=True),
            number=c[4].text(strip=True),
            ordered_by=c[5].text(strip=True),
        )
        for c in _rows(tree, "utbetalningar")
        if len(c) >= 6
    )
    return EbCase(
        case_id=_require(info, "Ärende-id", step),
        case_type=_require(info, "Typ", step),
        status=_require(info, "Status", step),
        extern_ref=_require(info, "Extern referens", step),
        diarienummer=info.get("Diarienummer", ""),
        household=info.get("Hushållsnummer", ""),
        decisions=decisions,
        payments=payments,
    )


def error_text(html: str) -> str | None:
    node = HTMLParser(html).css_first("p.fel")
    return node.text(strip=True) if node is not None else None


def _discover_household(html: str, pnr: str) -> dict[str, Any]:
    household = parse_household(html)
    if household is None:
        return {"case_ids": []}
    cases = [c.case_id for c in household.cases if c.case_type == "ekonomiskt_bistand"]
    return {"case_ids": cases, "number": household.number}


#: The screens of the ekonomiskt bistånd robot, for the UI-drift canary.
SCREEN_SET = ScreenSet(
    "ekonomiskt_bistand", SCREENS, ("application", "applicant", "personnummer"), _discover_household
)
