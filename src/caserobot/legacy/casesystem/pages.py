"""Page objects of the case system: every selector and screen parser in one place.

Parsers take HTML, so the same code reads a page fetched through the browser session
(fast) and a page rendered in the browser (classic).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from caserobot.exceptions import NoFreeSeat, SessionExpired, UnexpectedScreen
from caserobot.legacy.casesystem.screens import Form, ScreenSpec, Table, require

SYSTEM = "ärendesystemet"

# Login screen
LOGIN_PATH = "/login"
LOGIN_USER = "input[name=username]"
LOGIN_PASSWORD = "input[name=password]"  # nosec B105  # a CSS selector for the password field
LOGIN_SUBMIT = "form [type=submit]"
NO_SEAT_TITLE = "Ingen ledig licens"
LOGGED_IN_AS = "#inloggad-som"  # the header's "Inloggad: <user>", on every page after login

# Decision form
DECISION_FORM = "form#beslutsform"
DECISION_OUTCOME = "form#beslutsform select[name=utfall]"
DECISION_TEXT = "form#beslutsform textarea[name=motivering]"
DECISION_SUBMIT = "form#beslutsform [type=submit]"
FILL_AND_SUBMIT_JS = """([outcome, text]) => {
  const form = document.querySelector('form#beslutsform');
  if (!form || !form.elements.utfall || !form.elements.motivering) return false;
  // A required field the robot does not fill means the form changed: never submit it.
  for (const el of form.elements) {
    if (el.required && !['utfall', 'motivering'].includes(el.name)) return false;
  }
  const set = (el, value) => {
    el.value = value;
    el.dispatchEvent(new Event('input', {bubbles: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
  };
  set(form.elements.utfall, outcome);
  set(form.elements.motivering, text);
  if (form.elements.utfall.value !== outcome) return false;
  // After this call returns: submit runs the page's own handler (confirm + control field).
  setTimeout(() => form.requestSubmit(form.querySelector('[type=submit]')), 0);
  return true;
}"""

# New-case form
NEW_CASE_FORM = "form#nyttarende"

# What the robot relies on, screen by screen (the parsers below check it on every screen they
# read; the UI-drift canary, caserobot.canary, checks every screen before a batch).
CASES_TABLE = Table(
    "arenden", columns=("Ärende-id", "Typ", "Extern referens", "Status", "Diarienummer")
)
PUPIL = ScreenSpec(
    name="elevsida",
    title="elevsidan",
    path="/elev?pnr={pnr}",
    tables=(
        Table("elevuppgifter"),
        Table(
            "placering",
            labels=(
                "Skola",
                "Skolenhetskod",
                "Årskurs",
                "Skolans kommun",
                "Huvudman",
                "Skolans adress",
                "Närmaste kommunala skola",
                "Sökt närmaste kommunala skola och nekats",
            ),
        ),
        CASES_TABLE,
    ),
)
CASE_SEARCH = ScreenSpec(
    name="ärendesök",
    title="ärendesöket",
    path="/arenden?pnr={pnr}",
    tables=(CASES_TABLE,),
)
SCHOOLS = ScreenSpec(
    name="skolor",
    title="skollistan",
    path="/skolor",
    tables=(Table("skolor", columns=("Skola", "Skolenhetskod", "Kommun", "Huvudman", "Adress")),),
)
CASE_INFO_LABELS = ("Ärende-id", "Typ", "Status", "Extern referens", "Personnummer", "Diarienummer")
CASE = ScreenSpec(
    name="ärendesida",
    title="ärendesidan",
    path="/arende/{case_id}",
    tables=(
        Table("arendeinfo", labels=CASE_INFO_LABELS),
        Table(
            "beslut", columns=("Datum", "Utfall", "Motivering", "Diarienummer", "Beslutsfattare")
        ),
    ),
)
NEW_CASE_FIELDS = (("pnr", "text"), ("arendetyp", "select"), ("extern_ref", "text"))
NEW_CASE = ScreenSpec(
    name="nytt ärende",
    title="formuläret för nytt ärende",
    path="/arende/ny?pnr={pnr}",
    forms=(Form("nyttarende", (*NEW_CASE_FIELDS, ("formtoken", "hidden"))),),
)
DECISION = ScreenSpec(
    name="beslut",
    title="beslutsformuläret",
    path="/arende/{case_id}/beslut",
    forms=(
        Form(
            "beslutsform",
            (
                ("utfall", "select"),
                ("motivering", "textarea"),
                ("formtoken", "hidden"),
                ("kontroll", "hidden"),
            ),
        ),
    ),
)
#: The pupil, school, case and decision screens (a case type's canary screen set uses them).
SCREENS = (PUPIL, SCHOOLS, CASE, NEW_CASE, DECISION)


@dataclass(frozen=True)
class School:
    name: str
    unit_code: str
    municipality: str
    principal: str  # huvudman: Kommunal / Fristående
    address: str


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    case_type: str
    extern_ref: str
    status: str
    diarienummer: str


@dataclass(frozen=True)
class Placement:
    school_name: str
    unit_code: str
    grade: str
    school_municipality: str
    principal: str
    school_address: str
    nearest_municipal_school: bool
    applied_to_nearest_and_refused: bool


@dataclass(frozen=True)
class Pupil:
    personnummer: str
    placement: Placement | None
    cases: tuple[CaseSummary, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DecisionRow:
    date: str
    outcome: str
    motivering: str
    diarienummer: str
    decided_by: str


@dataclass(frozen=True)
class CaseRecord:
    case_id: str
    case_type: str
    status: str
    extern_ref: str
    personnummer: str
    diarienummer: str
    decisions: tuple[DecisionRow, ...]


def check_screen(html: str, step: str) -> HTMLParser:
    """Parse a page and raise if it is the no-seat or the login screen."""
    tree = HTMLParser(html)
    title = tree.css_first("title")
    title_text = title.text(strip=True) if title else ""
    if title_text == NO_SEAT_TITLE:
        raise NoFreeSeat("ingen ledig licens i ärendesystemet", system=SYSTEM, step=step)
    if tree.css_first("form#login") is not None or tree.css_first(LOGIN_PASSWORD) is not None:
        raise SessionExpired("sessionen har gått ut", system=SYSTEM, step=step)
    return tree


def _kv_table(tree: HTMLParser, table_id: str, step: str) -> dict[str, str] | None:
    table = tree.css_first(f"table#{table_id}")
    if table is None:
        return None
    out: dict[str, str] = {}
    for row in table.css("tr"):
        th, td = row.css_first("th"), row.css_first("td")
        if th is not None and td is not None:
            out[th.text(strip=True).rstrip(":")] = td.text(strip=True)
    return out


def _rows(tree: HTMLParser, table_id: str) -> list[list[Node]]:
    table = tree.css_first(f"table#{table_id}")
    if table is None:
        return []
    return [cells for row in table.css("tr") if (cells := row.css("td"))]


def _yes(value: str) -> bool:
    return value.strip().lower() in {"ja", "j", "yes"}


def _require(data: dict[str, str], key: str, step: str) -> str:
    if key not in data:
        raise UnexpectedScreen(f"fältet '{key}' saknas på sidan", system=SYSTEM, step=step)
    return data[key]


def parse_pupil(html: str, pnr12: str) -> Pupil | None:
    step = "elevsida"
    tree = check_screen(html, step)
    if tree.css_first("#ingen-traff") is not None:
        return None
    require(tree, PUPIL, step)  # a missing table is a changed screen, not "no placement"
    p = _kv_table(tree, "placering", step)
    placement = None
    if p:
        placement = Placement(
            school_name=_require(p, "Skola", step),
            unit_code=_require(p, "Skolenhetskod", step),
            grade=_require(p, "Årskurs", step),
            school_municipality=_require(p, "Skolans kommun", step),
            principal=_require(p, "Huvudman", step),
            school_address=_require(p, "Skolans adress", step),
            nearest_municipal_school=_yes(_require(p, "Närmaste kommunala skola", step)),
            applied_to_nearest_and_refused=_yes(
                _require(p, "Sökt närmaste kommunala skola och nekats", step)
            ),
        )
    return Pupil(personnummer=pnr12, placement=placement, cases=_case_rows(tree))


def parse_case_search(html: str) -> tuple[CaseSummary, ...]:
    """The cases the case search lists for a person (any case type)."""
    step = "ärendesök"
    tree = check_screen(html, step)
    if tree.css_first("#ogiltigt-pnr") is not None:
        raise UnexpectedScreen("ärendesöket godtog inte personnumret", system=SYSTEM, step=step)
    require(tree, CASE_SEARCH, step)
    return _case_rows(tree)


def _case_rows(tree: HTMLParser) -> tuple[CaseSummary, ...]:
    return tuple(
        CaseSummary(
            case_id=c[0].text(strip=True),
            case_type=c[1].text(strip=True),
            extern_ref=c[2].text(strip=True),
            status=c[3].text(strip=True),
            diarienummer=c[4].text(strip=True),
        )
        for c in _rows(tree, "arenden")
        if len(c) >= 5
    )


def parse_schools(html: str) -> dict[str, School]:
    tree = check_screen(html, "skolor")
    require(tree, SCHOOLS)
    schools = {}
    for c in _rows(tree, "skolor"):
        if len(c) >= 5:
            s = School(*(cell.text(strip=True) for cell in c[:5]))
            schools[s.unit_code] = s
    if not schools:
        raise UnexpectedScreen("skollistan är tom", system=SYSTEM, step="skolor")
    return schools


def parse_case(html: str) -> CaseRecord:
    step = "ärendesida"
    tree = check_screen(html, step)
    require(tree, CASE, step)
    info = _kv_table(tree, "arendeinfo", step)
    if info is None:
        raise UnexpectedScreen("ärendesidan saknar ärendeinfo", system=SYSTEM, step=step)
    decisions = tuple(
        DecisionRow(*(cell.text(strip=True) for cell in c[:5]))
        for c in _rows(tree, "beslut")
        if len(c) >= 5
    )
    return CaseRecord(
        case_id=_require(info, "Ärende-id", step),
        case_type=_require(info, "Typ", step),
        status=_require(info, "Status", step),
        extern_ref=_require(info, "Extern referens", step),
        personnummer=_require(info, "Personnummer", step),
        diarienummer=info.get("Diarienummer", ""),
        decisions=decisions,
    )


def parse_formtoken(html: str, form_selector: str, step: str) -> str:
    tree = check_screen(html, step)
    token = tree.css_first(f"{form_selector} input[name=formtoken]")
    if token is None:
        raise UnexpectedScreen("formuläret saknar formtoken", system=SYSTEM, step=step)
    return token.attributes.get("value") or ""


def error_text(html: str) -> str | None:
    node = HTMLParser(html).css_first("p.fel")
    return node.text(strip=True) if node is not None else None


def logged_in_as(html: str) -> str | None:
    """The user named in the page header, or None when the page shows no login."""
    node = HTMLParser(html).css_first(LOGGED_IN_AS)
    return node.text(strip=True) if node is not None else None


#: Refusals of a form that are about the form's mechanics, not about the values written:
#: a fresh form may succeed. Any other refusal is the case system saying no to the values.
TECHNICAL_REFUSALS = ("Kontrollsumman stämmer inte", "Formuläret är ogiltigt")


def is_technical_refusal(message: str) -> bool:
    return message.startswith(TECHNICAL_REFUSALS)
