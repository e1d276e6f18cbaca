"""Komvux admission, one course choice per work item: collect the facts, apply the rules,
write the decision back into the case system once.

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

from caserobot import rules
from caserobot.cases.base import Decided, Facts, Referred, WorkContext
from caserobot.cases.writeback import find_or_create_case, write_once
from caserobot.exceptions import BusinessException, InputError, ReasonCode
from caserobot.legacy.population import PersonRecord
from caserobot.personnummer import Personnummer
from caserobot.settings import get_settings
from caserobot_komvux import knowledge
from caserobot_komvux.application import CourseChoice, KomvuxApplication, parse_komvux
from caserobot_komvux.school_records import NAME, PersonCard, SchoolRecordsSession, on_day

CASE_TYPE = "komvux"
SRC_APP = "e-tjänst"
SRC_POP = "folkbokföringen (Navet)"
SRC_REG = "elevregistret (VuxReg)"
SRC_CASE = "ärendesystemet"


class KomvuxHandler:
    case_type = CASE_TYPE

    async def process(self, ctx: WorkContext) -> Decided | Referred:
        facts = ctx.facts
        raw = ctx.payload.get("application") or await ctx.systems.eservice.get(ctx.eservice_id)
        app, choice = parse_komvux(raw, ctx.payload.get("part"))
        pnr = app.applicant.personnummer
        facts.add("ansökan", _summary(app, choice), SRC_APP)

        # First the catalogue: a course choice that is not a real course start is bad input,
        # and no case is made for it. Then the population register (no seat), the school
        # register (this seat's session there) and the case system (this seat) side by side.
        register: SchoolRecordsSession = await ctx.web(NAME)
        qualifying = await self._course_start(register, choice, facts)
        person, card, case = await ctx.gather(
            ctx.systems["population"].person(pnr),
            self._records(register, pnr, facts),
            find_or_create_case(ctx, pnr, CASE_TYPE, ctx.application_id),
        )
        facts.add("ärende", case.case_id, SRC_CASE)
        facts.add("folkbokföringskommun", person.municipality or None, SRC_POP)
        facts.add("folkbokförd_i_sverige", person.registered, SRC_POP)
        facts.add("skyddad_identitet", person.protected_identity, SRC_POP)

        inputs = self._inputs(ctx, app, choice, person, card, qualifying)
        try:
            decision = rules.decide(CASE_TYPE, inputs, ctx.as_of)
        except InputError as exc:  # a register's value the rules' contract refuses
            raise BusinessException(ReasonCode.INVALID_FIELD, exc.detail, field=exc.field) from None
        if decision.outcome == "refer":
            return Referred.by_rules(decision, facts, case.case_id)
        return await write_once(ctx, case, decision, facts)

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
