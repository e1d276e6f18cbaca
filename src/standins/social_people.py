"""People for the social-services world: applicants, partners, children and other adults.

Numbers are unique across the whole world (the school world's people included) and in
Skatteverket's test series; a samordningsnummer takes the day of birth + 60.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from standins import names, pnr
from standins.social import Member, SocialWorld
from standins.social_money import age_on
from standins.world import Address, Person, World

DAY1 = date(2026, 12, 1)
"""Ages that decide roles and benefits are taken on the first day of the month applied for."""


def rand_date(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


class PeopleMaker:
    """Members of households: test-series numbers unique in the whole world, relations."""

    def __init__(self, world: World, social: SocialWorld) -> None:
        self.world, self.social = world, social
        self.rng = random.Random(f"ekonomiskt-bistand-{world.seed}")  # nosec B311  # seeded, reproducible test data, not security
        self.used = {number[:11] for number in world.people}  # date and birth number
        addresses = list(world.addresses.values())
        self.nacka = [a for a in addresses if a.municipality == names.NACKA]
        self.outside = [a for a in addresses if a.municipality != names.NACKA]
        self.next_number = 10001

    # ---- people --------------------------------------------------------------------------
    def person(self, birth: date, surname: str, address: Address, protected: bool,
               samordning: bool = False) -> Person:
        rng = self.rng
        sex = rng.choice("KM")
        first = rng.choice(names.FEMALE_NAMES if sex == "K" else names.MALE_NAMES)
        while True:
            day = birth.day + 60 if samordning else birth.day
            prefix = f"{birth:%Y%m}{day:02d}"
            series = pnr.TEST_SERIES[int(sex == "M")::2]  # odd for men, even for women
            free = [n for n in series if f"{prefix}{n}" not in self.used]
            if free:
                break
            birth += timedelta(days=1)
        chosen = rng.choice(free)
        self.used.add(f"{prefix}{chosen}")
        make = pnr.make_samordningsnummer if samordning else pnr.make
        number = make(birth, chosen)
        person = Person(number, first, surname, birth, sex, address, protected, protected)
        self.social.people[number] = person
        if not samordning:
            self.social.registered[number] = person
        return person

    def members(self, composition: str, address: Address, protected: bool, samordning: bool,
                teen: bool) -> list[Member]:
        rng = self.rng
        surname = rng.choice(names.SURNAMES)
        if composition in ("pupil", "other_adult"):
            year = rng.randint(1962, 1984)
        elif teen:
            year = rng.randint(1972, 1990)
        elif composition in ("single_parent", "couple_children"):
            year = rng.randint(1972, 1998)
        else:
            year = rng.randint(1962, 2004)
        applicant = self.person(rand_date(rng, date(year, 1, 1), date(year, 12, 31)), surname,
                                address, protected, samordning)
        members = [Member(applicant.pnr, "applicant")]
        parents = [applicant]
        if composition in ("couple", "couple_children"):
            py = min(2004, max(1962, year + rng.randint(-5, 5)))
            other = surname if rng.random() < 0.6 else rng.choice(names.SURNAMES)
            partner = self.person(rand_date(rng, date(py, 1, 1), date(py, 12, 31)), other,
                                  address, protected)
            members.append(Member(partner.pnr, "partner"))
            if rng.random() < 0.85:
                parents.append(partner)
        births: list[tuple[date, bool]] = []  # (birth, pupil 19-20)
        if composition == "pupil":
            births.append((rand_date(rng, date(2006, 1, 1), date(2007, 11, 15)), True))
        if teen:
            births.append((rand_date(rng, max(date(2008, 1, 1), date(year + 18, 1, 1)),
                                      date(2010, 6, 30)), False))
        n = {"single_parent": rng.choices((1, 2, 3, 4), (40, 35, 17, 8))[0],
             "couple_children": rng.choices((1, 2, 3, 4), (40, 35, 17, 8))[0],
             "pupil": rng.choices((0, 1, 2), (40, 40, 20))[0],
             "other_adult": rng.choices((0, 1, 2), (40, 40, 20))[0]}.get(composition, 0)
        earliest = max(date(2008, 1, 1), date(year + 18, 1, 1))
        births += [(rand_date(rng, earliest, date(2026, 10, 31)), False)
                   for _ in range(max(0, n - teen))]
        for birth, pupil in sorted(births):
            self.add_child(members, parents, birth, address, protected, pupil)
        if composition == "other_adult":
            r = rng.random()
            if r < 0.2:  # 19-20 and not in school: an adult, not a child
                birth = rand_date(rng, date(2006, 1, 1), date(2007, 11, 15))
            elif year <= 1980 and r < 0.75:  # a grown-up child
                birth = rand_date(rng, date(1999, 1, 1), date(2005, 11, 15))
            else:  # a sibling or a cousin
                y = min(2004, max(1962, year + rng.randint(-8, 8)))
                birth = rand_date(rng, date(y, 1, 1), date(y, 12, 31))
            other = self.person(birth, surname, address, protected)
            members.append(Member(other.pnr, "other_adult"))
        return members

    def add_child(self, members: list[Member], parents: list[Person], birth: date,
                  address: Address, protected: bool, pupil: bool = False) -> Person:
        child = self.person(birth, parents[0].last_name, address, protected)
        child.guardians = [p.pnr for p in parents] if age_on(birth, DAY1) < 18 else []
        for p in parents:
            if child.guardians:
                p.children.append(child.pnr)
        members.append(Member(child.pnr, "child", pupil or age_on(birth, DAY1) >= 6))
        return child
