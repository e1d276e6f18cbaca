"""The Komvux applicants: adults of the synthetic world, each built for one kind of the mix.

About 2 000 adults born 1955–2008 (20 per weight unit of :data:`.mix.CATEGORIES`), most
folkbokförda in Nacka (0182), some in Stockholm, Värmdö or Tyresö, a few utvandrade (not
resident), a few with skyddad folkbokföring. Each has the school records its kind asks for
(:mod:`.records`): a national programme completed or left, grundskolan only, or nothing in
Sweden. Built from the world's seed after the world and the households, which it leaves
untouched (a random stream of its own); every personnummer is in Skatteverket's test series
and unique in the whole world.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from caserobot_komvux.standins.catalogue import Catalogue, build_catalogue
from caserobot_komvux.standins.mix import CATEGORIES, COUNTRIES, KINDS, UNDER_20
from caserobot_komvux.standins.records import (
    CORE_SUBJECTS,
    Grade,
    Programme,
    Records,
    delkurser,
    grundskola,
    gymnasium,
    komvux,
    records,
)
from standins import names, pnr
from standins.plugins import Registration, numbers_in_use
from standins.world import Address, Person, World

APPLICANTS_PER_WEIGHT = 20
BUT_FOR_ONE = ("not_resident", "protected_identity", "other_municipality")
"""Kinds that would be a clean grant but for the population register (half of them at
grundläggande level, half gymnasial)."""


@dataclass(slots=True)
class Applicant:
    person: Person
    kind: str
    records: Records
    resident: bool = True
    deregistered_on: date | None = None
    country: str = ""  # where foreign grades come from (no Swedish records)
    gap: str = ""  # grundskolan's subject not passed: applies at grundläggande level

    @property
    def in_register(self) -> bool:
        """Known to the school register (the elevregister finds people with records)."""
        return bool(self.records.programmes)


class KomvuxWorld:
    """The applicants by personnummer and by kind, and the course catalogue."""

    def __init__(self, world: World, catalogue: Catalogue) -> None:
        self.world = world
        self.catalogue = catalogue
        self.applicants: dict[str, Applicant] = {}
        self.pools: dict[str, list[Applicant]] = {kind: [] for kind in KINDS}

    def add(self, applicant: Applicant) -> None:
        self.applicants[applicant.person.pnr] = applicant
        self.pools[applicant.kind].append(applicant)

    def registrations(self) -> dict[str, Registration]:
        return {n: Registration(a.person, a.resident, a.deregistered_on)
                for n, a in self.applicants.items()}

    def describe(self) -> list[str]:
        people = list(self.applicants.values())
        where = Counter(self.world.municipality_name(a.person.address.municipality)
                        if a.resident else "not resident" for a in people)
        form = Counter("examen" if a.records.examen else "gymnasium, no examen"
                       if any(p.school_form == "Gymnasieskola" for p in a.records.programmes)
                       else "grundskola only" if a.records.programmes else "no records"
                       for a in people)
        c = self.catalogue
        return [f"komvux: {len(people)} applicants; " + ", ".join(
                    f"{k} {n}" for k, n in where.most_common()),
                f"protected identity: {sum(a.person.protected for a in people)}; records: "
                + ", ".join(f"{k} {n}" for k, n in form.most_common()),
                f"catalogue: {len(c.providers)} providers, {len(c.by_course)} courses, "
                f"{len(c.offerings)} course starts"]


def _rand_date(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


class _Builder:
    def __init__(self, world: World, catalogue: Catalogue) -> None:
        self.world = world
        self.rng = random.Random(f"komvux-{world.seed}")  # nosec B311  # seeded, reproducible test data, not security
        self.used = numbers_in_use(world)
        addresses = list(world.addresses.values())
        self.nacka = [a for a in addresses if a.municipality == names.NACKA]
        self.outside = [a for a in addresses if a.municipality != names.NACKA]
        self.providers = sorted(p.name for p in catalogue.providers.values())
        self.catalogue_codes = set(catalogue.by_course)

    def person(self, birth: date, address: Address, protected: bool) -> Person:
        rng = self.rng
        sex = rng.choice("KM")
        first = rng.choice(names.FEMALE_NAMES if sex == "K" else names.MALE_NAMES)
        series = pnr.TEST_SERIES[int(sex == "M")::2]  # odd for men, even for women
        while not (free := [n for n in series if f"{birth:%Y%m%d}{n}" not in self.used]):
            birth += timedelta(days=1)  # as Skatteverket does when a day runs out of numbers
        number = rng.choice(free)
        self.used.add(f"{birth:%Y%m%d}{number}")
        return Person(pnr.make(birth, number), first, rng.choice(names.SURNAMES), birth, sex,
                      address, protected, protected)

    def birth(self, kind: str) -> date:
        rng = self.rng
        if kind == "under20_completed_programme":
            return _rand_date(rng, date(2007, 1, 1), date(2007, 12, 31))
        if kind in UNDER_20:
            return _rand_date(rng, date(2007, 1, 1), date(2008, 12, 31))
        years = range(1955, 2007)
        year = rng.choices(years, weights=[3 if 1980 <= y <= 2003 else 1 for y in years])[0]
        return _rand_date(rng, date(year, 1, 1), date(year, 12, 31))

    def applicant(self, kind: str) -> Applicant:
        rng = self.rng
        birth = self.birth(kind)
        home = rng.choice(self.outside if kind == "other_municipality" else self.nacka)
        person = self.person(birth, home, kind == "protected_identity")
        birth = person.birth_date
        programmes: list[Programme] = []
        grades: list[Grade] = []
        applicant = Applicant(person, kind, records([], []))
        base = kind
        if kind in BUT_FOR_ONE:
            base = rng.choice(("grund_lacks_subject", "gym_no_examen"))
        elif kind == "under20_special_reasons":
            base = "under20_no_programme"

        def add(made: tuple[Programme, list[Grade]]) -> None:
            programmes.append(made[0])
            grades.extend(made[1])

        if base == "grund_lacks_subject":
            gap = rng.choice(CORE_SUBJECTS)
            fail = {gap} | ({rng.choice(CORE_SUBJECTS)} if rng.random() < 0.25 else set())
            add(grundskola(rng, birth, fail))
            if rng.random() < 0.3:  # the first part of the subject already read at Komvux
                add(komvux(rng, delkurser(gap)[:1], birth.year + 18, self.providers))
            applicant.gap = gap
        elif base in ("gym_no_examen", "grund_has_knowledge"):
            add(grundskola(rng, birth, set()))
            if rng.random() < 0.7:
                add(gymnasium(rng, birth, "dropped"))
        elif base in ("gym_has_examen", "under20_completed_programme"):
            add(grundskola(rng, birth, set()))
            add(gymnasium(rng, birth, "examen"))
            if base == "gym_has_examen" and birth.year < 2004 and rng.random() < 0.2:
                add(komvux(rng, [rng.choice(("SAMSAM02", "PSKPSY01", "RELREL01"))],
                           birth.year + 21, self.providers))
        elif base == "already_passed":
            add(grundskola(rng, birth, set()))
            add(gymnasium(rng, birth, rng.choice(("examen", "dropped"))))
        elif base == "under20_no_programme":
            add(grundskola(rng, birth, set()))
            add(gymnasium(rng, birth, "dropped"))
        elif base == "foreign_grades":
            applicant.country = rng.choice(COUNTRIES)
        applicant.records = records(programmes, grades)
        if kind == "not_resident":
            applicant.resident = False
            applicant.deregistered_on = _rand_date(rng, date(2018, 1, 1), date(2026, 6, 30))
        return applicant

    def usable(self, applicant: Applicant) -> bool:
        """The records fit the kind (a dropped programme may leave nothing to pass)."""
        if applicant.kind == "already_passed":
            return any(g.passed and g.code in self.catalogue_codes
                       for g in applicant.records.grades if g.level == "gymnasial")
        return True


@lru_cache(maxsize=4)
def build_komvux(world: World) -> KomvuxWorld:
    """The applicants of ``world`` and its course catalogue, built once per world."""
    catalogue = build_catalogue(world.seed)
    komvux_world = KomvuxWorld(world, catalogue)
    builder = _Builder(world, catalogue)
    for category, kinds in CATEGORIES.items():
        if category == "malformed":
            continue
        for kind, weight in kinds.items():
            for _ in range(weight * APPLICANTS_PER_WEIGHT):
                applicant = builder.applicant(kind)
                while not builder.usable(applicant):
                    applicant = builder.applicant(kind)
                komvux_world.add(applicant)
    return komvux_world
