"""Komvux's legacy stand-ins, a plugin of ``standins`` (entry-point group ``caserobot.standins``).

Registered by this distribution's entry point ``komvux = "caserobot_komvux.standins:PLUGIN"``,
it brings to ``standins serve``:

* the school-records system ``school_records`` (:mod:`.school_records`, default port 8706);
* the applicants to the population register (:mod:`.people`);
* Komvux applications for the e-service, ``POST /_test/generate {"type": "komvux"}``
  (:mod:`.generator`, the mix in :mod:`.mix`);
* the case type ``komvux`` to the case system (diarienummer ``KVX-YYYY-NNNNN``, decisions
  ``bifall``, ``avslag`` and ``urval`` "Behörig – urval").

The course catalogue is :mod:`.catalogue`. See README.md in this folder.
"""

from __future__ import annotations

from collections.abc import Mapping

from caserobot_komvux.standins import generator, school_records
from caserobot_komvux.standins.mix import CATEGORIES
from caserobot_komvux.standins.people import build_komvux
from standins.plugins import (
    ApplicationGenerator,
    CaseType,
    PluginServer,
    Registration,
    StandInPlugin,
)
from standins.world import World

URVAL = {"urval": "Behörig – urval"}


def _people(world: World) -> Mapping[str, Registration]:
    return build_komvux(world).registrations()


def _known(world: World, number: str) -> bool:
    return number in build_komvux(world).applicants


def _describe(world: World) -> list[str]:
    return build_komvux(world).describe()


PLUGIN = StandInPlugin(
    name="komvux",
    servers={school_records.NAME: PluginServer(
        port=school_records.PORT, factory=school_records.create_app, sessions=True,
        help="school records (elevregister, web UI): programmes and grades")},
    people=_people,
    generator=ApplicationGenerator(type=generator.CASE_TYPE, categories=CATEGORIES,
                                   generate=generator.generate),
    case_types=(CaseType(arendetyp=generator.CASE_TYPE, label="Komvux", diarie_prefix="KVX",
                         known=_known, utfall=URVAL,
                         unknown_message="Personnumret finns inte bland de sökande till "
                         "vuxenutbildningen."),),
    describe=_describe,
)

__all__ = ["PLUGIN"]
