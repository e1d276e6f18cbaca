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
from functools import lru_cache


class Reason(StrEnum):
    """Base of reason codes: each member is ``NAME = ("code", "Swedish label")``.

    The core's codes are :class:`ReasonCode`; a case type's package brings its own subclass
    (:attr:`caserobot.discovery.CaseTypePackage.reasons`). A code is stored as its string,
    so codes are unique across the core and every installed package.
    """

    label: str

    def __new__(cls, value: str, label: str) -> Reason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label  # the reason in plain Swedish, for caseworkers and reports
        return member


class ReasonCode(Reason):
    """The core's reasons why an item went to a caseworker (any case type can meet them).

    Used by the exception queue and the reports; a case type's own reasons (a rule that
    refers, a fact only it checks) are in its package.
    """

    # Bad or missing application data
    INVALID_PERSONNUMMER = ("invalid_personnummer", "Ogiltigt personnummer")
    MISSING_FIELD = ("missing_field", "Uppgift saknas i ansökan")
    INVALID_FIELD = ("invalid_field", "Felaktig uppgift i ansökan")
    IMPLAUSIBLE_VALUE = ("implausible_value", "Orimligt värde i ansökan")
    # The registers do not know the person or the address
    PERSON_NOT_FOUND = ("person_not_found", "Personen finns inte i registret")
    UNKNOWN_ADDRESS = ("unknown_address", "Okänd adress")
    # The legal frame says a person decides, whatever the case type
    PROTECTED_IDENTITY = ("protected_identity", "Skyddad identitet")
    HEALTH_DATA_DECISIVE = ("health_data_decisive", "Hälsouppgifter avgör (GDPR art. 22.4)")
    PROPOSED_REFUSAL = ("proposed_refusal", "Förslag till avslag")
    # The case system holds something the robot must not overwrite or could not write
    DECISION_CONFLICT = ("decision_conflict", "Annat beslut finns redan i ärendesystemet")
    CASE_SYSTEM_REFUSED = ("case_system_refused", "Ärendesystemet godtog inte beslutet")
    # The robot gave up on a system problem
    APPLICATION_ERROR = ("application_error", "Systemfel")


@lru_cache(maxsize=1)
def reason_codes() -> dict[str, Reason]:
    """Every known reason code: the core's and each installed case type's (built once per
    process, like :func:`caserobot.discovery.installed`).

    Raises:
        ConfigurationError: two of them use the same code.
    """
    from caserobot import discovery  # discovery imports this module

    found: dict[str, Reason] = {r.value: r for r in ReasonCode}
    for name, package in discovery.installed().items():
        for reason in package.reasons or ():
            if reason.value in found and found[reason.value] is not reason:
                raise ConfigurationError(
                    f"ärendetypen {name}", f"orsakskoden {reason.value!r} finns redan"
                )
            found[reason.value] = reason
    return found


def reason_code(code: str) -> Reason:
    """The reason a code stands for. Raises ValueError for an unknown code."""
    if isinstance(code, Reason):
        return code
    try:
        return reason_codes()[code]
    except KeyError:
        raise ValueError(f"okänd orsakskod {code!r}") from None


def reason_label(code: str) -> str:
    """The Swedish label of a reason code; an unknown code is shown as it is."""
    try:
        return reason_code(code).label
    except ValueError:
        return code


class CaseRobotError(Exception):
    """Base of every caserobot error."""


class BusinessException(CaseRobotError):
    """Wrong or missing case data. Never retried; goes to the exception queue."""

    def __init__(self, reason: Reason | str, detail: str, *, field: str | None = None) -> None:
        self.reason = reason_code(reason)
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
