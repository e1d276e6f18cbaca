"""Case types are discovered, not listed in the core.

A case type is a package that declares an entry point in the group ``caserobot.case_types``
(the way pytest and Prefect find their plugins), naming a :class:`CaseTypePackage`::

    [project.entry-points."caserobot.case_types"]
    <name> = "<module>:PACKAGE"

Installing such a distribution (``pip install``) is all it takes for the rules, the robot
engine, the CLI and the web UI to know the case type. Nothing here imports a case type by
name; a package is loaded the first time something asks for the case types.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from caserobot.exceptions import ConfigurationError, InputError, Reason

GROUP = "caserobot.case_types"


@dataclass(frozen=True)
class Demo:
    """How ``caserobot demo`` shows a case type.

    Attributes:
        noun: What its applications are called, plural ("ansökningar om …").
        applications: How many the demo submits by default.
        seconds_apart: The stand-in e-service spaces generated applications about this far
            apart on average; the demo starts them ``applications · seconds_apart`` ago.
        caseworker: ``(username, display name)`` of the demo's caseworker for its unit.
        as_of: The demo's decision date applies (False: the case type decides the period
            applied for, whatever the date).
    """

    noun: str
    applications: int = 100
    seconds_apart: int = 600
    caseworker: tuple[str, str] | None = None
    as_of: bool = True


@dataclass(frozen=True)
class WebSystem:
    """A legacy system only this case type uses, reached through its web UI with seats.

    Attributes:
        session: ``"module:Class"`` of its :class:`caserobot.legacy.web.WebSession` subclass
            (its login form and what its screens say; its page objects on top).
        defaults: Its :class:`caserobot.settings.WebSystemSettings` (``base_url``,
            ``seat_limit``…) unless the settings say otherwise
            (``CASEROBOT_WEB_SYSTEMS__<NAME>__BASE_URL``).
    """

    session: str
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""  # shown to administrators, e.g. "Elevregistret (webbgränssnitt)"
    #: The stand-in system (``standins serve``) that plays it on one machine: the demo and
    #: the benchmark point the settings at it.
    standin: str = ""


@dataclass(frozen=True)
class CaseTypePackage:
    """What a case type offers the core.

    The ``"module:attr"`` references are imported only when something needs them (a robot
    run, the canary, a caseworker's write-back), so listing the case types stays cheap.

    Attributes:
        name: The case type's name (``[a-z][a-z0-9_]*``); the entry point's name too.
        rules: Its :class:`caserobot.rules.CaseType` (input model and rule functions).
        handler: ``"module:Class"`` of its :class:`caserobot.cases.CaseHandler` (collects the
            facts, decides, writes back); None while it has rules only (``decide`` works, no
            robot can run it yet).
        profile: Label, owning unit, SLA days and manual minutes (see
            :mod:`caserobot.case_types`); ``config/case_types.yaml`` may override each.
        decides_amount: Its decisions carry an amount in kronor (a grant needs one, a refusal
            has none); the caseworker's form then asks for it.
        caseworker: ``"module:function"`` writing a caseworker's decision back once
            (:mod:`caserobot.cases.caseworker`); None: the case type cannot.
        screens: ``"module:attr"`` of the :class:`caserobot.legacy.casesystem.ScreenSet`
            its robot uses, for the UI-drift canary; None: no canary.
        application_labels: Swedish labels of its application's fields (keys of the
            e-service's JSON, nested ones too), shown to a caseworker; a field without one
            shows its key.
        reasons: Its own reason codes (a :class:`caserobot.exceptions.Reason` subclass:
            code and Swedish label), beside the core's ``ReasonCode``.
        robot: The folder of its robot (``robot.yaml`` naming the flow, ``tasks.robot``,
            ``devdata/``), see :mod:`caserobot.robots`; None: it has no robot.
        demo: How ``caserobot demo`` runs it.
        web_systems: Legacy web UIs only it uses, by name; its handler asks a seat for one
            with ``await ctx.web(name)`` (opened on first use, one session per seat).
        report_by: Headings of the run report's breakdowns (Swedish) → where each item's
            payload holds the value, as a dotted path (``"part.provider_name"``); the
            report counts each value's outcomes.
        work_items: ``"module:function"`` splitting one application into the parts decided
            one by one (say, each course choice), ``fn(application) -> [(key, part)]``;
            each part is its own work item ``<application id>/<key>`` with ``part`` in its
            payload (see :mod:`caserobot.intake`). None: one item per application.
    """

    name: str
    rules: Any
    handler: str | None
    profile: dict[str, Any]
    decides_amount: bool = False
    caseworker: str | None = None
    screens: str | None = None
    application_labels: dict[str, str] = field(default_factory=dict)
    reasons: type[Reason] | None = None
    robot: Path | None = None
    demo: Demo | None = None
    web_systems: dict[str, WebSystem] = field(default_factory=dict)
    work_items: str | None = None
    report_by: dict[str, str] = field(default_factory=dict)

    def new_handler(self, tasks: Path | None = None, keyword: str | None = None) -> Any:
        """A fresh handler for one robot run; ConfigurationError for a rules-only one.

        A handler that is a :class:`caserobot.process.ItemProcess` runs the process its
        robot's ``tasks.robot`` declares (``tasks``: another suite file, ``keyword``: the
        process keyword in it; by default the one the suite's task names).
        """
        if self.handler is None:
            raise ConfigurationError(
                f"ärendetypen {self.name}", "har bara regler ännu; ingen robot kan köra den"
            )
        cls = self._import(self.handler, "handläggaren")
        from caserobot import process

        if isinstance(cls, type) and issubclass(cls, process.ItemProcess):
            if tasks is None:
                if self.robot is None:
                    raise ConfigurationError(
                        f"ärendetypen {self.name}", "har en process men ingen robot (tasks.robot)"
                    )
                from caserobot.robots import read_manifest

                tasks = read_manifest(self.robot).tasks_path
            return process.ProcessHandler(cls, process.load(tasks, cls, keyword))
        return cls()

    def caseworker_writer(self) -> Any | None:
        """``async write(ctx, payload) -> ActionWritten``, or None."""
        return self._import(self.caseworker, "återskrivningen") if self.caseworker else None

    def screen_set(self) -> Any | None:
        """The robot's screens for the canary, or None."""
        return self._import(self.screens, "skärmarna") if self.screens else None

    def splitter(self) -> Any | None:
        """``fn(application) -> [(key, part)]``, or None (one item per application)."""
        return self._import(self.work_items, "uppdelningen") if self.work_items else None

    def web_session_class(self, name: str) -> Any:
        """The session class of its web system ``name``; ConfigurationError if none."""
        if name not in self.web_systems:
            known = ", ".join(sorted(self.web_systems)) or "inga"
            raise ConfigurationError(
                f"ärendetypen {self.name}", f"inget webbsystem heter {name!r} (finns: {known})"
            )
        return self._import(self.web_systems[name].session, f"webbsystemet {name}")

    def _import(self, ref: str, what: str) -> Any:
        module, _, attr = ref.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigurationError(
                f"ärendetypen {self.name}", f"{what} {ref!r} går inte att läsa in: {exc}"
            ) from exc


def _load(entry: EntryPoint) -> CaseTypePackage:
    where = f"ärendetypen {entry.name} ({entry.value})"
    try:
        package = entry.load()
    except Exception as exc:  # a broken plugin names itself, never a bare traceback
        raise ConfigurationError(where, f"går inte att läsa in: {exc}") from exc
    if not isinstance(package, CaseTypePackage):
        raise ConfigurationError(where, "pekar inte på ett CaseTypePackage")
    if package.name != entry.name:
        raise ConfigurationError(where, f"heter {package.name!r} i paketet")
    return package


@lru_cache(maxsize=1)
def installed() -> dict[str, CaseTypePackage]:
    """Every installed case type, by name (loaded once per process)."""
    found: dict[str, CaseTypePackage] = {}
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        if entry.name in found:
            raise ConfigurationError(
                f"ärendetypen {entry.name}", "är installerad från mer än ett paket"
            )
        found[entry.name] = _load(entry)
    return found


def report_by(case_type: str | None) -> dict[str, str]:
    """The breakdowns of an installed case type (empty for none or an unknown one)."""
    found = installed().get(case_type) if case_type else None
    return dict(found.report_by) if found is not None else {}


def package(name: str) -> CaseTypePackage:
    """One installed case type. Raises InputError (field ``case_type``) if none is."""
    packages = installed()
    if name not in packages:
        known = ", ".join(packages) or "inga"
        raise InputError("case_type", f"okänd ärendetyp '{name}' (installerade: {known})")
    return packages[name]
