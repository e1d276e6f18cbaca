"""Admission to kommunal vuxenutbildning (Komvux), one course choice at a time.

Facts and sources: ``/work/shared/domain/case-rules.md`` section 2; rule texts and the
age parameters: ``config/`` next to this module. In short:

- *Grundläggande nivå* (skollagen 20 kap. 11 §): resident in Sweden, from 1 July of the
  year the applicant turns 20 (judged on the course's start) and lacking the knowledge →
  granted, a right to attend. Younger: special personal reasons, a person decides.
- *Gymnasial nivå* (20 kap. 20 §): eligible if resident, of that age or with a completed
  national programme, and lacking the knowledge. An eligible adult without basic
  eligibility for university or yrkeshögskolan has a right to the course (19 §), as has
  one with it who seeks specific eligibility (19 a §) → granted. Other eligible applicants
  (an under-20 eligible through the programme among them: the right is an adult's) →
  ``selection``, admission by selection, the greatest need first (20 kap. 2 §, förordning
  2011:1108 3 kap. 7 §). Too young without the programme: a person decides.
- A person decides when the applicant is folkbokförd in another municipality (the home
  municipality decides, 20 kap. 21 §), is not folkbokförd in Sweden (other ways of being
  resident), has foreign grades, or has a protected identity.

Not in the input, so not judged: whether the applicant can benefit from the course, and
whether the course is one that gives the eligibility sought (19 §, 19 a §); the
e-service's course catalogue is assumed to offer only such courses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from caserobot.exceptions import ConfigurationError, InputError, ReasonCode
from caserobot.outcomes import OutcomeSpec
from caserobot.rules import CaseType, Check, Conclusion, Evaluation, Referral, register
from caserobot_komvux._input import KomvuxInput
from caserobot_komvux.reasons import KomvuxReason

#: Eligible, but no right to the course: admitted through selection (urval).
SELECTION = OutcomeSpec(
    code="selection",
    label="Behörig – urval",
    verb="prövas i urval bland behöriga sökande",
    infinitive="prövas i urval bland behöriga sökande",
    written_as="urval",
    read_back=frozenset({"behörig, urval"}),
    report_label="Behörig, till urval (automatiskt)",
)

CASE_TYPE = register(
    CaseType(
        "komvux",
        KomvuxInput,
        config_dir=Path(__file__).parent / "config",
        extra_outcomes=(SELECTION,),
    )
)

MONTHS = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip

GREATEST_NEED = (
    "Antagningen sker då genom urval, där de som har störst behov av utbildning går först."
)


def _day(value: date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _norm_municipality(name: str) -> set[str]:
    """The forms a municipality's name may take: "Nacka kommun" and "Nacka" alike, and
    "Stockholms stad" and "Stockholm" (registers drop the suffix, case systems keep it)."""
    text = name.strip().casefold().removeprefix("region ").strip()
    for suffix in (" kommun", " stad"):
        if text.endswith(suffix):
            base = text.removesuffix(suffix).strip()
            return {base, base.removesuffix("s")}  # "Stockholms stad"; "Borås stad" too
    return {text}


def _same_municipality(a: str, b: str) -> bool:
    return bool(_norm_municipality(a) & _norm_municipality(b))


@dataclass(frozen=True)
class _Age:
    adult_from: date  # 1 July of the year the applicant turns 20
    adult: bool  # the course starts on or after that day
    years: int
    day_in_year: str  # "1 juli"

    def rule(self) -> str:
        return f"den {self.day_in_year} det år sökanden fyller {self.years} år"


def _age(ev: Evaluation, birth_date: date, course_start: date) -> _Age:
    """The age rule, judged on the course's start; the parameters go into the step."""
    years = ev.param("adult_age_years")
    month_day = ev.param("adult_from")
    try:
        if not isinstance(years, int) or isinstance(years, bool) or not 0 < years < 100:
            raise ValueError(f"adult_age_years is {years!r}, not a whole number of years")
        adult_from = date(birth_date.year + years, int(month_day["month"]), int(month_day["day"]))
    except (TypeError, KeyError, ValueError) as exc:
        raise ConfigurationError(
            str(ev.parameters_path), f"adult_age_years and adult_from give no date: {exc}"
        ) from exc
    in_year = f"{adult_from.day} {MONTHS[adult_from.month - 1]}"
    return _Age(adult_from, course_start >= adult_from, years, in_year)


# ---- referrals: a person decides ---------------------------------------------------


@CASE_TYPE.rule("protected_identity", kind="referral")
def _protected_identity(ev: Evaluation, protected_identity: bool) -> Referral | None:
    if not protected_identity:
        return None
    return Referral(
        ReasonCode.PROTECTED_IDENTITY,
        "Sökanden har skyddade personuppgifter. Sådana ärenden handläggs av en handläggare.",
    )


@CASE_TYPE.rule("home_municipality", kind="referral")
def _home_municipality(
    ev: Evaluation, registered_municipality: str | None, deciding_municipality: str
) -> Referral | None:
    # Not folkbokförd anywhere: no home municipality to compare (residence_assessment refers).
    if registered_municipality is None:
        return None
    if _same_municipality(registered_municipality, deciding_municipality):
        return None
    return Referral(
        KomvuxReason.OTHER_HOME_MUNICIPALITY,
        f"Sökanden är folkbokförd i {registered_municipality}, inte i "
        f"{deciding_municipality}. Ansökan prövas av sökandens hemkommun, så en handläggare "
        "skickar den vidare dit.",
    )


@CASE_TYPE.rule("residence_assessment", kind="referral")
def _residence_assessment(ev: Evaluation, resident_in_sweden: bool) -> Referral | None:
    if resident_in_sweden:
        return None
    return Referral(
        KomvuxReason.NOT_REGISTERED_IN_SWEDEN,
        "Sökanden är inte folkbokförd i Sverige. Den som inte är folkbokförd kan ändå räknas "
        "som bosatt här, till exempel som asylsökande eller med uppehållsrätt inom EU/EES, "
        "och det ska en handläggare bedöma. Förslaget gäller om sökanden räknas som bosatt.",
    )


@CASE_TYPE.rule("foreign_grades", kind="referral")
def _foreign_grades(ev: Evaluation, foreign_grades: bool) -> Referral | None:
    if not foreign_grades:
        return None
    return Referral(
        KomvuxReason.FOREIGN_GRADES,
        "Sökanden har utländska betyg. En handläggare ska bedöma om sökanden saknar de "
        "kunskaper som kursen ska ge.",
    )


@CASE_TYPE.rule("under_20_special_reasons", kind="referral")
def _under_20_special_reasons(
    ev: Evaluation,
    level: str,
    birth_date: date,
    course_start: date,
    completed_national_programme: bool,
) -> Referral | None:
    age = _age(ev, birth_date, course_start)
    if age.adult or (level == "gymnasial" and completed_national_programme):
        return None
    without = (
        " och har inte fullföljt ett nationellt program i gymnasieskolan"
        if level == "gymnasial"
        else ""
    )
    return Referral(
        KomvuxReason.UNDER_20_SPECIAL_REASONS,
        f"Kursen börjar före {age.rule()}{without}. En yngre sökande kan tas emot om det "
        "finns särskilda skäl med hänsyn till personliga förhållanden, och det ska en "
        "handläggare bedöma.",
    )


# ---- conditions -----------------------------------------------------------------------


@CASE_TYPE.rule("resident")
def _resident(ev: Evaluation, resident_in_sweden: bool) -> Check:
    # Applied only to the folkbokförda; the others are referred (residence_assessment).
    if resident_in_sweden:
        return Check(True, "Sökanden är folkbokförd i Sverige och därmed bosatt i landet.")
    return Check(False, "Sökanden är inte folkbokförd i Sverige.")


@CASE_TYPE.rule("grundlaggande_age")
def _grundlaggande_age(ev: Evaluation, birth_date: date, course_start: date) -> Check:
    age = _age(ev, birth_date, course_start)
    born = f"Sökanden är född den {_day(birth_date)}"
    if age.adult:
        return Check(
            True,
            f"{born} och har rätt till utbildning på grundläggande nivå från och med den "
            f"{_day(age.adult_from)} ({age.rule()}). Kursen börjar den {_day(course_start)}.",
        )
    return Check(
        False,
        f"{born} och har rätt till utbildning på grundläggande nivå först från och med den "
        f"{_day(age.adult_from)} ({age.rule()}). Kursen börjar redan den "
        f"{_day(course_start)}.",
    )


@CASE_TYPE.rule("grundlaggande_knowledge")
def _grundlaggande_knowledge(ev: Evaluation, lacks_knowledge: bool) -> Check:
    if lacks_knowledge:
        return Check(
            True,
            "Sökanden saknar sådana kunskaper som normalt uppnås i grundskolan och som kursen "
            "ska ge.",
        )
    return Check(
        False,
        "Sökanden har redan de kunskaper som kursen ska ge. Rätten till utbildning på "
        "grundläggande nivå gäller den som saknar sådana kunskaper.",
    )


@CASE_TYPE.rule("gymnasial_age")
def _gymnasial_age(
    ev: Evaluation, birth_date: date, course_start: date, completed_national_programme: bool
) -> Check:
    age = _age(ev, birth_date, course_start)
    if age.adult:
        return Check(
            True,
            f"Sökanden är född den {_day(birth_date)} och är behörig till utbildning på "
            f"gymnasial nivå från och med den {_day(age.adult_from)} ({age.rule()}). Kursen "
            f"börjar den {_day(course_start)}.",
        )
    before = (
        f"Kursen börjar den {_day(course_start)}, före den {_day(age.adult_from)} ({age.rule()})"
    )
    if completed_national_programme:
        return Check(
            True,
            f"{before}. Sökanden har fullföljt ett nationellt program i gymnasieskolan och är "
            "därför behörig ändå.",
        )
    return Check(
        False,
        f"{before}, och sökanden har inte fullföljt ett nationellt program i gymnasieskolan.",
    )


@CASE_TYPE.rule("gymnasial_knowledge")
def _gymnasial_knowledge(ev: Evaluation, lacks_knowledge: bool) -> Check:
    if lacks_knowledge:
        return Check(True, "Sökanden saknar de kunskaper som kursen syftar till att ge.")
    return Check(
        False,
        "Sökanden har redan de kunskaper som kursen syftar till att ge och är därför inte "
        "behörig till kursen.",
    )


# ---- what follows when the applicant is eligible ---------------------------------------


@CASE_TYPE.rule("gymnasial_right", kind="outcome")
def _gymnasial_right(
    ev: Evaluation,
    birth_date: date,
    course_start: date,
    has_basic_eligibility: bool,
    seeks_specific_eligibility: bool,
) -> Conclusion:
    if not _age(ev, birth_date, course_start).adult:
        return Conclusion(
            SELECTION.code,
            "Sökanden är behörig genom ett fullföljt nationellt program men har inte nått "
            "åldersgränsen när kursen börjar, och rätten att delta i utbildning på gymnasial "
            f"nivå gäller vuxna. {GREATEST_NEED}",
        )
    if not has_basic_eligibility:
        return Conclusion(
            "granted",
            "Sökanden saknar grundläggande behörighet till högskolan eller yrkeshögskolan "
            "och har rätt att delta i utbildning som ger sådan behörighet.",
        )
    if seeks_specific_eligibility:
        return Conclusion(
            "granted",
            "Sökanden har grundläggande behörighet och söker kursen för att få särskild "
            "behörighet, och har rätt att delta i utbildning som ger sådan behörighet.",
        )
    return Conclusion(
        SELECTION.code,
        "Sökanden har redan grundläggande behörighet och söker inte kursen för särskild "
        f"behörighet. Sökanden är behörig men har inte rätt till kursen. {GREATEST_NEED}",
    )


@CASE_TYPE.evaluator
def evaluate(ev: Evaluation, data: KomvuxInput) -> None:
    """Apply the Komvux rules; the engine turns the results into a decision."""
    if data.birth_date > ev.as_of:
        raise InputError(
            "birth_date",
            f"{data.birth_date.isoformat()} is after the decision date {ev.as_of.isoformat()}",
        )
    # Referrals first: they apply whatever the conditions say.
    ev.apply("protected_identity", protected_identity=data.protected_identity)
    ev.apply(
        "home_municipality",
        registered_municipality=data.registered_municipality,
        deciding_municipality=data.deciding_municipality,
    )
    ev.apply("residence_assessment", resident_in_sweden=data.resident_in_sweden)
    ev.apply("foreign_grades", foreign_grades=data.foreign_grades)
    ev.apply(
        "under_20_special_reasons",
        level=data.level,
        birth_date=data.birth_date,
        course_start=data.course_start,
        completed_national_programme=data.completed_national_programme,
    )

    # Not folkbokförd: a caseworker judges residence; the rest is the recommendation's basis.
    if data.resident_in_sweden:
        ev.apply("resident", resident_in_sweden=True)
    when = {"birth_date": data.birth_date, "course_start": data.course_start}
    if data.level == "grundlaggande":
        ev.apply("grundlaggande_age", **when)
        ev.apply("grundlaggande_knowledge", lacks_knowledge=data.lacks_knowledge)
        return
    age = ev.apply(
        "gymnasial_age", **when, completed_national_programme=data.completed_national_programme
    )
    knowledge = ev.apply("gymnasial_knowledge", lacks_knowledge=data.lacks_knowledge)
    if age.passed and knowledge.passed:  # eligible: a right, or selection
        ev.apply(
            "gymnasial_right",
            **when,
            has_basic_eligibility=data.has_basic_eligibility,
            seeks_specific_eligibility=data.seeks_specific_eligibility,
        )
