"""Synthetic Komvux applications for the e-service (``POST /_test/generate {"type": "komvux"}``).

Each application comes from an applicant built for its kind (:mod:`.people`, :mod:`.mix`)
and chooses one to three course starts from the catalogue. Counts per kind are allocated
exactly (largest remainder) and then shuffled, so a given ``count``, ``seed`` and
``malformed_share`` always give the same applications. The shape::

    {"type": "komvux",
     "applicant": {"personnummer": "19880412-9812", "name": "…", "email": "…"},
     "course_choices": [{"priority": 1, "course_code": "MATMAT01a",
                         "course_name": "Matematik 1a", "level": "gymnasial", "points": 100,
                         "provider_code": "ANO-104", "provider_name": "…",
                         "start_date": "2026-08-17"}],
     "foreign_grades_attached": false, "free_text": "", "submitted_at": "…"}
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from caserobot_komvux.standins.catalogue import (
    COURSES,
    GYMNASIAL,
    START_DATES,
    Catalogue,
    Offering,
)
from caserobot_komvux.standins.mix import (
    CATEGORIES,
    FOREIGN_TEXT,
    SPECIAL_REASONS,
)
from caserobot_komvux.standins.people import Applicant, build_komvux
from caserobot_komvux.standins.records import CORE_SUBJECTS, delkurser
from standins import pnr
from standins.generator import mix_plan
from standins.world import World

CASE_TYPE = "komvux"
FIRST_SUBMITTED = "2026-06-01T08:00:00+02:00"
"""Before every course start of the catalogue (autumn 2026, spring 2027)."""
INVENTED_CODES = ("MATMAT09", "SVESVE07", "GRNXYZ1", "ABCABC01", "ENGENG12")
"""Course codes in no catalogue (for malformed applications)."""
OPEN = [c.code for c in COURSES.values() if c.level == GYMNASIAL and not c.qualifying]
QUALIFYING = [c.code for c in COURSES.values() if c.level == GYMNASIAL and c.qualifying]


def _some(rng: random.Random, codes: list[str], most: int) -> list[str]:
    return rng.sample(codes, min(len(codes), rng.randint(1, most)))


def course_codes(applicant: Applicant, rng: random.Random) -> list[str]:
    """The courses an applicant of this kind asks for."""
    kind, rec = applicant.kind, applicant.records
    if applicant.gap:  # grundläggande courses in the subject grundskolan left open
        left = [c for c in delkurser(applicant.gap) if not rec.passed(c)]
        return left[:rng.randint(1, 2)]
    if kind in ("grund_no_records", "grund_has_knowledge"):
        parts = delkurser(rng.choice(CORE_SUBJECTS))
        first = 0 if kind == "grund_no_records" else rng.randrange(len(parts) - 1)
        return parts[first:first + rng.randint(1, 2)]
    if kind in ("gym_has_examen", "under20_completed_programme"):
        return _some(rng, [c for c in OPEN if not rec.passed_step(c)], 2)
    if kind == "already_passed":
        return _some(rng, sorted({g.code for g in rec.grades if g.passed and g.code in COURSES
                                  and g.level == GYMNASIAL}), 2)
    # nothing passed at the course's step (no MATMAT01b for someone with MATMAT01a)
    return _some(rng, [c for c in QUALIFYING if not rec.passed_step(c)], 3)


def choices(catalogue: Catalogue, codes: list[str], rng: random.Random) -> list[Offering]:
    """A start for each course, at one start date when the catalogue allows."""
    start = rng.choice(START_DATES)
    out = []
    for code in codes:
        offered = catalogue.by_course[code]
        same = [o for o in offered if o.start_date == start]
        out.append(rng.choice(same or offered))
    return out


def application(applicant: Applicant, offerings: list[Offering]) -> dict[str, Any]:
    """The application as the applicant fills it in."""
    person = applicant.person
    email = f"{person.first_name}.{person.last_name}".lower().translate(
        str.maketrans("åäöé", "aaoe"))
    return {
        "type": CASE_TYPE,
        "applicant": {"personnummer": pnr.hyphenated(person.pnr), "name": person.name,
                      "email": f"{email}@example.com"},
        "course_choices": [{"priority": i, **o.as_choice()}
                           for i, o in enumerate(offerings, start=1)],
        "foreign_grades_attached": False,
        "free_text": "",
    }


def _corrupt(kind: str, app: dict[str, Any], catalogue: Catalogue, rng: random.Random,
             variant: int) -> None:
    first = app["course_choices"][0]
    if kind == "wrong_check_digit":
        digits = pnr.with_wrong_check_digit(app["applicant"]["personnummer"])
        app["applicant"]["personnummer"] = pnr.hyphenated(digits)
    elif kind == "missing_field":
        if variant % 3 == 0:
            del app["course_choices"]
        elif variant % 3 == 1:
            app["course_choices"] = []
        else:
            del app["applicant"]["personnummer"]
    elif kind == "unknown_course":
        first["course_code"] = rng.choice(INVENTED_CODES)
    elif kind == "course_not_offered":
        others = [p for p in catalogue.providers.values()
                  if not catalogue.offers(p.code, first["course_code"])]
        provider = rng.choice(others)
        first["provider_code"], first["provider_name"] = provider.code, provider.name
    elif kind == "bad_start_date":
        first["start_date"] = "2026-02-30" if variant % 2 else "2026-06-01"


def generate(world: World, count: int, seed: int, malformed_share: float = 0.05,
             start: datetime | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    """``count`` applications as (category, kind, application) in submission order."""
    komvux = build_komvux(world)
    rng = random.Random(seed)  # nosec B311  # seeded, reproducible test data, not security
    plan = mix_plan(rng, CATEGORIES, count, malformed_share)
    clean = [k for c, ks in CATEGORIES.items() if c != "malformed" for k in ks]
    used: set[str] = set()
    seen: Counter[str] = Counter()
    at = start or datetime.fromisoformat(FIRST_SUBMITTED)
    out = []
    for category, kind in plan:
        pool = komvux.pools[rng.choice(clean) if category == "malformed" else kind]
        applicant = rng.choice(pool)
        for _ in range(20):  # one application per person in a batch, where the pool allows
            if applicant.person.pnr not in used:
                break
            applicant = rng.choice(pool)
        used.add(applicant.person.pnr)
        app = application(applicant, choices(komvux.catalogue, course_codes(applicant, rng),
                                             rng))
        if applicant.kind == "foreign_grades":
            app["foreign_grades_attached"] = True
            app["free_text"] = FOREIGN_TEXT.format(country=applicant.country)
        elif applicant.kind == "under20_special_reasons":
            app["free_text"] = rng.choice(SPECIAL_REASONS)
        if category == "malformed":
            _corrupt(kind, app, komvux.catalogue, rng, seen[kind])
        seen[kind] += 1
        at += timedelta(seconds=rng.randint(60, 1800))
        app["submitted_at"] = at.isoformat()
        out.append((category, kind, app))
    return out
