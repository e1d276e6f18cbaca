"""A deterministic synthetic world shared by all stand-ins, built from a seed.

Nacka (0182) covers most of a road grid; Stockholm (0180) lies to the west, Värmdö (0120)
to the east and Tyresö (0138) to the south. Households of guardians and children (grade F-9
in the 2026/27 school year) live on grid nodes; every child has a school placement. All
personnummer are in Skatteverket's test series (birth numbers 980-999).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from standins import names, pnr
from standins.geo import RoadGraph

SCHOOL_YEAR_START = 2026
"""Grade F is born in 2020, grade 1 in 2019, …, grade 9 in 2011 (school year 2026/27)."""
STREET_SEGMENT = 8  # nodes per street; also the width of a postal zone
ZONE_ROWS = 6  # rows per postal zone
TARGET_CHILDREN = 4000
MAX_CHOICE_M = 8000


def grade_label(grade: int) -> str:
    return "F" if grade == 0 else str(grade)


@dataclass(frozen=True, slots=True)
class Address:
    street: str  # street and number, "Björkvägen 5"
    postal_code: str  # "13140"
    city: str
    municipality: str  # kommunkod
    node: int
    offset_m: int  # from the door to the road graph

    @property
    def key(self) -> str:
        return f"{self.street}, {self.postal_code}".lower()

    def one_line(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"

    def as_json(self) -> dict[str, str]:
        return {"street": self.street, "postal_code": self.postal_code, "city": self.city}


@dataclass(frozen=True, slots=True)
class School:
    unit_code: str
    name: str
    municipality: str
    huvudman: str  # "Kommunal" or "Fristående"
    first_grade: int
    last_grade: int
    address: Address

    def offers(self, grade: int) -> bool:
        return self.first_grade <= grade <= self.last_grade

    @property
    def grades(self) -> str:
        return f"{grade_label(self.first_grade)}-{self.last_grade}"


@dataclass(frozen=True, slots=True)
class Placement:
    unit_code: str
    grade: int  # 0 = F
    nearest_municipal: bool
    applied_nearest_refused: bool


@dataclass(slots=True)
class Person:
    pnr: str  # 12 digits
    first_name: str
    last_name: str
    birth_date: date
    sex: str  # "K" or "M"
    address: Address
    protected: bool = False  # skyddad folkbokföring: address withheld
    secrecy: bool = False  # sekretessmarkering
    guardians: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    grade: int | None = None  # children only
    placement: Placement | None = None
    second_address: Address | None = None  # alternating residence: the other guardian's home

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_child(self) -> bool:
        return self.grade is not None


class World:
    """The synthetic world. Build it with :func:`build_world` (cached) or :meth:`build`."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)  # nosec B311  # seeded, reproducible test data, not security
        self.graph = RoadGraph.build(self.rng)
        self.addresses: dict[str, Address] = {}  # key "street 5, 13140"
        self.by_street: dict[str, Address] = {}  # "björkvägen 5"
        self.schools: dict[str, School] = {}
        self.people: dict[str, Person] = {}
        self.children: list[Person] = []
        self.guardians: list[Person] = []
        self._used_numbers: dict[date, set[int]] = {}
        self._at_node: dict[int, list[Address]] = {}

    @classmethod
    def build(cls, seed: int = 1) -> World:
        world = cls(seed)
        world._make_addresses()
        world._make_schools()
        world._make_households()
        del world._used_numbers
        return world

    # ---- queries -------------------------------------------------------------------------
    def municipality_name(self, code: str) -> str:
        return names.MUNICIPALITIES[code][0]

    def walking_distance(self, a: Address, b: Address) -> int:
        """Walking distance in metres between two addresses."""
        return round(self.graph.distance(a.node, b.node) + a.offset_m + b.offset_m)

    def school_distance(self, child: Person, address: Address | None = None) -> int:
        assert child.placement is not None  # nosec B101  # invariant of the generated world; narrows the type
        school = self.schools[child.placement.unit_code]
        return self.walking_distance(address or child.address, school.address)

    def find_address(self, text: str) -> Address | None:
        """``"Björkvägen 5, 131 40 Nacka"``, ``"björkvägen 5, 13140"`` or ``"Björkvägen 5"``."""
        street, _, rest = str(text).partition(",")
        street = " ".join(street.split()).lower()
        if not rest.strip():
            return self.by_street.get(street)
        digits = "".join(ch for ch in rest if ch.isdigit())[:5]
        return self.addresses.get(f"{street}, {digits}")

    def nearest_municipal_school(self, address: Address, grade: int) -> School | None:
        candidates = [
            s
            for s in self.schools.values()
            if s.huvudman == "Kommunal" and s.municipality == address.municipality
            and s.offers(grade)
        ]
        return min(
            candidates, key=lambda s: self.walking_distance(address, s.address), default=None
        )

    def fingerprint(self) -> str:
        """A digest of everything observable, to prove determinism."""
        h = hashlib.sha256()
        for s in self.schools.values():
            h.update(repr(s).encode())
        for p in self.people.values():
            h.update(repr(p).encode())
        return h.hexdigest()

    # ---- building ------------------------------------------------------------------------
    def _zone_municipality(self, zx: int, zy: int) -> str:
        zones_x = self.graph.width // STREET_SEGMENT
        zones_y = self.graph.height // ZONE_ROWS
        if zx == 0:
            return "0180"
        if zx == zones_x - 1:
            return "0120"
        if zy == zones_y - 1:
            return "0138"
        return names.NACKA

    def _make_addresses(self) -> None:
        g, rng = self.graph, self.rng
        streets = [p + s.lower() for p in names.STREET_PREFIXES for s in names.STREET_SUFFIXES]
        rng.shuffle(streets)
        zones_x = g.width // STREET_SEGMENT
        zones_y = g.height // ZONE_ROWS
        zone_info: dict[tuple[int, int], tuple[str, str, str]] = {}
        counters: dict[str, int] = {}
        for zy in range(zones_y):
            for zx in range(zones_x):
                code = self._zone_municipality(zx, zy)
                _, base, towns = names.MUNICIPALITIES[code]
                i = counters.get(code, 0)
                counters[code] = i + 1
                postal = str(base + i * 5)
                town = towns[0]
                if code == names.NACKA and zx >= zones_x // 2:
                    town = towns[1] if zy < zones_y // 2 else towns[2]
                zone_info[zx, zy] = (code, postal, town)
        for node, ok in enumerate(g.reachable):
            if not ok:
                continue
            x, y = g.grid_xy(node)
            code, postal, town = zone_info[x // STREET_SEGMENT, y // ZONE_ROWS]
            street = streets[y * zones_x + x // STREET_SEGMENT]
            k = x % STREET_SEGMENT
            for number in range(4 * k + 1, 4 * k + 5):
                addr = Address(f"{street} {number}", postal, town, code, node, 40 + number % 4 * 20)
                self.addresses[addr.key] = addr
                self.by_street[addr.street.lower()] = addr
                self._at_node.setdefault(node, []).append(addr)

    def _address_at(self, node: int) -> Address:
        x, _ = self.graph.grid_xy(node)
        number = 4 * (x % STREET_SEGMENT) + 1 + self.rng.randrange(4)
        for addr in self._node_addresses(node):
            if addr.street.endswith(f" {number}"):
                return addr
        raise LookupError(node)

    def _node_addresses(self, node: int) -> list[Address]:
        return self._at_node[node]

    def _make_schools(self) -> None:
        g, rng = self.graph, self.rng
        for i, (name, code, huvudman, (first, last), (fx, fy)) in enumerate(names.SCHOOLS, 1):
            x = round(fx * (g.width - 1) + rng.uniform(-1.5, 1.5))
            y = round(fy * (g.height - 1) + rng.uniform(-1.5, 1.5))
            node = g.nearest_reachable(x, y)
            street_addr = self._node_addresses(node)[0]
            school = School(f"SK{i:04d}", name, code, huvudman, first, last, street_addr)
            self.schools[school.unit_code] = school
            g.distances_from(node)  # warm the cache: every route ends at a school

    def _make_households(self) -> None:
        rng = self.rng
        nodes = [n for n, ok in enumerate(self.graph.reachable) if ok]
        by_municipality: dict[str, list[int]] = {}
        for n in nodes:
            by_municipality.setdefault(self._node_addresses(n)[0].municipality, []).append(n)
        outside = [n for m, ns in by_municipality.items() if m != names.NACKA for n in ns]
        while len(self.children) < TARGET_CHILDREN:
            home_pool = by_municipality[names.NACKA] if rng.random() < 0.85 else outside
            home = self._address_at(rng.choice(home_pool))
            protected = rng.random() < 0.012
            secrecy = protected or rng.random() < 0.006
            surname = rng.choice(names.SURNAMES)
            first_year = rng.randint(1975, 1992)
            guardians = [self._person(home, first_year, surname, protected, secrecy)]
            if rng.random() < 0.7:
                other_surname = surname if rng.random() < 0.6 else rng.choice(names.SURNAMES)
                year = min(1992, max(1975, first_year + rng.randint(-4, 4)))
                guardians.append(self._person(home, year, other_surname, protected, secrecy))
            kids = rng.choices((1, 2, 3), weights=(45, 40, 15))[0]
            alternating = len(guardians) == 2 and not protected and rng.random() < 0.09
            if alternating:
                if rng.random() < 0.7:
                    pool = by_municipality[home.municipality]
                else:
                    others = [m for m in by_municipality if m != home.municipality]
                    pool = by_municipality[names.NACKA if home.municipality != names.NACKA
                                           else rng.choice(others)]
                guardians[1].address = self._address_at(rng.choice(pool))
            lo, hi = max(2011, first_year + 20), min(2020, first_year + 45)
            for _ in range(kids):
                child = self._person(home, rng.randint(lo, hi), surname, protected, secrecy)
                child.grade = SCHOOL_YEAR_START - 6 - child.birth_date.year
                child.guardians = [gp.pnr for gp in guardians]
                if alternating:
                    child.second_address = guardians[1].address
                child.placement = self._place(child)
                for gp in guardians:
                    gp.children.append(child.pnr)
                self.children.append(child)
            self.guardians.extend(guardians)

    def _person(self, home: Address, year: int, surname: str, protected: bool,
                secrecy: bool) -> Person:
        rng = self.rng
        sex = rng.choice("KM")
        first = rng.choice(names.FEMALE_NAMES if sex == "K" else names.MALE_NAMES)
        birth = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        parity = 0 if sex == "K" else 1
        while True:
            used = self._used_numbers.setdefault(birth, set())
            free = [n for n in pnr.TEST_SERIES if n % 2 == parity and n not in used]
            if free:
                break
            birth += timedelta(days=1)  # as Skatteverket does when a day runs out of numbers
        number = rng.choice(free)
        used.add(number)
        person = Person(pnr.make(birth, number), first, surname, birth, sex, home,
                        protected, secrecy)
        self.people[person.pnr] = person
        return person

    def _place(self, child: Person) -> Placement:
        rng, grade = self.rng, child.grade
        assert grade is not None  # nosec B101  # invariant of the generated world; narrows the type
        home = child.address
        nearest = self.nearest_municipal_school(home, grade)

        def pick(schools: list[School]) -> School | None:
            # families choose schools within reach: closer is likelier, beyond 8 km never
            dist = [self.walking_distance(home, s.address) for s in schools]
            reach = [(s, d) for s, d in zip(schools, dist, strict=True) if d <= MAX_CHOICE_M]
            if not reach:
                return None
            return rng.choices([s for s, _ in reach], weights=[1 / (d + 400) for _, d in reach])[0]

        offering = [s for s in self.schools.values() if s.offers(grade) and s is not nearest]
        r = rng.random()
        school = nearest if r < 0.64 else None
        if school is None and r < 0.78:
            school = pick([s for s in offering if s.huvudman == "Kommunal"
                           and s.municipality == home.municipality])
        if school is None and r < 0.90:
            school = pick([s for s in offering if s.huvudman == "Fristående"])
        if school is None:
            school = pick([s for s in offering if s.municipality != home.municipality])
        if school is None:
            school = nearest or pick(offering)
        assert school is not None  # nosec B101  # invariant of the generated world; narrows the type
        is_nearest = school is nearest
        refused = not is_nearest and nearest is not None and rng.random() < 0.35
        return Placement(school.unit_code, grade, is_nearest, refused)


@lru_cache(maxsize=4)
def build_world(seed: int = 1) -> World:
    """The world for ``seed``, built once per process."""
    return World.build(seed)
