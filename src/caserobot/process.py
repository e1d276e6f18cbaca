"""A case type's process as its robot declares it in Robot Framework, run per work item.

The robot's ``tasks.robot`` names the process as a user keyword whose body is the steps, in
order, one keyword each::

    *** Tasks ***
    Process Applications
        Process Work Items    ${CASE_TYPE}    process=Process One Application

    *** Keywords ***
    Process One Application
        Read Application
        Side By Side    Look Up Person In Population Register    AND    Find Or Create Case
        Apply Rules
        Hand Over To Caseworker If Referred
        Write Decision Once And Read Back

The steps are the methods of the case type's :class:`ItemProcess` subclass marked with
:func:`step`; ``Side By Side`` runs steps at the same time (``AND`` between them, as in
BuiltIn's ``Run Keywords``). The engine (:mod:`caserobot.worker`) runs that body for every
work item, many items at once, one per seat: Robot Framework runs keywords one after
another in one thread, so it reads the process, and the engine executes it. Every step of
every item is recorded (:class:`ItemLog`: start, duration, status, the facts it collected)
and written into the run's ``output.xml`` as one task per item (:mod:`caserobot.robotlog`).

The order is checked before any item runs: a step that needs what another step collects
(``needs``/``gives``) must come after it, and the process must end in a step that ends an
item (a decision written or a handover).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from robot.utils import normalize

from caserobot import outcomes, rules
from caserobot.cases.base import Decided, Referred, WorkContext
from caserobot.cases.writeback import write_once
from caserobot.exceptions import BusinessException, ConfigurationError, InputError, ReasonCode
from caserobot.itemlog import ItemLog
from caserobot.personnummer import mask

#: The keyword that runs steps side by side, and the word between them.
SIDE_BY_SIDE = "Side By Side"
AND = "AND"
#: The library keyword whose ``process=`` names the process keyword.
RUNNER = "Process Work Items"

F = TypeVar("F", bound=Callable[..., Any])


def _norm(name: str) -> str:
    """A keyword name as Robot Framework matches it: case, spaces and underscores ignored."""
    return normalize(name, ignore="_")


@dataclass(frozen=True)
class StepSpec:
    """One step a process may name: its keyword name and what it needs and gives."""

    name: str
    method: str
    needs: tuple[str, ...] = ()
    gives: tuple[str, ...] = ()
    ends: bool = False  # may end the item (return its result)
    final: bool = False  # always ends it: the process's last step must be one
    doc: str = ""


def step(
    name: str,
    *,
    needs: tuple[str, ...] = (),
    gives: tuple[str, ...] = (),
    ends: bool = False,
    final: bool = False,
) -> Callable[[F], F]:
    """Mark an ``async`` method of an :class:`ItemProcess` as the step ``name``.

    Args:
        name: The keyword name in ``tasks.robot`` (Title Case, English like BuiltIn's).
        needs: Attributes earlier steps must have set (checked against the order).
        gives: Attributes this step sets.
        ends: The step may return the item's result (:class:`Decided` or
            :class:`Referred`); a step that returns None lets the next one go on.
        final: The step always returns the item's result; a process ends with one.
    """

    def mark(fn: F) -> F:
        doc = " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        spec = StepSpec(name, fn.__name__, needs, gives, ends or final, final, doc)
        fn.__caserobot_step__ = spec  # type: ignore[attr-defined]
        return fn

    return mark


@dataclass(frozen=True)
class StepCall:
    """A step as the process names it: one step, or several side by side."""

    name: str
    side_by_side: tuple[StepCall, ...] = ()


@dataclass(frozen=True)
class Process:
    """The steps of a case type's process, checked against its :class:`ItemProcess`."""

    name: str
    calls: tuple[StepCall, ...]
    source: Path | None = None


class ItemProcess:
    """One work item going through a case type's process; subclass once per case type.

    The subclass's step methods (:func:`step`) keep what they collect as attributes of the
    instance for the steps after them; one instance per item and attempt. The steps every
    case type shares are here: handing a referral over and writing the decision back.
    """

    case_type: ClassVar[str]
    case: Any  # the case in the case system (has ``case_id``), from a case type's step
    decision: Any  # caserobot.rules.Decision, from Apply Rules
    #: What every item of one robot run may share (e.g. a table read once per run); set by
    #: the :class:`ProcessHandler` that runs the item.
    run_cache: dict[str, Any]

    def __init__(self, ctx: WorkContext) -> None:
        self.ctx = ctx
        self.facts = ctx.facts
        self.run_cache = {}

    @classmethod
    def steps(cls) -> dict[str, StepSpec]:
        """Every step this process knows, by normalised keyword name (a subclass's own
        step of the same name replaces the inherited one)."""
        found: dict[str, StepSpec] = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                spec = getattr(attr, "__caserobot_step__", None)
                if isinstance(spec, StepSpec):
                    found[_norm(spec.name)] = spec
        return found

    # -- shared steps -------------------------------------------------------------------

    def apply_rules(self, inputs: dict[str, Any], as_of: Any = None) -> Any:
        """Decide with the case type's rules; a register's value the rules' contract
        refuses is bad input (a handover), not a robot error."""
        try:
            self.decision = decision = rules.decide(self.case_type, inputs, as_of or self.ctx.as_of)
        except InputError as exc:
            raise BusinessException(ReasonCode.INVALID_FIELD, exc.detail, field=exc.field) from None
        log = self.ctx.log
        for applied in decision.trace:
            log.message(
                f"{applied.rule_id} ({applied.legal_reference}): {applied.title} → "
                f"{_shown(applied.kind, applied.result)}"
            )
        if decision.outcome == outcomes.REFER:
            said = (
                "till handläggare, rekommendation "
                f"{outcomes.label(decision.recommended_outcome)}"
            )
        else:
            said = outcomes.label(decision.outcome)
        log.message(f"Utfall: {said} (regelverk {decision.rule_set}, {decision.as_of})")
        return decision

    @step("Hand Over To Caseworker If Referred", needs=("decision", "case"), ends=True)
    async def hand_over_if_referred(self) -> Referred | None:
        """If the rules refer the case, it goes to a caseworker with the decision basis and
        the rules' recommendation; otherwise the process goes on."""
        if self.decision.outcome != outcomes.REFER:
            return None
        return Referred.by_rules(self.decision, self.facts, self.case.case_id)

    @step("Write Decision Once And Read Back", needs=("decision", "case"), final=True)
    async def write_decision(self) -> Decided | Referred:
        """Write the decision on the case exactly once and read it back
        (:func:`caserobot.cases.writeback.write_once`); a decision already there that is
        not the robot's own goes to a caseworker side by side with the robot's."""
        self._refuse_referral()
        return await write_once(self.ctx, self.case, self.decision, self.facts)

    def _refuse_referral(self) -> None:
        if self.decision.outcome == outcomes.REFER:
            raise ConfigurationError(
                "robotens process",
                "reglerna hänvisar ärendet till en handläggare men processen skriver ett "
                f"beslut; lägg '{HAND_OVER}' före skrivsteget i tasks.robot",
            )


HAND_OVER = "Hand Over To Caseworker If Referred"


def _shown(kind: str, result: Any) -> str:
    """A trace step's result in words."""
    if kind == "referral":
        return "ingen hänvisning" if result is None else f"hänvisas ({result})"
    if result is True:
        return "uppfyllt"
    if result is False:
        return "inte uppfyllt"
    return mask(str(result))


# -- reading the process from tasks.robot --------------------------------------------------


def load(tasks: Path, process_cls: type[ItemProcess], keyword: str | None = None) -> Process:
    """The process ``tasks.robot`` declares for ``process_cls``, checked.

    ``keyword`` names the process keyword; by default the ``process=`` argument of the
    suite's ``Process Work Items`` call.

    Raises:
        ConfigurationError: naming the file and what is wrong in it.
    """
    from robot.api import TestSuiteBuilder
    from robot.errors import DataError

    where = f"processen i {tasks}"
    try:
        suite = TestSuiteBuilder(rpa=True, allow_empty_suite=True).build(str(tasks))
    except DataError as exc:
        raise ConfigurationError(where, f"går inte att läsa: {exc}") from None
    name = keyword or _process_keyword(suite, where)
    keywords = {_norm(k.name): k for k in suite.resource.keywords}
    if _norm(name) not in keywords:
        raise ConfigurationError(where, f"nyckelordet '{name}' finns inte under *** Keywords ***")
    known = process_cls.steps()
    calls = tuple(_call(kw, known, where) for kw in keywords[_norm(name)].body)
    process = Process(keywords[_norm(name)].name, calls, tasks)
    check(process, known, where)
    return process


def _process_keyword(suite: Any, where: str) -> str:
    for task in suite.tests:
        for kw in task.body:
            if getattr(kw, "name", None) and _norm(kw.name) == _norm(RUNNER):
                for arg in kw.args:
                    if isinstance(arg, str) and arg.startswith("process="):
                        return arg.removeprefix("process=")
    raise ConfigurationError(
        where, f"ingen uppgift anropar '{RUNNER}' med process=<nyckelordet som är processen>"
    )


def _call(kw: Any, known: dict[str, StepSpec], where: str) -> StepCall:
    if getattr(kw, "type", "KEYWORD") != "KEYWORD" or not getattr(kw, "name", None):
        raise ConfigurationError(
            where,
            f"rad {getattr(kw, 'lineno', '?')}: processen består bara av steg och "
            f"'{SIDE_BY_SIDE}' (inga {getattr(kw, 'type', '?')})",
        )
    if kw.assign:
        raise ConfigurationError(where, f"rad {kw.lineno}: stegen tilldelar inga variabler")
    if _norm(kw.name) == _norm(SIDE_BY_SIDE):
        groups: list[list[str]] = [[]]
        for arg in kw.args:
            if arg == AND:
                groups.append([])
            else:
                groups[-1].append(arg)
        if len(groups) < 2 or any(len(g) != 1 for g in groups):
            raise ConfigurationError(
                where,
                f"rad {kw.lineno}: '{SIDE_BY_SIDE}' tar två eller flera steg med {AND} emellan",
            )
        inner = tuple(_step_call(g[0], known, where, kw.lineno) for g in groups)
        return StepCall(SIDE_BY_SIDE, inner)
    if kw.args:
        raise ConfigurationError(where, f"rad {kw.lineno}: steget '{kw.name}' tar inga argument")
    return _step_call(kw.name, known, where, kw.lineno)


def _step_call(name: str, known: dict[str, StepSpec], where: str, line: int) -> StepCall:
    if _norm(name) not in known:
        names = ", ".join(sorted(s.name for s in known.values()))
        raise ConfigurationError(where, f"rad {line}: inget steg heter '{name}' (steg: {names})")
    return StepCall(known[_norm(name)].name)


def check(process: Process, known: dict[str, StepSpec], where: str) -> None:
    """Every step's needs are given by an earlier step; the last step always ends the item
    (with a decision written or a handover). ``known``: the case type's steps."""
    given: set[str] = set()
    givers: dict[str, str] = {g: s.name for s in known.values() for g in s.gives}
    for call in process.calls:
        group = call.side_by_side or (call,)
        specs = [known[_norm(c.name)] for c in group]
        for spec in specs:
            for need in spec.needs:
                if need not in given:
                    by = givers.get(need)
                    hint = f"; steget '{by}' hämtar det och måste komma före" if by else ""
                    raise ConfigurationError(
                        where, f"steget '{spec.name}' behöver {need}, som inget steg före ger{hint}"
                    )
        for spec in specs:
            given.update(spec.gives)
    if not process.calls or process.calls[-1].side_by_side:
        raise ConfigurationError(where, "processen måste sluta med ett steg som avslutar ärendet")
    last = known[_norm(process.calls[-1].name)]
    if not last.final:
        enders = ", ".join(sorted(s.name for s in known.values() if s.final))
        raise ConfigurationError(
            where, f"sista steget '{last.name}' avslutar inte ärendet (sådana steg: {enders})"
        )


# -- running it ----------------------------------------------------------------------------


class ProcessHandler:
    """Runs a :class:`Process` for each work item (the engine's :class:`CaseHandler`)."""

    def __init__(self, process_cls: type[ItemProcess], declared: Process) -> None:
        self.case_type = process_cls.case_type
        self.process_cls = process_cls
        self.declared = declared
        self._steps = process_cls.steps()
        self._run_cache: dict[str, Any] = {}  # one handler per robot run

    async def process(self, ctx: WorkContext) -> Decided | Referred:
        item = self.process_cls(ctx)
        item.run_cache = self._run_cache
        log = ctx.log
        for call in self.declared.calls:
            if call.side_by_side:
                with log.step(call.name, [c.name for c in call.side_by_side]):
                    runs = [self._run(item, c, log) for c in call.side_by_side]
                    results = await ctx.gather(*runs)
                result = next((r for r in results if r is not None), None)
            else:
                result = await self._run(item, call, log)
            if result is not None:
                return result  # type: ignore[no-any-return]
        raise ConfigurationError(
            "robotens process", f"'{self.declared.name}' slutade utan beslut eller överlämning"
        )

    async def _run(self, item: ItemProcess, call: StepCall, log: ItemLog) -> Any:
        spec = self._steps[_norm(call.name)]
        with log.step(spec.name):
            return await getattr(item, spec.method)()


def handler(process_cls: type[ItemProcess], tasks: Path) -> ProcessHandler:
    return ProcessHandler(process_cls, load(tasks, process_cls))
