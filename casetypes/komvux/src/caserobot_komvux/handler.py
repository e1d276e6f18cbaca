"""Komvux admission, one course choice per work item: collect the facts, apply the rules,
write the decision back into the case system once. The steps, in the order the robot's
``tasks.robot`` gives them (:mod:`caserobot.process`).

Facts and where they come from:

* the application (the e-service): the applicant, the course choice, foreign grades;
* the population register (Navet, API): home municipality, folkbokförd or not, protected
  identity; the birth date is the personnummer's;
* the school register (VuxReg, web UI with seats): completed programmes and every grade,
  and the course catalogue (is the course given by that provider on that day, does it
  count towards eligibility);
* the case system (web UI with seats): the case, found by the item's reference or created,
  and the decision written on it and read back.
"""

from __future__ import annotations

from typing import Any

from caserobot.cases.base import Facts, WorkContext
from caserobot.cases.writeback import find_or_create_case
from caserobot.exceptions import BusinessException, ReasonCode
from caserobot.legacy.casesystem import CaseRecord
from caserobot.legacy.population import PersonRecord
from caserobot.personnummer import Personnummer
from caserobot.process import ItemProcess, step
from caserobot.settings import get_settings
from caserobot_komvux import knowledge
from caserobot_komvux.application import CourseChoice, KomvuxApplication, parse_komvux
from caserobot_komvux.school_records import NAME, PersonCard, SchoolRecordsSession, on_day

CASE_TYPE = "komvux"
SRC_APP = "e-tjänst"
SRC_POP = "folkbokföringen (Navet)"
SRC_REG = "elevregistret (VuxReg)"
SRC_CASE = "ärendesystemet"


class KomvuxProcess(ItemProcess):
    """One course choice, from the application to the decision written back: the steps
    the robot's ``tasks.robot`` puts in order (keyword ``Process Course Choice``)."""

    case_type = CASE_TYPE
    app: KomvuxApplication
    choice: CourseChoice
    qualifying: bool
    person: PersonRecord
    card: PersonCard | None
    case: CaseRecord

    @step("Read Application", gives=("app", "choice"))
    async def read_application(self) -> None:
        """Read the application and this item's course choice (the e-service's, kept in
        the work item at intake); a malformed one goes to a caseworker, naming the field."""
        ctx = self.ctx
        raw = ctx.payload.get("application") or await ctx.systems.eservice.get(ctx.eservice_id)
        self.app, self.choice = parse_komvux(raw, ctx.payload.get("part"))
        self.facts.add("ansökan", _summary(self.app, self.choice), SRC_APP)

    @step("Check Course Start In Catalogue", needs=("choice",), gives=("qualifying",))
    async def check_course_start(self) -> None:
        """Find the course start in the school register's catalogue: a course the
        provider does not give on that day, or at another level, is bad input (no case is
        made for it). Notes whether the course counts towards eligibility."""
        register: SchoolRecordsSession = await self.ctx.web(NAME)
        self.qualifying = await self._course_start(register, self.choice, self.facts)

    @step("Look Up Applicant In Population Register", needs=("app",), gives=("person",))
    async def look_up_person(self) -> None:
        """Home municipality, folkbokförd or not, protected identity (Navet)."""
        pnr = self.app.applicant.personnummer
        self.person = person = await self.ctx.systems["population"].person(pnr)
        self.facts.add("folkbokföringskommun", person.municipality or None, SRC_POP)
        self.facts.add("folkbokförd_i_sverige", person.registered, SRC_POP)
        self.facts.add("skyddad_identitet", person.protected_identity, SRC_POP)

    @step("Read Education In School Register", needs=("app",), gives=("card",))
    async def read_education(self) -> None:
        """Completed programmes and every grade, from the person card in the school
        register (this seat's session there)."""
        register: SchoolRecordsSession = await self.ctx.web(NAME)
        self.card = await self._records(register, self.app.applicant.personnummer, self.facts)

    @step("Find Or Create Case", needs=("app",), gives=("case",))
    async def find_or_create_case(self) -> None:
        """The item's case in the case system, found by its reference or created, exactly
        once."""
        pnr = self.app.applicant.personnummer
        self.case = await find_or_create_case(self.ctx, pnr, CASE_TYPE, self.ctx.application_id)
        self.facts.add("ärende", self.case.case_id, SRC_CASE)

    @step(
        "Apply Rules", needs=("app", "choice", "person", "card", "qualifying"), gives=("decision",)
    )
    async def decide(self) -> None:
        """Decide with the rules in force on the decision date (rule set
        ``nacka-komvux``); the trace names every rule with its legal reference."""
        self.apply_rules(
            self._inputs(self.ctx, self.app, self.choice, self.person, self.card, self.qualifying)
        )

    @staticmethod
    def _inputs(
        ctx: WorkContext,
        app: KomvuxApplication,
        choice: CourseChoice,
        person: PersonRecord,
        card: PersonCard | None,
        qualifying: bool,
    ) -> dict[str, Any]:
        return {
            "birth_date": Personnummer.parse(app.applicant.personnummer).birth_date.isoformat(),
            "registered_municipality": person.municipality or None,
            "deciding_municipality": get_settings().municipality,
            "resident_in_sweden": person.registered,
            "level": choice.level,
            "course_start": choice.start_date.isoformat(),
            "lacks_knowledge": knowledge.lacks_knowledge(card, choice.course_code, choice.level),
            "completed_national_programme": knowledge.completed_national_programme(card),
            "has_basic_eligibility": knowledge.has_basic_eligibility(card),
            "seeks_specific_eligibility": qualifying,
            "foreign_grades": app.foreign_grades_attached,
            "protected_identity": person.protected_identity or bool(card and card.protected),
        }

    @staticmethod
    async def _course_start(
        register: SchoolRecordsSession, choice: CourseChoice, facts: Facts
    ) -> bool:
        """The course start in the catalogue; whether the course counts towards eligibility.

        Raises:
            BusinessException: the provider gives no such course on that day, or at
                another level than the application says.
        """
        offerings = await register.offerings(choice.course_code, choice.provider_code)
        offering = on_day(offerings, choice.start_date)
        if offering is None:
            raise BusinessException(
                ReasonCode.INVALID_FIELD,
                f"kursen {choice.course_code} ges inte av {choice.provider_code} med start "
                f"{choice.start_date.isoformat()} enligt kurskatalogen",
                field=f"course_choices.{choice.priority}",
            )
        if offering.level != choice.level:
            raise BusinessException(
                ReasonCode.INVALID_FIELD,
                f"kursen {choice.course_code} är på nivån {offering.level} i kurskatalogen, "
                f"ansökan anger {choice.level}",
                field=f"course_choices.{choice.priority}.level",
            )
        facts.add(
            "kurstillfälle",
            {
                "kurs": offering.course_code,
                "anordnare": offering.provider_code,
                "start": offering.start_date,
                "platser": offering.places,
                "ger_behörighet": offering.qualifying,
            },
            SRC_REG,
        )
        return offering.qualifying

    @staticmethod
    async def _records(register: SchoolRecordsSession, pnr: str, facts: Facts) -> PersonCard | None:
        """The applicant's programmes and grades (None: not in the register)."""
        card = await register.person(pnr)
        facts.add(
            "utbildning_i_elevregistret",
            None
            if card is None
            else {
                "program": [
                    {
                        "skolform": p.school_form,
                        "namn": p.name,
                        "status": p.status,
                        "examen": p.diploma,
                    }
                    for p in card.programmes
                ],
                "antal_betyg": len(card.grades),
                "godkända_betyg": sorted(g.code for g in card.grades if g.passed),
            },
            SRC_REG,
        )
        return card


def _summary(app: KomvuxApplication, choice: CourseChoice) -> dict[str, object]:
    return {
        "id": app.id,
        "kurs": choice.course_code,
        "kursnamn": choice.course_name,
        "nivå": choice.level,
        "anordnare": choice.provider_code,
        "start": choice.start_date.isoformat(),
        "prioritet": choice.priority,
        "antal_kursval": len(app.course_choices),
        "utländska_betyg": app.foreign_grades_attached,
        "fritext": app.free_text,
    }
