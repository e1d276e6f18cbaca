"""The synthetic world: identities, determinism, geography and placements."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from standins import pnr
from standins.generator import threshold_m
from standins.world import World, build_world


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(1)


def test_check_digit_matches_skatteverkets_examples() -> None:
    assert pnr.luhn_check_digit("640823323") == 4
    assert pnr.luhn_check_digit("701063239") == 1
    assert pnr.is_valid("201701012393")
    assert not pnr.is_valid("201701012394")
    assert pnr.make(date(2015, 1, 1), 980)[-1] == str(pnr.luhn_check_digit("150101980"))
    with pytest.raises(ValueError):
        pnr.make(date(2015, 1, 1), 979)


def test_every_person_has_a_unique_valid_test_personnummer(world: World) -> None:
    from caserobot.personnummer import is_test_number  # the platform's own validator agrees

    people = list(world.people.values())
    assert len(people) == len(world.children) + len(world.guardians)
    assert len({p.pnr for p in people}) == len(people)
    for p in people:
        assert len(p.pnr) == 12 and p.pnr.isdigit()
        assert 980 <= int(p.pnr[8:11]) <= 999, p.pnr
        assert pnr.is_test_number(p.pnr) and is_test_number(p.pnr), p.pnr
        assert int(p.pnr[10]) % 2 == (1 if p.sex == "M" else 0)
        assert p.pnr[:8] == p.birth_date.strftime("%Y%m%d")


def test_children_and_guardians_have_the_right_ages(world: World) -> None:
    assert len(world.children) >= 3000
    for child in world.children:
        assert child.grade is not None and child.placement is not None
        assert child.birth_date.year == 2020 - child.grade  # F 2020, 1 2019, ... 9 2011
        assert world.schools[child.placement.unit_code].offers(child.grade)
        assert 1 <= len(child.guardians) <= 2
        for g in child.guardians:
            assert child.pnr in world.people[g].children
    assert Counter(c.grade for c in world.children).keys() == set(range(10))
    assert {g.birth_date.year for g in world.guardians} <= set(range(1975, 1993))


def test_world_is_deterministic() -> None:
    # Build time is not asserted here (speed is measured, not timed in tests).
    a = World.build(42)
    assert World.build(42).fingerprint() == a.fingerprint()
    assert World.build(43).fingerprint() != a.fingerprint()


def test_municipalities_and_schools(world: World) -> None:
    kommun = Counter(c.address.municipality for c in world.children)
    assert set(kommun) == {"0182", "0120", "0180", "0138"}
    assert kommun["0182"] > 0.7 * len(world.children)
    assert 12 <= len(world.schools) <= 18
    assert all(code.startswith("SK") and len(code) == 6 for code in world.schools)
    assert world.schools["SK0001"].name == "Sickla skola"
    nacka = [s for s in world.schools.values() if s.municipality == "0182"]
    assert len(nacka) > len(world.schools) / 2
    assert {s.huvudman for s in nacka} == {"Kommunal", "Fristående"}
    for school in world.schools.values():
        assert world.find_address(school.address.one_line()) == school.address


def test_distances_cover_every_threshold_on_both_sides(world: World) -> None:
    distances = [world.school_distance(c) for c in world.children]
    assert min(distances) < 400 and 7000 < max(distances) < 9000
    sides: Counter[tuple[int, bool]] = Counter()
    for child in world.children:
        assert child.grade is not None and child.placement is not None
        if child.address.municipality == "0182" and child.placement.nearest_municipal:
            sides[threshold_m(child.grade), world.school_distance(child) > threshold_m(
                child.grade)] += 1
    for limit in (2000, 3000, 4000):
        assert sides[limit, True] >= 20 and sides[limit, False] >= 20, sides


def test_walking_distance_is_a_symmetric_detour(world: World) -> None:
    child = world.children[0]
    school = world.schools["SK0001"]
    d = world.walking_distance(child.address, school.address)
    assert d == world.walking_distance(school.address, child.address)
    (x1, y1), (x2, y2) = world.graph.xy[child.address.node], world.graph.xy[school.address.node]
    assert d >= ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5


def test_nearest_municipal_flag_is_true_to_the_map(world: World) -> None:
    for child in world.children[:500]:
        assert child.grade is not None and child.placement is not None
        nearest = world.nearest_municipal_school(child.address, child.grade)
        assert child.placement.nearest_municipal == (
            nearest is not None and nearest.unit_code == child.placement.unit_code)
        if child.placement.nearest_municipal:
            assert not child.placement.applied_nearest_refused


def test_alternating_residence_and_protected_identity_exist(world: World) -> None:
    alternating = [c for c in world.children if c.second_address]
    assert len(alternating) > 100
    guardians_elsewhere = {world.people[c.guardians[1]].address for c in alternating}
    assert {c.second_address for c in alternating} <= guardians_elsewhere
    assert any(c.second_address.municipality != c.address.municipality for c in alternating
               if c.second_address)
    assert any(c.second_address.municipality == c.address.municipality for c in alternating
               if c.second_address)
    protected = [c for c in world.children if c.protected]
    assert 10 <= len(protected) <= 0.05 * len(world.children)
    assert all(world.people[g].protected for c in protected for g in c.guardians)


def test_addresses_are_found_by_street_and_postal_code(world: World) -> None:
    address = world.children[0].address
    assert world.find_address(f"{address.street.upper()}, {address.postal_code}") == address
    spaced = f"{address.street}, {address.postal_code[:3]} {address.postal_code[3:]} Nacka"
    assert world.find_address(spaced) == address
    assert world.find_address(address.street) == address
    assert world.find_address(f"{address.street}, 99999") is None
    assert world.find_address("Påhittade gränd 7, 13140") is None
