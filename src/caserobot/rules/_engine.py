"""The engine: case types, their rules and dated variants, evaluation with a trace.

A case type's package creates a :class:`CaseType` (with its ``config_dir``),
registers rule implementations on it with :meth:`CaseType.rule`, and writes an
``evaluate(ev, data)`` function that applies the rules through :meth:`Evaluation.apply`.
A rule returns a :class:`Check` (a condition for granting), a :class:`Referral` or None
(a reason a person must decide), a :class:`Conclusion` or None (which of the case type's
outcomes follows when every condition is met; kind ``outcome``), or any other value (an
intermediate result). The engine turns them into a :class:`Decision`: denied if a condition
failed, else the last conclusion's outcome, else granted; ``refer`` if a rule referred.

When a rule's logic changes, register a dated variant instead of branching on the date::

    @case.rule("distance", since=date(2027, 1, 1))
    def _distance_2027(ev, grade, distances): ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from caserobot import discovery
from caserobot.exceptions import ConfigurationError, InputError, Reason
from caserobot.outcomes import DENIED, GRANTED, OutcomeSpec, merge
from caserobot.rules._calculation import Calculation
from caserobot.rules._decision import Decision, Trace, TraceStep, render_motivering
from caserobot.rules._parameters import ParameterSet, ParameterUse, load_parameters
from caserobot.rules._rule_set import RuleSet, load_rule_set
from caserobot.settings import get_settings

RULE_SET_FILE = "rule_set.yaml"
PARAMETERS_FILE = "parameters.yaml"


@dataclass(frozen=True)
class Check:
    """A condition for granting. ``reason`` states the circumstance in plain Swedish."""

    passed: bool
    reason: str


@dataclass(frozen=True)
class Referral:
    """A reason why a person, not the robot, must decide the case."""

    code: Reason
    reason: str


@dataclass(frozen=True)
class Conclusion:
    """Which outcome follows when every condition is met (a rule of kind ``outcome``).

    ``outcome`` is one of the case type's outcomes (:mod:`caserobot.outcomes`); ``reason``
    states why in plain Swedish, as the decision's last decisive circumstance.
    """

    outcome: str
    reason: str


RuleFunction = Callable[..., Any]
RuleKind = Literal["condition", "referral", "outcome", "value"]


@dataclass(frozen=True)
class RuleVariant:
    since: date | None
    function: RuleFunction


@dataclass(frozen=True)
class LoadedRules:
    """A case type's rule set and parameters, checked against its implementations."""

    rule_set: RuleSet
    parameters: ParameterSet
    rule_set_path: Path


@dataclass
class CaseType:
    """A kind of application the rules can decide.

    Attributes:
        name: The case type's name; also its directory under a rules dir that overrides
            the package's own configuration.
        input_model: Pydantic model that validates the input; it should forbid unknown
            fields and may raise :class:`InputError` from a model validator for
            cross-field problems.
        config_dir: The package's own ``rule_set.yaml`` and ``parameters.yaml``. A
            municipality overrides them with ``<rules dir>/<name>/`` (the settings'
            ``config/rules``), which wins when it exists.
        evaluate: ``evaluate(ev, data)`` applies the rules to the validated input.
        extra_outcomes: Outcomes beyond granted and denied that its rules may conclude
            (:class:`caserobot.outcomes.OutcomeSpec`); see :attr:`outcomes`.
    """

    name: str
    input_model: type[BaseModel]
    config_dir: Path | None = None
    evaluate: Callable[[Evaluation, Any], None] | None = None
    extra_outcomes: tuple[OutcomeSpec, ...] = ()
    outcomes: dict[str, OutcomeSpec] = field(init=False, repr=False)
    _rules: dict[str, list[RuleVariant]] = field(default_factory=dict, repr=False)
    _kinds: dict[str, RuleKind] = field(default_factory=dict, repr=False)
    _cache: dict[Path, tuple[tuple[int, int], LoadedRules]] = field(
        default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        self.outcomes = merge(self.extra_outcomes, f"case type {self.name}")

    def rule(
        self, rule_id: str, *, kind: RuleKind = "condition", since: date | None = None
    ) -> Callable[[RuleFunction], RuleFunction]:
        """Register the implementation of a rule, optionally as a variant from ``since``.

        Args:
            rule_id: The id the rule set declares.
            kind: ``condition`` returns a :class:`Check`; ``referral`` a :class:`Referral`
                or None; ``outcome`` a :class:`Conclusion` or None; ``value`` anything (an
                intermediate result).
            since: First date the variant applies; None for the original implementation.
        """

        def register(fn: RuleFunction) -> RuleFunction:
            if self._kinds.setdefault(rule_id, kind) != kind:
                raise ValueError(f"{self.name}: rule {rule_id!r} variants differ in kind")
            variants = self._rules.setdefault(rule_id, [])
            if any(v.since == since for v in variants):
                raise ValueError(f"{self.name}: rule {rule_id!r} already has a variant {since}")
            variants.append(RuleVariant(since, fn))
            variants.sort(key=lambda v: v.since or date.min)
            return fn

        return register

    def evaluator(self, fn: Callable[[Evaluation, Any], None]) -> Callable[[Evaluation, Any], None]:
        """Register ``fn(ev, data)`` as the function that applies this case type's rules."""
        self.evaluate = fn
        return fn

    def kind(self, rule_id: str) -> RuleKind:
        return self._kinds[rule_id]

    def rule_ids(self) -> list[str]:
        return sorted(self._rules)

    def variant(self, rule_id: str, as_of: date) -> RuleVariant | None:
        """The implementation of a rule in force on ``as_of`` (latest ``since`` ≤ as_of)."""
        found = [v for v in self._rules[rule_id] if v.since is None or v.since <= as_of]
        return found[-1] if found else None

    def load(self, rules_dir: Path | None = None) -> LoadedRules:
        """Load and cross-check the configuration (cached until a file changes).

        Raises:
            ConfigurationError: a file is missing or malformed, or the rule set and the
                implementations do not match one to one.
        """
        directory = self.config_path(rules_dir)
        rs_path, par_path = directory / RULE_SET_FILE, directory / PARAMETERS_FILE
        try:
            stamp = (rs_path.stat().st_mtime_ns, par_path.stat().st_mtime_ns)
        except OSError:
            stamp = (-1, -1)  # the loaders below report which file is missing
        cached = self._cache.get(directory)
        if cached and cached[0] == stamp and stamp != (-1, -1):
            return cached[1]
        rule_set = load_rule_set(rs_path)
        parameters = load_parameters(par_path)
        self._check(rule_set, rs_path)
        loaded = LoadedRules(rule_set, parameters, rs_path)
        self._cache[directory] = (stamp, loaded)
        return loaded

    def config_path(self, rules_dir: Path | None = None) -> Path:
        """Where the rule set and parameters are read from: ``rules_dir/<name>`` if given,
        else the settings' rules dir's ``<name>`` if it exists, else the package's own."""
        if rules_dir is not None:
            return rules_dir / self.name
        override = get_settings().rules_dir / self.name
        if override.is_dir() or self.config_dir is None:
            return override
        return self.config_dir

    def _check(self, rule_set: RuleSet, path: Path) -> None:
        if rule_set.case_type != self.name:
            raise ConfigurationError(
                str(path), f"case_type is {rule_set.case_type!r}, expected {self.name!r}"
            )
        declared = {r.id for r in rule_set.rules}
        for rule_id in sorted(declared - set(self._rules)):
            raise ConfigurationError(
                str(path), f"rule {rule_id!r} is declared but {self.name} has no implementation"
            )
        for rule_id in sorted(set(self._rules) - declared):
            raise ConfigurationError(
                str(path), f"rule {rule_id!r} is implemented in {self.name} but not declared"
            )

    def decide(
        self, data: Mapping[str, Any], as_of: date, *, rules_dir: Path | None = None
    ) -> Decision:
        """Decide one application; see :func:`caserobot.rules.decide`."""
        # A datetime is a date too, but does not compare with one.
        if not isinstance(as_of, date) or isinstance(as_of, datetime):
            raise InputError("as_of", f"must be a date, got {type(as_of).__name__}")
        loaded = self.load(rules_dir)
        validated = self.validate_input(data)
        rs = loaded.rule_set
        if not rs.in_force(as_of):
            until = f" to {rs.effective_to.isoformat()}" if rs.effective_to else ""
            raise InputError(
                "as_of",
                f"rule set {rs.ref} is in force from {rs.effective_from.isoformat()}{until}; "
                f"no rules apply on {as_of.isoformat()}",
            )
        if self.evaluate is None:
            raise ConfigurationError(
                str(loaded.rule_set_path), f"{self.name} has no evaluate function"
            )
        ev = Evaluation(self, loaded, as_of)
        self.evaluate(ev, validated)
        return ev.decision(validated.model_dump(mode="json"))

    def validate_input(self, data: Mapping[str, Any]) -> BaseModel:
        """Validate raw input.

        Raises:
            InputError: naming the first bad field.
        """
        if not isinstance(data, Mapping):
            raise InputError("input", f"must be a JSON object, got {type(data).__name__}")
        try:
            return self.input_model.model_validate(dict(data))
        except ValidationError as exc:
            raise _input_error(exc) from None
        except RecursionError:
            raise InputError("input", "is nested too deeply") from None


class Evaluation:
    """The state of one evaluation: applies rules, reads parameters, records the trace.

    Attributes:
        as_of: The date whose rules and parameters apply.
        rule_set: The rule set being applied (e.g. for its ``municipality``).
    """

    def __init__(self, case_type: CaseType, loaded: LoadedRules, as_of: date) -> None:
        self.case_type = case_type
        self.rule_set = loaded.rule_set
        self.as_of = as_of
        self._loaded = loaded
        self._steps: list[dict[str, Any]] = []
        self._checks: list[tuple[int, Check]] = []
        self._referrals: list[tuple[int, Referral]] = []
        self._conclusions: list[tuple[int, Conclusion]] = []
        self._uses: list[ParameterUse] | None = None
        self._calculation: Calculation | None = None

    def apply(self, rule_id: str, **inputs: Any) -> Any:
        """Apply a rule to keyword inputs and record the step. Returns the rule's result."""
        spec = self.rule_set.rule(rule_id)
        variant = self.case_type.variant(rule_id, self.as_of)
        if variant is None:
            raise ConfigurationError(
                str(self._loaded.rule_set_path),
                f"rule {rule_id!r} has no implementation in force on {self.as_of.isoformat()}",
            )
        outer, self._uses = self._uses, []
        try:
            result = variant.function(self, **inputs)
            uses = self._uses
        finally:
            self._uses = outer
        index = len(self._steps)
        step: dict[str, Any] = {
            "rule_id": rule_id,
            "title": spec.title,
            "legal_reference": spec.legal_reference,
            "variant_since": variant.since,
            "inputs": inputs,
            "parameters": uses,
        }
        kind = self.case_type.kind(rule_id)
        if kind == "condition":
            if not isinstance(result, Check):
                raise TypeError(f"condition rule {rule_id!r} must return a Check")
            step.update(result=result.passed, reason=result.reason)
            self._checks.append((index, result))
        elif kind == "referral":
            if result is not None and not isinstance(result, Referral):
                raise TypeError(f"referral rule {rule_id!r} must return a Referral or None")
            if result is not None:
                step.update(result=result.code.value, reason=result.reason, decisive=True)
                self._referrals.append((index, result))
            else:
                step.update(result=None)
        elif kind == "outcome":
            if result is not None and not isinstance(result, Conclusion):
                raise TypeError(f"outcome rule {rule_id!r} must return a Conclusion or None")
            if result is not None:
                if result.outcome not in self.case_type.outcomes:
                    raise ConfigurationError(
                        str(self._loaded.rule_set_path),
                        f"rule {rule_id!r} concluded {result.outcome!r}, which is not one of "
                        f"{self.case_type.name}'s outcomes ({', '.join(self.case_type.outcomes)})",
                    )
                step.update(result=result.outcome, reason=result.reason)
                self._conclusions.append((index, result))
            else:
                step.update(result=None)
        else:
            # An intermediate value: the checks built on it cite it, so it is decisive too.
            step.update(result=result, decisive=True)
        step["kind"] = kind
        self._steps.append(step)
        return result

    @property
    def parameters_path(self) -> Path:
        """The parameters file, for a rule's own :class:`ConfigurationError`."""
        return self._loaded.parameters.path

    def param(self, name: str, key: str | None = None) -> Any:
        """The value of a parameter in force on ``as_of``; recorded on the current step."""
        use = self._loaded.parameters.use(name, self.as_of, key)
        if self._uses is not None:
            self._uses.append(use)
        return use.value

    def param_entry(
        self, name: str, key: str, *, normalize: Callable[[str], str] = str
    ) -> tuple[str, Any] | None:
        """The entry of a table parameter whose key matches ``key``, or None.

        Keys are compared after ``normalize``; only the entry looked up is recorded on the
        current step (with the table's key, or ``key`` and value null if none matched), so
        a long table such as a list of municipalities does not fill the trace.
        """
        use = self._loaded.parameters.use(name, self.as_of)
        table = use.value
        if not isinstance(table, dict):
            raise ConfigurationError(
                str(self.parameters_path), f"parameter {name!r} is not a table"
            )
        wanted = normalize(key)
        found = next((k for k in table if normalize(k) == wanted), None)
        recorded = use.model_copy(
            update={"key": found or key, "value": table[found] if found is not None else None}
        )
        if self._uses is not None:
            self._uses.append(recorded)
        return None if found is None else (found, table[found])

    def record_calculation(self, calculation: Calculation) -> None:
        """Attach the amount's calculation; the decision carries it and its sums.

        The amount recorded is the calculation's for a grant and 0 for a refusal (for a
        referral: the recommended one's).
        """
        self._calculation = calculation

    def decision(self, inputs: dict[str, Any]) -> Decision:
        """Combine the recorded checks and referrals into a decision."""
        if not self._checks:
            raise ConfigurationError(
                str(self._loaded.rule_set_path), f"{self.case_type.name} applied no condition"
            )
        failed = [(i, c) for i, c in self._checks if not c.passed]
        decisive: list[tuple[int, Check | Conclusion]] = list(failed or self._checks)
        if failed:  # denied: what failed
            recommended = DENIED.code
        elif self._conclusions:  # everything met, and a rule said what follows
            decisive.append(self._conclusions[-1])
            recommended = self._conclusions[-1][1].outcome
        else:  # granted: everything met
            recommended = GRANTED.code
        for i, _ in decisive:
            self._steps[i]["decisive"] = True
        basis = [c.reason for _, c in decisive]
        referrals = [r.reason for _, r in self._referrals]
        trace = Trace([TraceStep(**s) for s in self._steps])
        calc = self._calculation
        amounts: dict[str, Any] = {}
        if calc is not None:
            amounts = {
                "amount": calc.amount if self.case_type.outcomes[recommended].with_amount else 0,
                "norm": calc.norm,
                "reasonable_costs": calc.reasonable_costs,
                "counted_income": calc.counted_income,
                "calculation": calc.lines,
            }
        fields = dict(
            outcome="refer" if referrals else recommended,
            recommended_outcome=recommended,
            reasons=referrals + basis,
            reason_codes=[r.code for _, r in self._referrals],
            case_type=self.case_type.name,
            rule_set=self.rule_set.ref,
            municipality=self.rule_set.municipality,
            as_of=self.as_of,
            inputs=inputs,
            trace=trace,
            motivering=render_motivering(
                self.rule_set,
                self.as_of,
                self.case_type.outcomes[recommended],
                referrals,
                basis,
                trace,
                calc,
            ),
            **amounts,
        )
        return Decision.model_validate(fields, context={"outcomes": self.case_type.outcomes})


_REGISTRY: dict[str, CaseType] = {}


def register(case_type: CaseType) -> CaseType:
    """Make a case type available to :func:`decide` and :func:`case_types`."""
    if case_type.name in _REGISTRY and _REGISTRY[case_type.name] is not case_type:
        raise ValueError(f"case type {case_type.name!r} is already registered")
    _REGISTRY[case_type.name] = case_type
    return case_type


def _discover() -> None:
    """Load the installed case-type packages: each registers its case type on import."""
    discovery.installed()


def case_types() -> list[str]:
    """Names of the registered case types (every installed one), sorted."""
    _discover()
    return sorted(_REGISTRY)


def registered(name: str) -> CaseType | None:
    """The case type if it is registered (installed ones once something listed them)."""
    return _REGISTRY.get(name)


def registered_or_installed(name: str) -> CaseType | None:
    """The case type, looking among the installed ones if needed; None if there is none."""
    if name not in _REGISTRY:
        _discover()
    return _REGISTRY.get(name)


def get_case_type(name: str) -> CaseType:
    """A registered case type. Raises InputError (field ``case_type``) if unknown."""
    if name not in _REGISTRY:
        _discover()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(case_types()) or "none"
        raise InputError("case_type", f"unknown case type {name!r} (known: {known})") from None


def decide(
    case_type: str, data: Mapping[str, Any], as_of: date, *, rules_dir: Path | None = None
) -> Decision:
    """Decide one application by the rules in force on ``as_of``.

    Args:
        case_type: A registered (installed) case type's name.
        data: The application's facts, validated with the case type's input model.
        as_of: The date whose rule set and parameters apply.
        rules_dir: Read ``rules_dir/<case_type>/`` instead of the configured rules
            (tests, alternative configs).

    Returns:
        The decision with its reasons, trace and motivering. Touches no system.

    Raises:
        InputError: unknown case type, malformed data (naming the first bad field), or no
            rule set in force on ``as_of`` (field ``as_of``).
        ConfigurationError: the case type's configuration is malformed or incomplete.
    """
    return get_case_type(case_type).decide(data, as_of, rules_dir=rules_dir)


# Messages for pydantic's error types, in the words an API or CLI user expects.
_INPUT_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "string_type": "must be a string",
    "string_too_short": "must not be empty",
    "greater_than_equal": "must not be negative",
}


MAX_FIELD_CHARS = 80


def _input_error(exc: ValidationError) -> InputError:
    err = exc.errors(include_url=False)[0]
    where = ".".join(_printable(str(p)) for p in err["loc"]) or "input"
    if len(where) > MAX_FIELD_CHARS:
        where = where[: MAX_FIELD_CHARS - 1] + "…"
    ctx = err.get("ctx") or {}
    if err["type"] == "greater_than_equal" and ctx.get("ge", 0) != 0:
        detail = f"must be at least {_plain(ctx['ge'])}"
    elif err["type"] == "less_than_equal" and "le" in ctx:
        detail = f"must be at most {_plain(ctx['le'])}"
    elif err["type"] == "less_than" and "lt" in ctx:
        detail = f"must be less than {ctx['lt']}"
    elif err["type"] == "too_long" and "max_length" in ctx:
        detail = f"must have at most {ctx['max_length']} items"
    else:
        detail = _INPUT_MESSAGES.get(err["type"], _printable(str(err["msg"])))
    return InputError(where, detail)


def _plain(bound: Any) -> str:
    return bound.isoformat() if isinstance(bound, date) else str(bound)


def _printable(text: str) -> str:
    """A field name or message as one safe line: control and unpaired surrogate characters
    (possible in JSON keys) escaped, so any output stream can print it."""
    if text.isprintable():  # False for control characters and surrogates alike
        return text
    return text.encode("unicode_escape").decode("ascii")
