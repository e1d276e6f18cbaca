"""Every error caserobot raises on purpose.

The tree::

    CaseRobotError
    ├── BusinessException          wrong or missing case data: never retried; the item goes
    │                              to the caseworker's exception queue with a reason code
    ├── ApplicationException       a system problem: retried with backoff, then failed for
    │   │                          the robot administrator. Unknown errors count as these.
    │   ├── LegacySystemUnavailable    connection refused, 5xx
    │   ├── LegacyTimeout              no answer in time
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
    # Rules say a person must decide: ekonomiskt bistånd (Trelleborg's checks and more)
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
    # The robot gave up on a system problem
    APPLICATION_ERROR = "application_error"


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


class UnexpectedScreen(ApplicationException):
    """The UI showed a screen the page object does not recognise."""


class NoFreeSeat(ApplicationException):
    """All seat licences of the case system are taken."""


class SessionExpired(ApplicationException):
    """The case system ended our session."""


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
