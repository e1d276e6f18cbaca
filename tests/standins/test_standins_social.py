"""The social-services world: households on försörjningsstöd, built for the application mix."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from datetime import date

import pytest

from standins import pnr
from standins.eb_generator import CATEGORIES, application, generate
from standins.social import APPLIED_MONTH, Household, SocialWorld, build_social
from standins.social_build import build
from standins.social_money import RENT_CAPS
from standins.world import World
from tests.standins.eb_checks import Facts, conclude

DAY = date(2026, 12, 1)
CAP_LABELS = {(a, c): v for (a_, c_), v in RENT_CAPS.items()
              for a, c in [("3+" if a_ == 3 else str(a_), "4+" if c_ == 4 else str(c_))]}


@pytest.fixture(scope="module")
def social(world: World) -> SocialWorld:
    return build_social(world)


def facts_of(social: SocialWorld, hh: Household) -> Facts:
    """What a robot would read about ``hh``, taken straight from the world."""
    record = hh.record
    assert record is not None
    people = {m.pnr for m in hh.members}
    navet = {}
    for p in people:
        person = social.registered.get(p)
        navet[p] = ({"found": True, "protected": person.protected,
                     "kommun": person.address.municipality} if person else
                    {"found": False, "protected": False, "kommun": None})
    protected = social.people[hh.applicant].protected
    return Facts(
        navet=navet,
        payments={p: social.payments(p, "2026-01", APPLIED_MONTH) for p in people},
        record_month=record.month,
        record_members={(m.pnr, m.role) for m in record.members},
        record_address=None if protected else f"{record.address.street}, "
                                              f"{record.address.postal_code}",
        record_rent=record.costs.get("rent"),
        record_incomes={(p, t) for p, t, _ in record.incomes},
        plans=[(p.pnr, p.status) for p in hh.plans],
        history=[(d.month, d.utfall) for d in hh.history],
        caps=CAP_LABELS,
    )


def expected(kind: str) -> str:
    return "grant" if kind in CATEGORIES["grant"] else "refusal" if kind in CATEGORIES[
        "refusal"] else kind


def test_households_are_deterministic_and_leave_the_school_world_alone() -> None:
    world = World.build(42)
    before = world.fingerprint()
    a = build(world)
    assert world.fingerprint() == before  # the skolskjuts world is untouched

    def digest(s: SocialWorld) -> str:
        return hashlib.sha256(repr(s.households).encode()).hexdigest()

    assert digest(build(World.build(42))) == digest(a)
    assert digest(build(World.build(43))) != digest(a)


def test_every_member_has_a_test_series_number(world: World, social: SocialWorld) -> None:
    assert len(social.households) >= 1500
    assert not set(social.people) & set(world.people)
    samordning = {p for p in social.people if pnr.is_samordningsnummer(p)}
    for number, person in social.people.items():
        assert int(number[8:11]) in pnr.TEST_SERIES, number
        assert int(number[10]) % 2 == (person.sex == "M")
        if number in samordning:
            assert int(number[6:8]) == person.birth_date.day + 60
            assert number not in social.registered
        else:
            assert pnr.is_test_number(number) and number in social.registered
            assert number[:8] == person.birth_date.strftime("%Y%m%d")
    assert samordning == {hh.applicant for hh in social.pools["samordningsnummer"]}


def test_households_have_the_variety_the_rules_need(social: SocialWorld) -> None:
    ages: Counter[int] = Counter()
    sizes: Counter[int] = Counter()
    roles: Counter[str] = Counter()
    for hh in social.households:
        sizes[len(hh.members)] += 1
        for m in hh.members:
            roles[m.role] += 1
            if m.role == "child":
                ages[social.age(m.pnr, DAY)] += 1
    assert set(range(21)) <= set(ages)  # every age band, pupils 19-20 included
    pupils = [m for hh in social.households for m in hh.members
              if m.role == "child" and social.age(m.pnr, DAY) >= 19]
    assert pupils and all(m.in_school for m in pupils)
    assert roles["partner"] > 100 and roles["other_adult"] > 40
    assert max(sizes) >= 6 and sizes[1] > 300
    munis = Counter(hh.address.municipality for hh in social.households)
    assert munis["0182"] > 0.95 * len(social.households) and len(munis) > 1
    assert all(hh.address.municipality != "0182" for hh in social.pools["not_in_municipality"])
    assert all(social.people[m.pnr].protected for hh in social.pools["protected_identity"]
               for m in hh.members)
    histories = [len(hh.history) for hh in social.households if not hh.first_application]
    assert min(histories) >= 1 and max(histories) >= 24
    assert all(not hh.history for hh in social.pools["first_application"])
    assert any(d.utfall == "avslag" for hh in social.households for d in hh.history)


def test_each_household_needs_exactly_what_its_kind_says(social: SocialWorld) -> None:
    amounts: dict[str, list[int]] = {"grant": [], "refusal": []}
    for hh in social.households:
        app = application(social, hh, random.Random(hh.number))
        outcome, value = conclude(app, facts_of(social, hh))
        assert outcome == expected(hh.kind), (hh.number, hh.kind, hh.variant, outcome)
        if value is not None:
            amounts[outcome].append(value)
    # clear cases: far from the line whatever table or age date a robot uses
    assert min(amounts["grant"]) >= 1000 and max(amounts["refusal"]) <= -1000


def test_jobbstimulans_and_childrens_work_income_both_ways(social: SocialWorld) -> None:
    salaried = [hh for kind in CATEGORIES["grant"] for hh in social.pools[kind]
                if any(i.type == "salary_net" and i.paid_in(APPLIED_MONTH) for i in hh.incomes)]
    runs = [len(hh.history) - max((i for i, d in enumerate(hh.history) if d.utfall == "avslag"),
                                  default=-1) - 1 for hh in salaried]
    assert any(r >= 6 for r in runs) and any(r < 6 for r in runs)
    assert all(r >= 6 for hh, r in zip(salaried, runs, strict=True)
               if hh.kind == "grant_jobbstimulans")
    yearly = [sum(p["amount"] for p in social.payments(i.pnr, "2026-01", APPLIED_MONTH))
              for hh in social.pools["grant_child_work_income"] for i in hh.incomes
              if i.type == "child_work_income"]
    assert any(y > 59200 for y in yearly) and any(y <= 59200 for y in yearly)


def test_generator_mix_is_exact_deterministic_and_one_application_per_household(
        social: SocialWorld) -> None:
    batch = generate(social, 300, seed=7)
    assert batch == generate(social, 300, seed=7)
    assert batch != generate(social, 300, seed=8)
    mix = Counter(category for category, _, _ in batch)
    assert mix == {"grant": 103, "refer": 162, "refusal": 20, "malformed": 15}
    kinds = Counter(kind for _, kind, _ in batch)
    assert set(kinds) == {k for ks in CATEGORIES.values() for k in ks}
    applicants = [a["applicant"]["personnummer"] for _, _, a in batch if "applicant" in a]
    assert len(set(applicants)) == len(applicants)
    stamps = [a["submitted_at"] for _, _, a in batch]
    assert stamps == sorted(stamps) and all(a["month"] == APPLIED_MONTH for _, k, a in batch
                                            if k not in ("bad_month", "missing_field"))
    assert Counter(c for c, _, _ in generate(social, 100, 1, malformed_share=0))["malformed"] == 0
