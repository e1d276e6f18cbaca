"""Every error caserobot raises on purpose.

The tree::

    CaseRobotError
    ├── BusinessException          wrong or missing case data: never retried; the item goes
    │                              to the caseworker's exception queue with a reason code
    ├── ApplicationException       a system problem: retried with backoff, then failed for
    │   │                          the robot administrator. Unknown errors count as these.
    │   ├── LegacySystemUnavailable    connection refused, 5xx
    │   │   └── SystemDown                 the circuit breaker is open: not even tried
    │   ├── LegacyTimeout              no answer in time
    │   ├── WriteOutcomeUnknown        a write was sent but its outcome is not known yet:
    │   │                              resolved by reading back, never by writing again blind
    │   ├── UnexpectedScreen           the UI showed something the page object does not know
    │   ├── NoFreeSeat                 the case system's seat licences are all taken
    │   ├── SessionExpired             the case system logged us out
    │   └── LeaseLost (queue.py)       another robot took over the work item
    ├── ConfigurationError         a rules or settings file is wrong (fix the file, not data)
    ├── InputError                 a user's input to the CLI/API is malformed (exit code 2)
    └── NotRegistered (registry.py)  an unknown robot, run or exception item

Each error builds its message from its context (case, system, step, reason code), so the
message alone says what went wrong and where.
"""

from __future__ import annotations

from enum import StrEnum


class ReasonCode(StrEnum):
    """Why an item went to a caseworker. Used by the exception queue and the reports."""

    # Bad or missing application data
    INVALID_PERSONNUMMER = "invalid_personnummer"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    UNKNOWN_SCHOOL = "unknown_school"
    SCHOOL_MISMATCH = "school_mismatch"
    ABSURD_DISTANCE = "absurd_distance"
    PERSON_NOT_FOUND = "person_not_found"
    UNKNOWN_ADDRESS = "unknown_address"
    NOT_GUARDIAN = "not_guardian"
    # Rules say a person must decide
    MEDICAL_CERTIFICATE = "medical_certificate"
    TRAFFIC_DANGER = "traffic_danger"
    TAXI_REQUESTED = "taxi_requested"
    PROTECTED_IDENTITY = "protected_identity"
    FORSKOLEKLASS = "forskoleklass"
    # Rules say a person must decide: a means test (Trelleborg's checks and more)
    FIRST_APPLICATION = "first_application"
    REGISTER_MISMATCH = "register_mismatch"
    CHANGED_SINCE_PREVIOUS = "changed_since_previous"
    NO_LABOUR_MARKET_PLAN = "no_labour_market_plan"
    RENT_ABOVE_CAP = "rent_above_cap"
    SPECIAL_EXPENSES = "special_expenses"
    ASSETS_DECLARED = "assets_declared"
    HEALTH_DATA_DECISIVE = "health_data_decisive"
    SAMORDNINGSNUMMER = "samordningsnummer"
    NOT_REGISTERED_IN_MUNICIPALITY = "not_registered_in_municipality"
    ADULT_CHILD = "adult_child"
    NORM_ESTIMATED = "norm_estimated"
    PROPOSED_REFUSAL = "proposed_refusal"
    # Absurd or unknown values: a person decides (issue 13)
    COST_ABOVE_GUIDELINE = "cost_above_guideline"
    UNKNOWN_MUNICIPALITY = "unknown_municipality"
    IMPLAUSIBLE_VALUE = "implausible_value"
    # The case system holds something the robot must not overwrite or could not write
    DECISION_CONFLICT = "decision_conflict"
    CASE_SYSTEM_REFUSED = "case_system_refused"
    # The robot gave up on a system problem
    APPLICATION_ERROR = "application_error"

    @property
    def label(self) -> str:
        """The reason in plain Swedish, for caseworkers and reports."""
        return _REASON_LABELS[self]


_REASON_LABELS: dict[ReasonCode, str] = {
    ReasonCode.INVALID_PERSONNUMMER: "Ogiltigt personnummer",
    ReasonCode.MISSING_FIELD: "Uppgift saknas i ansökan",
    ReasonCode.INVALID_FIELD: "Felaktig uppgift i ansökan",
    ReasonCode.UNKNOWN_SCHOOL: "Okänd skola",
    ReasonCode.SCHOOL_MISMATCH: "Skolan stämmer inte med skolplaceringen",
    ReasonCode.ABSURD_DISTANCE: "Orimligt avstånd",
    ReasonCode.PERSON_NOT_FOUND: "Personen finns inte i registret",
    ReasonCode.UNKNOWN_ADDRESS: "Okänd adress",
    ReasonCode.NOT_GUARDIAN: "Sökanden är inte vårdnadshavare",
    ReasonCode.MEDICAL_CERTIFICATE: "Läkarintyg bifogat",
    ReasonCode.TRAFFIC_DANGER: "Trafikfarlig väg anges",
    ReasonCode.TAXI_REQUESTED: "Taxi begärs",
    ReasonCode.PROTECTED_IDENTITY: "Skyddad identitet",
    ReasonCode.FORSKOLEKLASS: "Förskoleklass",
    ReasonCode.FIRST_APPLICATION: "Första ansökan",
    ReasonCode.REGISTER_MISMATCH: "Registrerade inkomster avviker från ansökan",
    ReasonCode.CHANGED_SINCE_PREVIOUS: "Ändrat sedan förra ansökan",
    ReasonCode.NO_LABOUR_MARKET_PLAN: "Ingen aktiv planering mot arbete",
    ReasonCode.RENT_ABOVE_CAP: "Hyran över kommunens tak",
    ReasonCode.SPECIAL_EXPENSES: "Särskilda utgifter sökta",
    ReasonCode.ASSETS_DECLARED: "Tillgångar uppgivna",
    ReasonCode.HEALTH_DATA_DECISIVE: "Hälsouppgifter avgör (GDPR art. 22.4)",
    ReasonCode.SAMORDNINGSNUMMER: "Samordningsnummer",
    ReasonCode.NOT_REGISTERED_IN_MUNICIPALITY: "Inte folkbokförd i kommunen",
    ReasonCode.ADULT_CHILD: "Vuxet barn i hushållet",
    ReasonCode.NORM_ESTIMATED: "Normen för året är en uppskattning",
    ReasonCode.PROPOSED_REFUSAL: "Förslag till avslag",
    ReasonCode.COST_ABOVE_GUIDELINE: "Belopp över kommunens riktvärde",
    ReasonCode.UNKNOWN_MUNICIPALITY: "Okänd kommun",
    ReasonCode.IMPLAUSIBLE_VALUE: "Orimligt värde i ansökan",
    ReasonCode.DECISION_CONFLICT: "Annat beslut finns redan i ärendesystemet",
    ReasonCode.CASE_SYSTEM_REFUSED: "Ärendesystemet godtog inte beslutet",
    ReasonCode.APPLICATION_ERROR: "Systemfel",
}


def reason_label(code: str) -> str:
    """The Swedish label of a reason code; an unknown code is shown as it is."""
    try:
        return ReasonCode(code).label
    except ValueError:
        return code


class CaseRobotError(Exception):
    """Base of every caserobot error."""


class BusinessException(CaseRobotError):
    """Wrong or missing case data. Never retried; goes to the exception queue."""

    def __init__(self, reason: ReasonCode, detail: str, *, field: str | None = None) -> None:
        self.reason = ReasonCode(reason)
        self.detail = detail
        self.field = field
        where = f" (fält: {field})" if field else ""
        super().__init__(f"{self.reason.value}: {detail}{where}")


class ApplicationException(CaseRobotError):
    """A system problem. Retried with backoff, then failed for the administrator."""

    def __init__(self, detail: str, *, system: str | None = None, step: str | None = None) -> None:
        self.detail = detail
        self.system = system
        self.step = step
        ctx = ", ".join(f"{k}={v}" for k, v in (("system", system), ("step", step)) if v)
        super().__init__(f"{detail} [{ctx}]" if ctx else detail)


class LegacySystemUnavailable(ApplicationException):
    """The system refused the connection or answered with a server error."""


class LegacyTimeout(ApplicationException):
    """The system did not answer in time."""


class SystemDown(LegacySystemUnavailable):
    """The system's circuit breaker is open: the call was not made (see legacy/breaker.py)."""


class WriteOutcomeUnknown(ApplicationException):
    """A write was sent, but whether it landed is not known (lost answer, timeout).

    Never retried blind: the next attempt reads the case back, and waits for the write to
    settle before it may write again.
    """


class UnexpectedScreen(ApplicationException):
    """The UI showed a screen the page object does not recognise."""


class NoFreeSeat(ApplicationException):
    """All seat licences of the case system are taken."""


class SessionExpired(ApplicationException):
    """The case system ended our session."""


def is_transient(exc: BaseException) -> bool:
    """Whether a failure says the *system* is unwell rather than anything about the item.

    Transient failures do not use up an item's attempts: the item waits and is tried again
    (the circuit breaker keeps the robot from hammering a system that is down).
    """
    return isinstance(
        exc,
        LegacySystemUnavailable | LegacyTimeout | NoFreeSeat | SessionExpired | WriteOutcomeUnknown,
    )


class ConfigurationError(CaseRobotError):
    """A configuration or rules file is invalid."""

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: {detail}")


class InputError(CaseRobotError):
    """Malformed input from a user (CLI or API). Carries the offending field."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        self.detail = detail
        super().__init__(f"{field}: {detail}")
