"""Synthetic monthly applications for ekonomiskt bistånd (December 2026), in a realistic mix.

As in Trelleborg, about a third can be decided automatically as a grant; the rest need a
caseworker, each for one reason, or are refusals a caseworker must confirm, or are malformed.
Every application comes from a household of :mod:`standins.social` built for its kind, so the
income register, the population register and the case system agree with it exactly as the
kind says. Counts per kind are allocated exactly (largest remainder), then shuffled: a given
``count``, ``seed`` and ``malformed_share`` always give the same applications.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from standins import pnr
from standins.generator import mix_plan

if TYPE_CHECKING:
    from standins.social import Household, SocialWorld

CASE_TYPE = "ekonomiskt_bistand"
CATEGORIES: dict[str, dict[str, int]] = {
    "grant": {
        "grant_single": 21,
        "grant_single_parent": 4,
        "grant_couple": 2,
        "grant_couple_children": 2,
        "grant_pupil_19_20": 2,
        "grant_other_adult": 1,
        "grant_jobbstimulans": 3,
        "grant_child_work_income": 1,
    },
    "refer": {
        "first_application": 10,
        "register_mismatch": 8,
        "change_since_previous": 9,
        "rent_above_cap": 5,
        "special_expenses": 5,
        "assets_declared": 5,
        "health_data": 6,
        "protected_identity": 2,
        "samordningsnummer": 2,
        "not_in_municipality": 2,
        "no_labour_market_plan": 3,
    },
    "refusal": {"income_exceeds_norm": 7},
    "malformed": {
        "wrong_check_digit": 1,
        "missing_field": 1,
        "negative_amount": 1,
        "unknown_income_type": 1,
        "bad_month": 1,
        "bad_birth_date": 1,
    },
}
FIRST_SUBMISSION = "2026-11-16T07:00:00+01:00"


def application(social: SocialWorld, hh: Household, rng: random.Random) -> dict[str, Any]:
    """The application ``hh`` submits for :data:`~standins.social.APPLIED_MONTH`."""
    from standins.social import APPLIED_MONTH, COST_KEYS

    people = social.people
    applicant = people[hh.applicant]
    email = f"{applicant.first_name}.{applicant.last_name}".lower()
    email = email.translate(str.maketrans("åäöé", "aaoe"))
    household = [
        {
            "role": m.role,
            "personnummer": pnr.hyphenated(m.pnr),
            "name": people[m.pnr].name,
            "birth_date": people[m.pnr].birth_date.isoformat(),
            "in_school": m.in_school,
        }
        for m in hh.members
    ]
    return {
        "type": CASE_TYPE,
        "month": APPLIED_MONTH,
        "first_application": hh.first_application,
        "applicant": {
            "personnummer": pnr.hyphenated(applicant.pnr),
            "name": applicant.name,
            "email": f"{email}@example.com",
            "phone": f"07{rng.choice('0236')}-{rng.randint(1000000, 9999999)}",
        },
        "address": hh.address.as_json(),
        "household": household,
        "incomes": [
            {"personnummer": pnr.hyphenated(p), "type": t, "amount": a}
            for p, t, a in hh.declared_incomes()
        ],
        "costs": {k: hh.costs[k] for k in COST_KEYS},
        "special_expenses": [dict(s) for s in hh.special_expenses],
        "assets": [dict(a) for a in hh.assets],
        "medical_certificate_attached": hh.medical_certificate,
        "payout_account": hh.account,
        "free_text": hh.free_text,
    }


def _corrupt(kind: str, app: dict[str, Any], rng: random.Random, variant: int) -> None:
    if kind == "wrong_check_digit":
        target = app["applicant"] if variant % 2 == 0 else app["household"][-1]
        bad = pnr.hyphenated(pnr.with_wrong_check_digit(target["personnummer"]))
        if target is app["applicant"]:
            app["household"][0]["personnummer"] = bad
        target["personnummer"] = bad
    elif kind == "missing_field":
        del app[("month", "household", "incomes", "costs", "applicant")[variant % 5]]
    elif kind == "negative_amount":
        if app["incomes"] and variant % 2 == 0:
            app["incomes"][0]["amount"] = -app["incomes"][0]["amount"] or -500
        else:
            app["costs"]["rent"] = -app["costs"]["rent"]
    elif kind == "unknown_income_type":
        who = app["household"][0]["personnummer"]
        app["incomes"].append(
            {
                "personnummer": who,
                "type": rng.choice(("swish", "lotteri", "bidrag_okand")),
                "amount": round(rng.randint(300, 3000), -1),
            }
        )
    elif kind == "bad_month":
        app["month"] = ("2026-13", "december 2026", "", "2026-12-01")[variant % 4]
    elif kind == "bad_birth_date":
        member = app["household"][-1]
        if variant % 2:
            del member["birth_date"]
        else:
            member["birth_date"] = member["birth_date"][:5] + "02-30"


def generate(
    social: SocialWorld,
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
    grant_pool = [hh for kind in CATEGORIES["grant"] for hh in social.pools[kind]]
    used: set[str] = set()
    seen: Counter[str] = Counter()
    at = start or datetime.fromisoformat(FIRST_SUBMISSION)
    out = []
    for category, kind in plan:
        pool = grant_pool if category == "malformed" else social.pools[kind]
        hh = rng.choice(pool)
        for _ in range(20):  # one application per household and batch, when the pool allows
            if hh.applicant not in used:
                break
            hh = rng.choice(pool)
        used.add(hh.applicant)
        app = application(social, hh, rng)
        if category == "malformed":
            _corrupt(kind, app, rng, seen[kind])
        seen[kind] += 1
        at += timedelta(seconds=rng.randint(30, 900))
        app["submitted_at"] = at.isoformat()
        out.append((category, kind, app))
    return out
