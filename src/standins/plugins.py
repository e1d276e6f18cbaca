"""Stand-ins a case-type package brings: found through the entry-point group ``caserobot.standins``.

A distribution declares, in its pyproject.toml::

    [project.entry-points."caserobot.standins"]
    komvux = "caserobot_komvux.standins:PLUGIN"

naming a :class:`StandInPlugin` whose ``name`` is the entry point's name. What it offers, the
stand-in core serves with no edit of its own:

* ``servers``: systems of its own (name → :class:`PluginServer`), each served by
  ``standins serve`` like the five built-in ones (own port, ``--port NAME=PORT``, the fault
  gate and every knob, ``--set NAME.KNOB=VALUE``, outages, the ``standins ready:`` line);
* ``people``: people the population register answers for (:class:`Registration`);
* ``generator``: the e-service's ``POST /_test/generate`` for its application type;
* ``case_types``: what the case system needs to open and decide its cases (:class:`CaseType`).

A broken plugin names itself: :class:`PluginError` (entry point and what is wrong), never a
traceback from deep inside a server. Discovery runs once per process (:func:`installed`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

from standins import knobs

if TYPE_CHECKING:  # light at import: `standins serve --help` must not pull in FastAPI
    from fastapi import FastAPI

    from standins.common import Tuning
    from standins.world import Person, World

GROUP = "caserobot.standins"
BUILT_IN_SYSTEMS = ("eservice", "case_system", "population", "route", "income")
BUILT_IN_CASE_TYPES = ("skolskjuts", "ekonomiskt_bistand")
BUILT_IN_UTFALL = ("bifall", "avslag")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

Application = dict[str, Any]
Batch = list[tuple[str, str, Application]]
"""Generated applications as (category, kind, application), in submission order."""


class PluginError(ValueError):
    """A stand-in plugin that cannot be used; the message names its entry point."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"stand-in plugin {plugin!r}: {message}")
        self.plugin = plugin


@dataclass(frozen=True)
class PluginServer:
    """A system of the plugin's own, served by ``standins serve``.

    ``factory(world, tuning)`` builds its FastAPI app; the app's state must be a
    :class:`standins.common.StandIn` installed with :func:`standins.common.install_common`
    (ledger, knobs, faults, ``/_test/*``) and named like the server. ``sessions``: a web UI
    with a login, which takes the session knobs (``seats``, ``session_timeout_s``,
    ``session_expiry_rate``, ``seats_taken``, ``session_serial``) and the ``--seats``,
    ``--session-timeout-s`` and ``--ui-latency-ms`` flags; otherwise ``--api-latency-ms``.
    """

    port: int
    factory: Callable[[World, Tuning], FastAPI]
    help: str = ""
    sessions: bool = False


@dataclass(frozen=True)
class Registration:
    """One person the population register answers for.

    ``resident`` False: avregistrerad as utvandrad on ``deregistered_on`` (Navet's
    ``Avregistrering``); no home municipality and no address are given.
    """

    person: Person
    resident: bool = True
    deregistered_on: date | None = None


@dataclass(frozen=True)
class ApplicationGenerator:
    """Synthetic applications of one type for ``POST /_test/generate {"type": ...}``.

    ``generate(world, count, seed, malformed_share, start)`` returns a :data:`Batch`;
    ``categories`` is the mix (category → kind → weight) the answer's ``mix`` counts by.
    """

    type: str
    categories: Mapping[str, Mapping[str, int]]
    generate: Callable[[World, int, int, float, datetime | None], Batch]


@dataclass(frozen=True)
class CaseType:
    """What the case system needs to accept a case type.

    ``arendetyp``: the form's and the ledger's value; ``label``: its name in the new-case
    form; ``diarie_prefix``: ``PREFIX-YYYY-NNNNN``; ``utfall``: decision values beyond
    ``bifall``/``avslag``, value → label (``{"urval": "Behörig – urval"}``); ``known(world,
    pnr12)``: whether a case may be opened for that person (refused with
    ``unknown_message`` otherwise).
    """

    arendetyp: str
    label: str
    diarie_prefix: str
    known: Callable[[World, str], bool]
    utfall: Mapping[str, str] = field(default_factory=dict)
    unknown_message: str = "Personnumret finns inte i registret."


@dataclass(frozen=True)
class StandInPlugin:
    """What one package brings to the stand-ins (every part optional)."""

    name: str
    servers: Mapping[str, PluginServer] = field(default_factory=dict)
    people: Callable[[World], Mapping[str, Registration]] | None = None
    generator: ApplicationGenerator | None = None
    case_types: tuple[CaseType, ...] = ()
    describe: Callable[[World], Iterable[str]] | None = None
    """Lines for ``standins world`` (what the plugin's part of the world holds)."""


@dataclass(frozen=True)
class PluginSet:
    """The plugins in use, checked against each other and the built-in systems."""

    plugins: tuple[StandInPlugin, ...] = ()

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}

        def claim(kind: str, name: str, plugin: str, built_in: Iterable[str]) -> None:
            if name in built_in:
                raise PluginError(plugin, f"{kind} {name!r} is built in")
            other = seen.setdefault(f"{kind}:{name}", plugin)
            if other != plugin:
                raise PluginError(plugin, f"{kind} {name!r} is also offered by {other!r}")

        for plugin in self.plugins:
            for server, spec in plugin.servers.items():
                if not _NAME.match(server):
                    raise PluginError(plugin.name, f"server name {server!r}: write lower-case "
                                      "letters, digits and _")
                if not 0 <= spec.port <= 65535:
                    raise PluginError(plugin.name, f"server {server!r}: port {spec.port}")
                claim("server", server, plugin.name, BUILT_IN_SYSTEMS)
                if spec.sessions:  # its /_test/config takes seats, session_timeout_s, …
                    knobs.add_login_system(server)
            if plugin.generator is not None:
                claim("application type", plugin.generator.type, plugin.name,
                      BUILT_IN_CASE_TYPES)
            for case_type in plugin.case_types:
                claim("case type", case_type.arendetyp, plugin.name, BUILT_IN_CASE_TYPES)
                for value in case_type.utfall:
                    if value in BUILT_IN_UTFALL:
                        raise PluginError(plugin.name, f"utfall {value!r} is built in")

    @property
    def servers(self) -> dict[str, PluginServer]:
        return {n: s for p in self.plugins for n, s in sorted(p.servers.items())}

    @property
    def generators(self) -> dict[str, ApplicationGenerator]:
        return {p.generator.type: p.generator for p in self.plugins if p.generator}

    @property
    def case_types(self) -> dict[str, CaseType]:
        return {c.arendetyp: c for p in self.plugins for c in p.case_types}

    def registrations(self, world: World) -> dict[str, Registration]:
        """Every plugin's people; a personnummer the world or another plugin uses is refused."""
        out: dict[str, Registration] = {}
        for plugin in self.plugins:
            if plugin.people is None:
                continue
            for number, entry in plugin.people(world).items():
                if number in out or number in world.people:
                    raise PluginError(plugin.name, f"personnummer {number} is taken")
                out[number] = entry
        return out


def load(entry: EntryPoint) -> StandInPlugin:
    """The plugin an entry point names, checked; :class:`PluginError` otherwise."""
    try:
        plugin = entry.load()
    except Exception as exc:  # any import failure of a third-party module
        raise PluginError(entry.name, f"{entry.value} cannot be imported: {exc}") from exc
    if not isinstance(plugin, StandInPlugin):
        raise PluginError(entry.name, f"{entry.value} is a {type(plugin).__name__}, not a "
                          "standins.plugins.StandInPlugin")
    if plugin.name != entry.name:
        raise PluginError(entry.name, f"{entry.value} is named {plugin.name!r}, not like its "
                          "entry point")
    return plugin


def discover() -> PluginSet:
    """Every installed plugin (group ``caserobot.standins``), by entry-point name."""
    found: dict[tuple[str, str], EntryPoint] = {}
    for entry in entry_points(group=GROUP):
        found.setdefault((entry.name, entry.value), entry)  # one package seen twice: once
    return PluginSet(tuple(load(e) for _, e in sorted(found.items())))


@lru_cache(maxsize=1)
def installed() -> PluginSet:
    """:func:`discover`, once per process."""
    return discover()


def numbers_in_use(world: World) -> set[str]:
    """Birth date and birth number (11 digits) of every personnummer and samordningsnummer
    the built-in world holds: a plugin making people draws others."""
    from standins.social import build_social

    return {n[:11] for n in world.people} | {n[:11] for n in build_social(world).people}
