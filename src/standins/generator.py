"""Synthetic skolskjuts applications drawn from the world, in a realistic mix.

About 58 % clean cases the rules can decide (granted and denied, many near a distance
threshold), 7 % alternating residence, 30 % that must go to a caseworker and, by default,
5 % malformed. Counts per kind are allocated exactly (largest remainder) and then shuffled,
so a given ``count``, ``seed`` and ``malformed_share`` always give the same applications.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from standins import names, pnr
from standins.world import Person, World, grade_label

CATEGORIES: dict[str, dict[str, int]] = {
    "clean": {
        "nearest_near_threshold": 14,
        "nearest_above": 10,
        "nearest_below": 10,
        "refused_nearest_above": 6,
        "refused_nearest_below": 4,
        "not_nearest_municipal": 6,
        "independent_school": 4,
        "other_municipality_school": 4,
    },
    "alternating": {"alternating_both_nacka": 5, "alternating_one_outside": 2},
    "refer": {
        "medical_certificate": 6,
        "traffic_danger": 6,
        "taxi_requested": 5,
        "protected_identity": 4,
        "grade_f": 9,
    },
    "malformed": {
        "wrong_check_digit": 1,
        "missing_field": 1,
        "unknown_school": 1,
        "absurd_distance": 1,
        "unknown_address": 1,
    },
}
NEAR_M = 300
FREE_TEXT = {
    "medical_certificate": "Läkarintyg bifogas. Vårt barn har en diagnos som gör det svårt "
    "att ta sig till skolan på egen hand.",
    "traffic_danger": "Skolvägen går längs en väg utan trottoar och korsar en trafikerad "
    "väg utan övergångsställe.",
    "taxi_requested": "Vi ansöker om taxi eftersom bussen inte går i tid till skolstart.",
}


def threshold_m(grade: int) -> int:
    """Nacka's distance threshold for a grade: 2 km (F-2), 3 km (3-6), 4 km (7-9)."""
    return 2000 if grade <= 2 else 3000 if grade <= 6 else 4000


def mix_plan(
    rng: random.Random,
    categories: dict[str, dict[str, int]],
    count: int,
    malformed_share: float,
) -> list[tuple[str, str]]:
    """``count`` (category, kind) pairs in the promised mix, shuffled.

    ``malformed_share`` of them are "malformed"; the rest split over the other categories
    by weight, and each category over its kinds, exactly (largest remainder).
    """
    malformed = round(count * min(max(malformed_share, 0.0), 1.0))
    weights = {c: sum(ks.values()) for c, ks in categories.items() if c != "malformed"}
    per_category = {**allocate(count - malformed, weights), "malformed": malformed}
    plan: list[tuple[str, str]] = []
    for category, n in per_category.items():
        for kind, k in allocate(n, categories[category]).items():
            plan += [(category, kind)] * k
    rng.shuffle(plan)
    return plan


def allocate(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split ``total`` over ``weights`` by the largest-remainder method."""
    wsum = sum(weights.values())
    exact = {k: total * w / wsum for k, w in weights.items()}
    counts = {k: int(v) for k, v in exact.items()}
    by_remainder = sorted(weights, key=lambda k: (-(exact[k] - counts[k]), list(weights).index(k)))
    for k in by_remainder[: total - sum(counts.values())]:
        counts[k] += 1
    return counts


class Pools:
    """Children of the world sorted into the situations the generator needs."""

    def __init__(self, world: World) -> None:
        self.world = world
        p: dict[str, list[Person]] = {k: [] for ks in CATEGORIES.values() for k in ks}
        p["clean_any"] = []
        for child in world.children:
            if child.address.municipality != names.NACKA or child.placement is None:
                continue
            assert child.grade is not None  # nosec B101  # invariant of the generated world; narrows the type
            if child.protected or child.secrecy:
                p["protected_identity"].append(child)
                continue
            if child.grade == 0:
                if not child.second_address:
                    p["grade_f"].append(child)
                continue
            school = world.schools[child.placement.unit_code]
            if child.second_address:
                outside = child.second_address.municipality != names.NACKA
                p["alternating_one_outside" if outside else "alternating_both_nacka"].append(child)
                continue
            p["clean_any"].append(child)
            gap = world.school_distance(child) - threshold_m(child.grade)
            if school.municipality != names.NACKA:
                p["other_municipality_school"].append(child)
            elif child.placement.nearest_municipal:
                key = "near_threshold" if abs(gap) <= NEAR_M else "above" if gap > 0 else "below"
                p[f"nearest_{key}"].append(child)
            elif child.placement.applied_nearest_refused:
                p["refused_nearest_above" if gap > 0 else "refused_nearest_below"].append(child)
            elif school.huvudman == "Kommunal":
                p["not_nearest_municipal"].append(child)
            else:
                p["independent_school"].append(child)
        for kind in ("medical_certificate", "traffic_danger", "taxi_requested"):
            p[kind] = p["clean_any"]
        for kind in CATEGORIES["malformed"]:
            p[kind] = p["clean_any"]
        self.pools = p


def application(world: World, child: Person, rng: random.Random) -> dict[str, Any]:
    """A clean application for ``child`` as a guardian would fill it in."""
    assert child.placement is not None and child.grade is not None  # nosec B101  # invariant of the generated world; narrows the type
    applicant = world.people[rng.choice(child.guardians)]
    school = world.schools[child.placement.unit_code]
    addresses = [child.address.as_json()]
    if child.second_address:
        addresses.append(child.second_address.as_json())
    declared = None
    if rng.random() < 0.25:  # some citizens estimate the distance themselves
        declared = round(world.school_distance(child) * rng.uniform(0.85, 1.1) / 10) * 10
    email_name = f"{applicant.first_name}.{applicant.last_name}".lower()
    email_name = email_name.translate(str.maketrans("åäöé", "aaoe"))
    return {
        "type": "skolskjuts",
        "applicant": {
            "personnummer": pnr.hyphenated(applicant.pnr),
            "name": applicant.name,
            "email": f"{email_name}@example.com",
        },
        "child": {"personnummer": pnr.hyphenated(child.pnr), "name": child.name},
        "school": {"name": school.name, "unit_code": school.unit_code},
        "grade": grade_label(child.grade),
        "addresses": addresses,
        "alternating_residence": child.second_address is not None,
        "medical_certificate_attached": False,
        "traffic_danger_claimed": False,
        "taxi_requested": False,
        "free_text": "",
        "declared_distance_m": declared,
    }


def _corrupt(kind: str, app: dict[str, Any], rng: random.Random, variant: int) -> None:
    if kind == "wrong_check_digit":
        who = "child" if variant % 3 else "applicant"
        digits = pnr.with_wrong_check_digit(app[who]["personnummer"])
        app[who]["personnummer"] = pnr.hyphenated(digits)
    elif kind == "missing_field":
        field = ("child", "grade", "school", "addresses")[variant % 4]
        if field == "addresses":
            app["addresses"] = []
        else:
            del app[field]
    elif kind == "unknown_school":
        app["school"] = {"name": "Okända skolan", "unit_code": f"SK{900 + rng.randrange(99):04d}"}
    elif kind == "absurd_distance":
        absurd = -rng.randint(1, 5000) if variant % 2 else rng.randint(100_001, 500_000)
        app["declared_distance_m"] = absurd
    elif kind == "unknown_address":
        street = f"{rng.choice(names.INVENTED_STREETS)} {rng.randint(1, 99)}"
        app["addresses"][0] = {**app["addresses"][0], "street": street}


def generate(
    world: World,
    pools: Pools,
    count: int,
    seed: int,
    malformed_share: float = 0.05,
    start: datetime | None = None,
) -> list[tuple[str, str, dict[str, Any]]]:
    """``count`` applications as (category, kind, application) in submission order.

    Submission times run from ``start`` (default: a fixed date, so a seed always gives the
    same applications).
    """
    rng = random.Random(seed)  # nosec B311  # seeded, reproducible test data, not security
    plan = mix_plan(rng, CATEGORIES, count, malformed_share)
    used: set[str] = set()
    seen: Counter[str] = Counter()
    at = start or datetime.fromisoformat("2026-08-03T07:00:00+02:00")
    out = []
    for category, kind in plan:
        pool = pools.pools[kind] or pools.pools["clean_any"]
        child = rng.choice(pool)
        for _ in range(20):  # avoid two applications for one child in a batch
            if child.pnr not in used:
                break
            child = rng.choice(pool)
        used.add(child.pnr)
        app = application(world, child, rng)
        if kind in FREE_TEXT:
            app["free_text"] = FREE_TEXT[kind]
            flag = {
                "medical_certificate": "medical_certificate_attached",
                "traffic_danger": "traffic_danger_claimed",
                "taxi_requested": "taxi_requested",
            }[kind]
            app[flag] = True
        if category == "malformed":
            _corrupt(kind, app, rng, seen[kind])
        seen[kind] += 1
        at += timedelta(seconds=rng.randint(60, 1800))
        app["submitted_at"] = at.isoformat()
        out.append((category, kind, app))
    return out
