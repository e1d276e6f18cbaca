"""The Komvux course catalogue: about 30 authorised providers and the courses they start.

Nacka runs no Komvux of its own; every course is given by a provider the municipality has
authorised. All provider names are invented. Course codes follow Skolverket's pattern
(``MATMAT01a``, ``GRNMAT2``) but the list is a stand-in's, not the syllabus. Courses start in
the autumn term 2026 and the spring term 2027. Built from the world's seed alone, so a seed
always gives the same catalogue.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

GRUNDLAGGANDE = "grundlaggande"
GYMNASIAL = "gymnasial"
LEVEL_LABELS = {"grundskola": "Grundskola", GRUNDLAGGANDE: "Grundläggande",
                GYMNASIAL: "Gymnasial"}
START_DATES = ("2026-08-17", "2026-10-19", "2027-01-18", "2027-03-22")
"""Course starts: two in the autumn term 2026, two in the spring term 2027."""


@dataclass(frozen=True, slots=True)
class Course:
    code: str
    name: str
    level: str  # grundlaggande | gymnasial
    points: int
    subject: str  # SVE, MAT, ENG, … (grundskolan's subject the course builds on)
    qualifying: bool  # counts towards eligibility for higher education


def _c(code: str, name: str, level: str, points: int, subject: str,
       qualifying: bool = True) -> Course:
    return Course(code, name, level, points, subject, qualifying)


G, Y = GRUNDLAGGANDE, GYMNASIAL
COURSES: dict[str, Course] = {c.code: c for c in (
    _c("GRNSVE1", "Svenska, delkurs 1", G, 100, "SVE"),
    _c("GRNSVE2", "Svenska, delkurs 2", G, 100, "SVE"),
    _c("GRNSVE3", "Svenska, delkurs 3", G, 150, "SVE"),
    _c("GRNSVE4", "Svenska, delkurs 4", G, 100, "SVE"),
    _c("GRNMAT1", "Matematik, delkurs 1", G, 150, "MAT"),
    _c("GRNMAT2", "Matematik, delkurs 2", G, 150, "MAT"),
    _c("GRNMAT3", "Matematik, delkurs 3", G, 150, "MAT"),
    _c("GRNMAT4", "Matematik, delkurs 4", G, 150, "MAT"),
    _c("GRNENG1", "Engelska, delkurs 1", G, 150, "ENG"),
    _c("GRNENG2", "Engelska, delkurs 2", G, 150, "ENG"),
    _c("GRNENG3", "Engelska, delkurs 3", G, 150, "ENG"),
    _c("GRNSAM1", "Samhällskunskap", G, 100, "SAM"),
    _c("GRNNAT1", "Naturorienterande ämnen", G, 100, "BIO"),
    _c("SVESVE01", "Svenska 1", Y, 100, "SVE"),
    _c("SVESVE02", "Svenska 2", Y, 100, "SVE"),
    _c("SVESVE03", "Svenska 3", Y, 100, "SVE"),
    _c("SVASVA01", "Svenska som andraspråk 1", Y, 100, "SVE"),
    _c("SVASVA02", "Svenska som andraspråk 2", Y, 100, "SVE"),
    _c("SVASVA03", "Svenska som andraspråk 3", Y, 100, "SVE"),
    _c("ENGENG05", "Engelska 5", Y, 100, "ENG"),
    _c("ENGENG06", "Engelska 6", Y, 100, "ENG"),
    _c("ENGENG07", "Engelska 7", Y, 100, "ENG"),
    _c("MATMAT01a", "Matematik 1a", Y, 100, "MAT"),
    _c("MATMAT01b", "Matematik 1b", Y, 100, "MAT"),
    _c("MATMAT01c", "Matematik 1c", Y, 100, "MAT"),
    _c("MATMAT02a", "Matematik 2a", Y, 100, "MAT"),
    _c("MATMAT02b", "Matematik 2b", Y, 100, "MAT"),
    _c("MATMAT02c", "Matematik 2c", Y, 100, "MAT"),
    _c("MATMAT03b", "Matematik 3b", Y, 100, "MAT"),
    _c("MATMAT03c", "Matematik 3c", Y, 100, "MAT"),
    _c("MATMAT04", "Matematik 4", Y, 100, "MAT"),
    _c("SAMSAM01b", "Samhällskunskap 1b", Y, 100, "SAM"),
    _c("HISHIS01b", "Historia 1b", Y, 100, "HIS"),
    _c("NAKNAK01b", "Naturkunskap 1b", Y, 100, "BIO"),
    _c("BIOBIO01", "Biologi 1", Y, 100, "BIO"),
    _c("BIOBIO02", "Biologi 2", Y, 100, "BIO"),
    _c("FYSFYS01a", "Fysik 1a", Y, 150, "FYS"),
    _c("FYSFYS02", "Fysik 2", Y, 100, "FYS"),
    _c("KEMKEM01", "Kemi 1", Y, 100, "KEM"),
    _c("KEMKEM02", "Kemi 2", Y, 100, "KEM"),
    _c("SAMSAM02", "Samhällskunskap 2", Y, 100, "SAM", qualifying=False),
    _c("RELREL01", "Religionskunskap 1", Y, 50, "REL", qualifying=False),
    _c("PSKPSY01", "Psykologi 1", Y, 50, "PSY", qualifying=False),
    _c("MEDMED01", "Medicin 1", Y, 150, "BIO", qualifying=False),
    _c("PRRPRR01", "Programmering 1", Y, 100, "TEK", qualifying=False),
    _c("WEUWEB01", "Webbutveckling 1", Y, 100, "TEK", qualifying=False),
    _c("DAODAC0", "Dator- och kommunikationsteknik", Y, 100, "TEK", qualifying=False),
)}
CORE = {G: ("GRNSVE1", "GRNSVE2", "GRNMAT1", "GRNMAT2", "GRNENG1", "GRNENG2"),
        Y: ("SVESVE01", "ENGENG05", "MATMAT01a", "MATMAT01b", "MATMAT02b", "SVASVA01")}
"""Courses most providers of a level give (every course has at least two providers)."""

_FIRST = ("Lärlyktan", "Kunskapsgläntan", "Bildningsbryggan", "Studieankaret", "Kursfyren",
          "Lärstigen", "Vuxenvalvet", "Kunskapskajen", "Lärknuten", "Studiegläntan",
          "Bildningsfyren", "Kursvalvet", "Lärbryggan", "Kunskapsankaret", "Studievalvet",
          "Lärkajen", "Kursknuten", "Bildningsstigen", "Vuxenfyren", "Kunskapsstigen",
          "Lärankaret", "Studiebryggan", "Kursgläntan", "Bildningskajen", "Vuxenknuten",
          "Kunskapsvalvet", "Lärgläntan", "Studiefyren", "Kursankaret", "Vuxenbryggan")
_FORMS = ("Vuxenutbildning AB", "Lärcentrum", "Kompetenscenter AB", "Vux AB", "Utbildning AB")
_PLACES = (("Nacka", "0182"), ("Nacka", "0182"), ("Saltsjö-Boo", "0182"),
           ("Stockholm", "0180"), ("Gustavsberg", "0120"), ("Tyresö", "0138"))
_MODES = ("Klassrum", "Klassrum", "Distans", "Flex")


@dataclass(frozen=True, slots=True)
class Provider:
    code: str  # "ANO-101"
    name: str
    city: str
    municipality: str  # kommunkod of its premises
    mode: str  # Klassrum | Distans | Flex


@dataclass(frozen=True, slots=True)
class Offering:
    """One start of one course at one provider."""

    course: Course
    provider: Provider
    start_date: str  # ISO date
    capacity: int  # places

    def as_choice(self) -> dict[str, object]:
        """The course choice as the e-service shows it (without its priority)."""
        return {"course_code": self.course.code, "course_name": self.course.name,
                "level": self.course.level, "points": self.course.points,
                "provider_code": self.provider.code, "provider_name": self.provider.name,
                "start_date": self.start_date}


class Catalogue:
    """Providers and their course starts; see :func:`build_catalogue`."""

    def __init__(self, providers: list[Provider], offerings: list[Offering]) -> None:
        self.providers = {p.code: p for p in providers}
        self.offerings = offerings
        self.by_course: dict[str, list[Offering]] = {}
        for o in offerings:
            self.by_course.setdefault(o.course.code, []).append(o)

    def find(self, code: str, provider: str, start_date: str) -> Offering | None:
        return next((o for o in self.by_course.get(code, ()) if o.provider.code == provider
                     and o.start_date == start_date), None)

    def offers(self, provider: str, code: str) -> bool:
        return any(o.provider.code == provider for o in self.by_course.get(code, ()))

    def as_json(self) -> dict[str, object]:
        return {
            "providers": [{"code": p.code, "name": p.name, "city": p.city,
                           "municipality": p.municipality, "mode": p.mode}
                          for p in self.providers.values()],
            "courses": [{"code": c.code, "name": c.name, "level": c.level, "points": c.points,
                         "subject": c.subject, "qualifying": c.qualifying}
                        for c in COURSES.values()],
            "offerings": [{**o.as_choice(), "capacity": o.capacity} for o in self.offerings],
        }


@lru_cache(maxsize=4)
def build_catalogue(seed: int) -> Catalogue:
    """About 30 providers, each with 6–18 courses starting one to three times."""
    rng = random.Random(f"komvux-catalogue-{seed}")  # nosec B311  # seeded, reproducible test data, not security
    names = list(_FIRST)
    rng.shuffle(names)
    by_level = {lvl: [c for c in COURSES.values() if c.level == lvl] for lvl in (G, Y)}
    providers: list[Provider] = []
    given: dict[str, set[str]] = {}
    for i, first in enumerate(names):
        city, municipality = rng.choice(_PLACES)
        provider = Provider(f"ANO-{101 + i}", f"{first} {rng.choice(_FORMS)}", city,
                            municipality, rng.choice(_MODES))
        providers.append(provider)
        r = rng.random()
        levels = (G,) if r < 0.25 else (Y,) if r < 0.6 else (G, Y)
        codes: set[str] = set()
        for level in levels:
            codes |= {c for c in CORE[level] if rng.random() < 0.7}
            extra = rng.sample(by_level[level], rng.randint(3, min(12, len(by_level[level]))))
            codes |= {c.code for c in extra}
        given[provider.code] = codes
    for code in COURSES:  # every course has at least two providers
        while sum(code in codes for codes in given.values()) < 2:
            level = COURSES[code].level
            candidates = [p.code for p in providers
                          if any(COURSES[c].level == level for c in given[p.code])]
            given[rng.choice(candidates or [p.code for p in providers])].add(code)
    offerings: list[Offering] = []
    for provider in providers:
        for code in sorted(given[provider.code]):
            starts = sorted(rng.sample(START_DATES, rng.randint(1, 3)))
            for start in starts:
                capacity = rng.choice((8, 10, 12)) if rng.random() < 0.2 else rng.randint(15, 35)
                offerings.append(Offering(COURSES[code], provider, start, capacity))
    return Catalogue(providers, offerings)
