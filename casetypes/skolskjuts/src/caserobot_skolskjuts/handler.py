"""Skolskjuts (school transport): collect the facts, apply the rules, write the decision back.

The steps, in the order the robot's ``tasks.robot`` gives them (:mod:`caserobot.process`).
"""

from __future__ import annotations

from caserobot.cases.base import Facts, WorkContext
from caserobot.cases.writeback import find_or_create_case
from caserobot.exceptions import (
    BusinessException,
    ReasonCode,
    UnexpectedScreen,
)
from caserobot.legacy.casesystem import CaseRecord, CaseSummary, Placement, Pupil
from caserobot.legacy.population import PersonRecord
from caserobot.personnummer import mask
from caserobot.process import ItemProcess, step
from caserobot_skolskjuts.application import (
    MAX_PLAUSIBLE_DISTANCE_M,
    SkolskjutsApplication,
    parse_skolskjuts,
)
from caserobot_skolskjuts.reasons import SkolskjutsReason

CASE_TYPE = "skolskjuts"
SRC_APP = "e-tjänst"
SRC_CASE = "ärendesystemet"
SRC_POP = "folkbokföringen (Navet)"
SRC_ROUTE = "vägtjänsten"


class SkolskjutsProcess(ItemProcess):
    """One application, from the e-service to the decision written back: the steps the
    robot's ``tasks.robot`` puts in order (keyword ``Process School Transport Application``).
    """

    case_type = CASE_TYPE
    app: SkolskjutsApplication
    pupil: Pupil
    placement: Placement
    child: PersonRecord
    second: PersonRecord | None
    case: CaseRecord
    distances: list[int]

    @step("Read Application", gives=("app",))
    async def read_application(self) -> None:
        """Read the application (kept in the work item at intake; an item enqueued without
        it is read from the e-service's API now); a malformed one goes to a caseworker."""
        ctx = self.ctx
        raw = ctx.payload.get("application") or await ctx.systems.eservice.get(ctx.application_id)
        self.app = parse_skolskjuts(raw)
        self.facts.add("ansökan", _application_summary(self.app), SRC_APP)

    @step("Read Pupil And Placement In Case System", needs=("app",), gives=("pupil", "placement"))
    async def read_pupil(self) -> None:
        """The pupil's page and the school register in the case system: the school
        placement must be the school applied for."""
        self.pupil, self.placement = await self._read_pupil(self.ctx, self.app, self.facts)

    @step(
        "Look Up Child And Guardians In Population Register",
        needs=("app",),
        gives=("child", "second"),
    )
    async def look_up_child(self) -> None:
        """The child's home municipality and protection, that the applicant is a guardian,
        and for alternating residence the other guardian's address (Navet)."""
        self.child, self.second = await self._register_part(self.ctx, self.app, self.facts)

    @step("Find Or Create Case", needs=("app", "pupil"), gives=("case",))
    async def find_or_create(self) -> None:
        """The application's case, found by its reference on the pupil's page or created,
        exactly once."""
        self.case = await self._find_or_create_case(self.ctx, self.app, self.pupil, self.facts)

    @step(
        "Measure Walking Distances",
        needs=("app", "placement", "child", "second"),
        gives=("distances",),
    )
    async def measure(self) -> None:
        """Walking distance from each home address to the school (the route service)."""
        self.distances = await self._distances(
            self.ctx, self.app, self.placement, self.child, self.second, self.facts
        )

    @step(
        "Apply Rules",
        needs=("app", "placement", "child", "second", "distances"),
        gives=("decision",),
    )
    async def decide(self) -> None:
        """Decide with the rules in force on the decision date (rule set
        ``nacka-skolskjuts``); the trace names every rule with its legal reference."""
        app, placement, child, second = self.app, self.placement, self.child, self.second
        distances = self.distances
        alternating = second is not None
        inputs = {
            "grade": placement.grade,
            "walking_distance_m": distances[0],
            "enrolled_in_nearest_municipal_school": placement.nearest_municipal_school,
            "applied_to_nearest_and_refused": placement.applied_to_nearest_and_refused,
            "school_municipality": placement.school_municipality,
            "home_municipality": child.municipality,
            "alternating_residence": alternating,
            "second_address_walking_distance_m": distances[1] if len(distances) > 1 else None,
            "second_address_municipality": second.municipality if second else None,
            "medical_certificate": app.medical_certificate_attached,
            "traffic_danger_claimed": app.traffic_danger_claimed,
            "taxi_requested": app.taxi_requested,
            "protected_identity": child.protected_identity,
        }
        if alternating and len(distances) < 2:  # second guardian protected: no address
            inputs["second_address_walking_distance_m"] = 0
        self.apply_rules(inputs)

    async def _read_pupil(
        self, ctx: WorkContext, app: SkolskjutsApplication, facts: Facts
    ) -> tuple[Pupil, Placement]:
        session = ctx.session
        pupil = await session.pupil(app.child.personnummer)
        if pupil is None:
            raise BusinessException(
                ReasonCode.PERSON_NOT_FOUND,
                f"eleven {mask(app.child.personnummer)} finns inte i ärendesystemet",
                field="child.personnummer",
            )
        placement = pupil.placement
        schools = await session.schools()
        if app.school.unit_code not in schools:
            raise BusinessException(
                SkolskjutsReason.UNKNOWN_SCHOOL,
                f"skolenhetskoden {app.school.unit_code} finns inte i skolregistret",
                field="school.unit_code",
            )
        if placement is None:
            raise BusinessException(
                SkolskjutsReason.SCHOOL_MISMATCH, "eleven saknar skolplacering i ärendesystemet"
            )
        if placement.unit_code != app.school.unit_code:
            raise BusinessException(
                SkolskjutsReason.SCHOOL_MISMATCH,
                f"ansökan anger {app.school.unit_code} men eleven är placerad på "
                f"{placement.unit_code} ({placement.school_name})",
                field="school.unit_code",
            )
        facts.add(
            "skolplacering",
            {
                "skola": placement.school_name,
                "skolenhetskod": placement.unit_code,
                "årskurs": placement.grade,
                "skolans_kommun": placement.school_municipality,
                "huvudman": placement.principal,
                "närmaste_kommunala_skola": placement.nearest_municipal_school,
                "sökt_närmaste_och_nekats": placement.applied_to_nearest_and_refused,
            },
            SRC_CASE,
        )
        return pupil, placement

    async def _find_or_create_case(
        self, ctx: WorkContext, app: SkolskjutsApplication, pupil: Pupil, facts: Facts
    ) -> CaseRecord:
        """The application's case: found by its external reference (on the pupil's page),
        else created, exactly once."""
        pnr = app.child.personnummer

        async def cases() -> tuple[CaseSummary, ...]:
            return (await self._pupil(ctx, pnr)).cases

        case = await find_or_create_case(
            ctx, pnr, CASE_TYPE, app.id, cases=cases, known=pupil.cases
        )
        facts.add("ärende", case.case_id, SRC_CASE)
        return case

    @staticmethod
    async def _pupil(ctx: WorkContext, pnr: str) -> Pupil:
        pupil = await ctx.session.pupil(pnr)
        if pupil is None:
            raise UnexpectedScreen("eleven syns inte längre i ärendesystemet", system=SRC_CASE)
        return pupil

    async def _distances(
        self,
        ctx: WorkContext,
        app: SkolskjutsApplication,
        placement: Placement,
        child: PersonRecord,
        second: PersonRecord | None,
        facts: Facts,
    ) -> list[int]:
        home = child.address
        if home is None:  # protected identity: the register withholds the address
            home_key, home_src = app.addresses[0].route_key, f"{SRC_APP} (uppgiven adress)"
        else:
            home_key, home_src = home.route_key, SRC_POP
        facts.add("folkbokföringsadress", home_key if home else "skyddad", home_src)
        routes = ctx.systems["routes"]
        lookups = [routes.walking_distance_m(home_key, placement.school_address)]
        if second is not None and second.address is not None:
            lookups.append(
                routes.walking_distance_m(second.address.route_key, placement.school_address)
            )
        distances = await ctx.gather(*lookups)
        for d in distances:
            if not 0 <= d <= MAX_PLAUSIBLE_DISTANCE_M:
                raise BusinessException(
                    SkolskjutsReason.ABSURD_DISTANCE, f"vägtjänsten gav orimligt avstånd {d} m"
                )
        facts.add("gångavstånd_m", distances[0], SRC_ROUTE)
        if len(distances) > 1:
            facts.add("gångavstånd_andra_adressen_m", distances[1], SRC_ROUTE)
        return distances

    async def _register_part(
        self, ctx: WorkContext, app: SkolskjutsApplication, facts: Facts
    ) -> tuple[PersonRecord, PersonRecord | None]:
        population = ctx.systems["population"]
        child = await population.person(app.child.personnummer)
        if app.applicant.personnummer not in child.guardians:
            raise BusinessException(
                SkolskjutsReason.NOT_GUARDIAN,
                "den sökande är inte vårdnadshavare för eleven enligt folkbokföringen",
                field="applicant.personnummer",
            )
        facts.add("folkbokföringskommun", child.municipality, SRC_POP)
        facts.add("skyddad_identitet", child.protected_identity, SRC_POP)
        second = None
        if app.alternating_residence:
            guardians = await ctx.gather(*(population.person(g) for g in child.guardians))
            second = next(
                (g for g in guardians if g.address is None or g.address != child.address), None
            )
            if second is None:
                raise BusinessException(
                    ReasonCode.INVALID_FIELD,
                    "växelvis boende angivet men båda vårdnadshavarna är folkbokförda på "
                    "elevens adress",
                    field="alternating_residence",
                )
            facts.add("andra_vårdnadshavarens_kommun", second.municipality, SRC_POP)
        return child, second


def _application_summary(app: SkolskjutsApplication) -> dict[str, object]:
    return {
        "id": app.id,
        "årskurs": app.grade,
        "skola": app.school.unit_code,
        "växelvis_boende": app.alternating_residence,
        "läkarintyg": app.medical_certificate_attached,
        "trafikfara": app.traffic_danger_claimed,
        "taxi": app.taxi_requested,
        "fritext": app.free_text,
    }
