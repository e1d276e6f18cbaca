"""School records of the Komvux applicants: programmes and grades, as the school register
(elevregister) holds them.

Every grade is shown on today's A–F scale with today's course codes (the register's own
conversion of older grades): grundskolan's subjects (``GRGRMAT01``, no points), gymnasium
courses (``MATMAT01b``) and earlier Komvux courses (``GRNMAT1``, ``SVESVE02``). School names
are invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from caserobot_komvux.standins.catalogue import COURSES, GRUNDLAGGANDE, GYMNASIAL

PASSING = ("A", "B", "C", "D", "E")
GRUNDSKOLA = "grundskola"

# grundskolan: code, subject name, the subject Komvux courses build on ("" none)
SUBJECTS = (
    ("GRGRSVE01", "Svenska", "SVE"), ("GRGRENG01", "Engelska", "ENG"),
    ("GRGRMAT01", "Matematik", "MAT"), ("GRGRBIO01", "Biologi", "BIO"),
    ("GRGRFYS01", "Fysik", "FYS"), ("GRGRKEM01", "Kemi", "KEM"),
    ("GRGRGEO01", "Geografi", ""), ("GRGRHIS01", "Historia", "HIS"),
    ("GRGRREL01", "Religionskunskap", "REL"), ("GRGRSAM01", "Samhällskunskap", "SAM"),
    ("GRGRBIL01", "Bild", ""), ("GRGRMUS01", "Musik", ""), ("GRGRSLJ01", "Slöjd", ""),
    ("GRGRIDR01", "Idrott och hälsa", ""), ("GRGRHKK01", "Hem- och konsumentkunskap", ""),
    ("GRGRTEK01", "Teknik", "TEK"),
)
SVA = ("GRGRSVA01", "Svenska som andraspråk", "SVE")
CORE_SUBJECTS = ("SVE", "MAT", "ENG")

# courses only in the register (not in the Komvux catalogue): code → (name, points)
REGISTER_ONLY: dict[str, tuple[str, int]] = {
    "IDRIDR01": ("Idrott och hälsa 1", 100), "HISHIS01a1": ("Historia 1a1", 50),
    "SAMSAM01a1": ("Samhällskunskap 1a1", 50), "NAKNAK01a1": ("Naturkunskap 1a1", 50),
    "MODSPA03": ("Spanska 3", 100), "FILFIL01": ("Filosofi 1", 50),
    "FÖRFÖR01": ("Företagsekonomi 1", 100), "PRIPRI01": ("Privatjuridik", 100),
    "TEKTEK01": ("Teknik 1", 150), "VÅRVÅR01": ("Vård- och omsorgsarbete 1", 200),
    "GERGER0": ("Gerontologi och geriatrik", 100), "BYGBYG0": ("Bygg och anläggning 1", 200),
    "HUSHUS01": ("Husbyggnadsprocessen", 200), "PEDPEA0": ("Pedagogiskt ledarskap", 100),
    "MÄNMÄN0": ("Människors miljöer", 100), "GYARBE": ("Gymnasiearbete", 100),
}
_HP, _YRKES = "hogskoleforberedande_examen", "yrkesexamen"
_YRKES_BASE = ("SVESVE01", "ENGENG05", "MATMAT01a", "HISHIS01a1", "SAMSAM01a1", "NAKNAK01a1",
               "RELREL01", "IDRIDR01")
# national programmes: name, examen, courses in the order they are read (year 1, 2, 3)
PROGRAMMES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "NA": ("Naturvetenskapsprogrammet", _HP, (
        "SVESVE01", "ENGENG05", "MATMAT01c", "BIOBIO01", "FYSFYS01a", "IDRIDR01", "MODSPA03",
        "SVESVE02", "ENGENG06", "MATMAT02c", "KEMKEM01", "HISHIS01a1", "SAMSAM01a1",
        "SVESVE03", "MATMAT03c", "MATMAT04", "KEMKEM02", "BIOBIO02", "FYSFYS02", "RELREL01",
        "GYARBE")),
    "SA": ("Samhällsvetenskapsprogrammet", _HP, (
        "SVESVE01", "ENGENG05", "MATMAT01b", "HISHIS01b", "NAKNAK01b", "IDRIDR01", "MODSPA03",
        "SVESVE02", "ENGENG06", "MATMAT02b", "SAMSAM01b", "PSKPSY01", "FILFIL01",
        "SVESVE03", "SAMSAM02", "RELREL01", "GYARBE")),
    "EK": ("Ekonomiprogrammet", _HP, (
        "SVESVE01", "ENGENG05", "MATMAT01b", "FÖRFÖR01", "NAKNAK01b", "IDRIDR01", "MODSPA03",
        "SVESVE02", "ENGENG06", "MATMAT02b", "SAMSAM01b", "PRIPRI01", "HISHIS01b",
        "SVESVE03", "PSKPSY01", "RELREL01", "GYARBE")),
    "TE": ("Teknikprogrammet", _HP, (
        "SVESVE01", "ENGENG05", "MATMAT01c", "TEKTEK01", "FYSFYS01a", "IDRIDR01",
        "SVESVE02", "ENGENG06", "MATMAT02c", "KEMKEM01", "PRRPRR01", "HISHIS01a1",
        "SVESVE03", "MATMAT03c", "MATMAT04", "DAODAC0", "WEUWEB01", "SAMSAM01a1", "RELREL01",
        "GYARBE")),
    "VO": ("Vård- och omsorgsprogrammet", _YRKES, (
        *_YRKES_BASE[:3], "MEDMED01", "VÅRVÅR01", *_YRKES_BASE[3:6], "PSKPSY01", "GERGER0",
        *_YRKES_BASE[6:], "GYARBE")),
    "BA": ("Bygg- och anläggningsprogrammet", _YRKES, (
        *_YRKES_BASE[:3], "BYGBYG0", *_YRKES_BASE[3:6], "HUSHUS01", *_YRKES_BASE[6:],
        "GYARBE")),
    "BF": ("Barn- och fritidsprogrammet", _YRKES, (
        *_YRKES_BASE[:3], "PEDPEA0", *_YRKES_BASE[3:6], "MÄNMÄN0", "PSKPSY01",
        *_YRKES_BASE[6:], "GYARBE")),
}
DIPLOMAS = {"slutbetyg": "Slutbetyg", _HP: "Högskoleförberedande examen",
            _YRKES: "Yrkesexamen", "studiebevis": "Studiebevis", "": ""}
GRUNDSKOLOR = ("Ekbackens skola", "Sjövikens skola", "Lärkängsskolan", "Tallåsens skola",
               "Hamnstadens skola", "Björkhagens skola", "Stenviksskolan", "Fyrbackens skola")
GYMNASIER = ("Sjöviksgymnasiet", "Ekbacksgymnasiet", "Lärkängens gymnasium",
             "Hamnstadens gymnasium", "Björkhagsgymnasiet", "Fyrbackens gymnasium")


@dataclass(frozen=True, slots=True)
class Grade:
    code: str
    name: str
    level: str  # grundskola | grundlaggande | gymnasial
    points: int | None  # None in grundskolan
    grade: str  # A–F
    date: str  # ISO
    school: str

    @property
    def passed(self) -> bool:
        return self.grade in PASSING


@dataclass(frozen=True, slots=True)
class Programme:
    school_form: str  # Grundskola | Gymnasieskola | Komvux
    name: str
    school: str
    started: str
    ended: str  # "" while it goes on
    completed: bool
    diploma: str  # a key of DIPLOMAS


@dataclass(frozen=True, slots=True)
class Records:
    programmes: tuple[Programme, ...]
    grades: tuple[Grade, ...]  # by date, then code

    def passed(self, code: str) -> bool:
        return any(g.code == code and g.passed for g in self.grades)

    def passed_step(self, code: str) -> bool:
        """A pass in the course or one that gives the same knowledge (:func:`step`)."""
        return any(step(g.code) == step(code) and g.passed for g in self.grades)

    def passed_subject(self, subject: str) -> bool:
        """Grundskolan's subject passed (Svenska or Svenska som andraspråk for SVE)."""
        codes = {c for c, _, s in (*SUBJECTS, SVA) if s == subject}
        return any(g.code in codes and g.passed for g in self.grades)

    @property
    def examen(self) -> bool:
        return any(p.diploma in (_HP, _YRKES) for p in self.programmes)


def _grade(rng: random.Random, fail_share: float) -> str:
    if rng.random() < fail_share:
        return "F"
    return rng.choices(PASSING, weights=(12, 15, 30, 18, 25))[0]


def _course(code: str, grade: str, day: str, school: str) -> Grade:
    course = COURSES.get(code)
    if course is not None:
        return Grade(code, course.name, course.level, course.points, grade, day, school)
    name, points = REGISTER_ONLY[code]
    return Grade(code, name, GYMNASIAL, points, grade, day, school)


def grundskola(rng: random.Random, birth: date, fail: set[str]) -> tuple[Programme, list[Grade]]:
    """Nine years of grundskola and the leaving certificate; F in the ``fail`` subjects."""
    school = rng.choice(GRUNDSKOLOR)
    day = f"{birth.year + 16}-06-{rng.randint(8, 14):02d}"
    subjects = [SVA if s[2] == "SVE" and rng.random() < 0.15 else s for s in SUBJECTS]

    def grade(subject: str) -> str:
        if subject in fail:
            return "F"
        return _grade(rng, 0.0 if subject in CORE_SUBJECTS else 0.03)

    grades = [Grade(code, name, GRUNDSKOLA, None, grade(subject), day, school)
              for code, name, subject in subjects]
    return Programme("Grundskola", "Grundskola årskurs 1–9", school,
                     f"{birth.year + 7}-08-20", day, True, "slutbetyg"), grades


def gymnasium(rng: random.Random, birth: date, outcome: str) -> tuple[Programme, list[Grade]]:
    """A national programme: ``examen`` (completed), ``dropped`` (left after a year or two,
    studiebevis) or ``ongoing`` (started, no grades after the first year yet)."""
    code = rng.choice(list(PROGRAMMES))
    name, diploma, courses = PROGRAMMES[code]
    school = rng.choice(GYMNASIER)
    first = birth.year + 16
    third = len(courses) // 3
    years = [courses[:third], courses[third:2 * third], courses[2 * third:]]
    if outcome == "dropped":
        years = years[:rng.randint(1, 2)]
    elif outcome == "ongoing":
        years = years[:1]
    grades: list[Grade] = []
    failed_once = False
    for i, codes in enumerate(years):
        day = f"{first + 1 + i}-06-{rng.randint(8, 14):02d}"
        for c in codes:
            if outcome == "examen":
                grade = "F" if not failed_once and c in ("MODSPA03", "FILFIL01") and \
                    rng.random() < 0.3 else _grade(rng, 0.0)
                failed_once = failed_once or grade == "F"
            else:
                grade = _grade(rng, 0.3)
            if c == "GYARBE":
                grade = "E" if outcome == "examen" else rng.choice("EF")
            grades.append(_course(c, grade, day, school))
    ended = grades[-1].date if grades and outcome != "ongoing" else ""
    programme = Programme("Gymnasieskola", name, school, f"{first}-08-19", ended,
                          outcome == "examen",
                          diploma if outcome == "examen" else
                          "studiebevis" if outcome == "dropped" else "")
    return programme, grades


def komvux(rng: random.Random, codes: list[str], after: int, providers: list[str],
           passed: bool = True) -> tuple[Programme, list[Grade]]:
    """Earlier Komvux courses, two a term from some year after ``after`` (up to 2026)."""
    year = rng.randint(min(after, 2024), 2024)
    school = rng.choice(providers)
    grades = []
    for i, code in enumerate(codes):
        day = f"{year + i // 2}-{'06' if i % 2 else '01'}-{rng.randint(10, 20):02d}"
        grades.append(_course(code, _grade(rng, 0.0) if passed else "F", day, school))
    return Programme("Komvux", "Kommunal vuxenutbildning", school, f"{year - 1}-08-20",
                     grades[-1].date, True, ""), grades


def step(code: str) -> str:
    """Courses that give the same knowledge share a step: ``MATMAT01a``/``b``/``c``,
    ``HISHIS01a1``/``b``, ``SVESVE02``/``SVASVA02``."""
    return code[:8].replace("SVASVA", "SVESVE")


def records(programmes: list[Programme], grades: list[Grade]) -> Records:
    return Records(tuple(programmes), tuple(sorted(grades, key=lambda g: (g.date, g.code))))


def delkurser(subject: str) -> list[str]:
    """Grundläggande courses of a subject, in order."""
    return [c.code for c in COURSES.values() if c.level == GRUNDLAGGANDE
            and c.subject == subject]
