"""Skolskjuts (SL-terminsbiljett) for pupils in förskoleklass and grundskola.

Facts and sources: ``/work/shared/domain/case-rules.md`` section 3; rule texts and
thresholds: ``config/`` next to this module. In short, the pupil gets a ticket if the
municipality is the home municipality (folkbokföring), the school is in the municipality,
the placement rule holds (nearest municipal school, or applied there and refused) and the
walking distance is strictly longer than the threshold for the grade. With växelvis
boende, the second address counts only if it is in the municipality too (HFD 2014:34).
Health data, traffic danger, taxi, protected identity and förskoleklass go to a person.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from caserobot.exceptions import InputError, ReasonCode
from caserobot.rules import CaseType, Check, Evaluation, Referral, register
from caserobot_skolskjuts.reasons import SkolskjutsReason

HOME_ADDRESS = "folkbokföringsadressen"
SECOND_ADDRESS = "den andra adressen (växelvis boende)"

Grade = Literal["F", "1", "2", "3", "4", "5", "6", "7", "8", "9"]


def _grade(value: Any) -> Any:
    # Accept 3 and "3" alike (the e-service sends strings); bool is an int in Python.
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 9:
        return str(value)
    if isinstance(value, str) and value in {"F", *"123456789"}:
        return value
    raise PydanticCustomError("grade", "must be F or 1–9")


#: No walk to a school is longer than this (100 km); above it the figure is not a real
#: distance (issue 13: `decide` granted at 10^30 m). The robot's route lookups use the
#: same bound (caserobot_skolskjuts.application.MAX_PLAUSIBLE_DISTANCE_M).
MAX_DISTANCE_M = 100_000


def _municipality_text(value: Any) -> Any:
    # A name is printed in the reasons: one printable line (no control characters).
    if isinstance(value, str) and not value.isprintable():
        raise PydanticCustomError("municipality", "must be a printable name on one line")
    return value


Distance = Annotated[
    StrictInt, Field(ge=0, le=MAX_DISTANCE_M, description="Walking distance, metres")
]
Municipality = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    BeforeValidator(_municipality_text),
]


class SkolskjutsInput(BaseModel):
    """The facts of one skolskjuts application, as gathered by the robot."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    grade: Annotated[Grade, BeforeValidator(_grade)] = Field(description="F or 1–9")
    walking_distance_m: Distance
    enrolled_in_nearest_municipal_school: StrictBool
    applied_to_nearest_and_refused: StrictBool
    school_municipality: Municipality
    home_municipality: Municipality = Field(description="Where the pupil is folkbokförd")
    alternating_residence: StrictBool
    second_address_walking_distance_m: Distance | None = None
    second_address_municipality: Municipality | None = None
    medical_certificate: StrictBool
    traffic_danger_claimed: StrictBool
    taxi_requested: StrictBool
    protected_identity: StrictBool

    @model_validator(mode="after")
    def _second_address(self) -> SkolskjutsInput:
        if self.alternating_residence:
            for name in ("second_address_walking_distance_m", "second_address_municipality"):
                if getattr(self, name) is None:
                    raise InputError(name, "required when alternating_residence is true")
        return self


CASE_TYPE = register(
    CaseType("skolskjuts", SkolskjutsInput, config_dir=Path(__file__).parent / "config")
)



def _norm_municipality(name: str) -> str:
    # Registers say "Nacka", the case system "Nacka kommun"; both mean the same.
    return name.strip().casefold().removesuffix(" kommun").strip()


def _same_municipality(a: str, b: str) -> bool:
    return _norm_municipality(a) == _norm_municipality(b)


def _official_name(name: str) -> str:
    """For the lookup in ``known_municipalities``: "Stockholms stad" → "stockholm"."""
    text = _norm_municipality(name).removeprefix("region ")
    for suffix in ("s stad", " stad", "s kommun"):
        if text.endswith(suffix):
            return text.removesuffix(suffix).strip()
    return text


def _metres(value: int) -> str:
    return f"{value:,}".replace(",", " ") + " meter"


def _grade_text(grade: str) -> str:
    return "förskoleklass" if grade == "F" else f"årskurs {grade}"


# ---- referrals: a person decides ---------------------------------------------------


@CASE_TYPE.rule("medical_certificate", kind="referral")
def _medical_certificate(ev: Evaluation, medical_certificate: bool) -> Referral | None:
    # GDPR art. 22(4): no solely automated decision based on health data.
    if not medical_certificate:
        return None
    return Referral(
        SkolskjutsReason.MEDICAL_CERTIFICATE,
        "Ansökan grundas på läkarintyg eller funktionsnedsättning. Den bedömningen bygger "
        "på hälsouppgifter och ska göras av en handläggare.",
    )


@CASE_TYPE.rule("traffic_danger", kind="referral")
def _traffic_danger(ev: Evaluation, traffic_danger_claimed: bool) -> Referral | None:
    if not traffic_danger_claimed:
        return None
    return Referral(
        SkolskjutsReason.TRAFFIC_DANGER,
        "Vårdnadshavarna anger att skolvägen är trafikfarlig. Trafikförhållandena måste "
        "bedömas individuellt.",
    )


@CASE_TYPE.rule("taxi", kind="referral")
def _taxi(ev: Evaluation, taxi_requested: bool) -> Referral | None:
    if not taxi_requested:
        return None
    return Referral(
        SkolskjutsReason.TAXI_REQUESTED,
        "Ansökan gäller skolskjuts med taxi, som kommunens resurssamordnare beslutar om "
        "efter en individuell bedömning.",
    )


@CASE_TYPE.rule("protected_identity", kind="referral")
def _protected_identity(ev: Evaluation, protected_identity: bool) -> Referral | None:
    if not protected_identity:
        return None
    return Referral(
        ReasonCode.PROTECTED_IDENTITY,
        "Eleven har skyddade personuppgifter. Sådana ärenden handläggs av en handläggare.",
    )


@CASE_TYPE.rule("forskoleklass", kind="referral")
def _forskoleklass(ev: Evaluation, grade: str) -> Referral | None:
    # Nacka's sources conflict on förskoleklass; case-rules.md 3.2 says flag it.
    if grade != "F":
        return None
    return Referral(
        SkolskjutsReason.FORSKOLEKLASS,
        "Eleven går i förskoleklass. Kommunens uppgifter om förskoleklassens rätt till "
        "terminsbiljett går isär, så en handläggare ska pröva ärendet.",
    )


MUNICIPALITY_FIELDS = {
    "home_municipality": "folkbokföringskommunen",
    "school_municipality": "skolans kommun",
    "second_address_municipality": "kommunen för den andra adressen",
}


@CASE_TYPE.rule("known_municipality", kind="referral")
def _known_municipality(ev: Evaluation, municipalities: dict[str, str]) -> Referral | None:
    """Every municipality named must be one of Sweden's; an unknown one is not denied."""
    unknown = []
    for field, name in municipalities.items():
        if ev.param_entry("known_municipalities", name, normalize=_official_name) is None:
            unknown.append(f'{MUNICIPALITY_FIELDS[field]} anges som "{name}"')
    if not unknown:
        return None
    return Referral(
        SkolskjutsReason.UNKNOWN_MUNICIPALITY,
        f"Okänd kommun: {'; '.join(unknown)}, som inte är någon av Sveriges kommuner. "
        "Uppgiften ska kontrolleras innan ärendet kan prövas mot reglerna om hemkommun och "
        "skolans kommun.",
    )


# ---- conditions for an SL term ticket ----------------------------------------------


@CASE_TYPE.rule("home_municipality")
def _home_municipality(ev: Evaluation, home_municipality: str) -> Check:
    here = ev.rule_set.municipality
    if _same_municipality(home_municipality, here):
        return Check(True, f"Eleven är folkbokförd i {here} kommun.")
    return Check(
        False,
        f"Eleven är folkbokförd i {home_municipality}, inte i {here} kommun. Skolskjuts "
        f"ordnas av den kommun där eleven är folkbokförd.",
    )


@CASE_TYPE.rule("school_municipality")
def _school_municipality(ev: Evaluation, school_municipality: str) -> Check:
    here = ev.rule_set.municipality
    if _same_municipality(school_municipality, here):
        return Check(True, f"Skolan ligger i {here} kommun.")
    return Check(
        False,
        f"Skolan ligger i {school_municipality}, inte i {here} kommun. Elever som går i "
        f"skola i en annan kommun har inte rätt till terminsbiljett från {here} kommun.",
    )


@CASE_TYPE.rule("placement")
def _placement(
    ev: Evaluation, enrolled_in_nearest_municipal_school: bool, applied_to_nearest_and_refused: bool
) -> Check:
    if enrolled_in_nearest_municipal_school:
        return Check(True, "Eleven går i den närmaste kommunala skolan.")
    if applied_to_nearest_and_refused:
        return Check(
            True,
            "Eleven går inte i den närmaste kommunala skolan, men vårdnadshavarna sökte plats "
            "där och fick inte plats.",
        )
    return Check(
        False,
        "Eleven går inte i den närmaste kommunala skolan, och vårdnadshavarna har inte sökt "
        "plats där och nekats. Rätt till terminsbiljett i en annan skola finns bara om eleven "
        "inte fick plats i den närmaste kommunala skolan.",
    )


@CASE_TYPE.rule("alternating_residence", kind="value")
def _alternating_residence(
    ev: Evaluation,
    walking_distance_m: int,
    second_address_walking_distance_m: int,
    second_address_municipality: str,
) -> dict[str, int]:
    """Which addresses count: both if both are in the municipality, else only home's."""
    counted = {HOME_ADDRESS: walking_distance_m}
    if _same_municipality(second_address_municipality, ev.rule_set.municipality):
        counted[SECOND_ADDRESS] = second_address_walking_distance_m
    return counted


@CASE_TYPE.rule("distance")
def _distance(
    ev: Evaluation, grade: str, distances: dict[str, int], excluded_address: str | None = None
) -> Check:
    threshold = ev.param("distance_threshold_m", key=grade)
    longest, metres = max(distances.items(), key=lambda item: item[1])
    if metres > threshold:  # strictly longer, per Nacka's guideline
        return Check(
            True,
            f"Gångavståndet från {longest} till skolan är {_metres(metres)}, vilket är "
            f"längre än {_metres(threshold)} som gäller för {_grade_text(grade)}.",
        )
    if len(distances) == 1:
        text = (
            f"Gångavståndet från {longest} till skolan är {_metres(metres)}. För "
            f"{_grade_text(grade)} krävs att det är längre än {_metres(threshold)}."
        )
    else:
        listed = " och ".join(f"{_metres(m)} från {label}" for label, m in distances.items())
        text = (
            f"Gångavståndet till skolan är {listed}. För {_grade_text(grade)} krävs att "
            f"avståndet från någon av adresserna är längre än {_metres(threshold)}."
        )
    if excluded_address:
        text += (
            f" Den andra adressen ligger i {excluded_address} och räknas inte: vid växelvis "
            f"boende räknas bara adresser i {ev.rule_set.municipality} kommun."
        )
    return Check(False, text)


@CASE_TYPE.evaluator
def evaluate(ev: Evaluation, data: SkolskjutsInput) -> None:
    """Apply the skolskjuts rules; the engine turns the results into a decision."""
    # Referrals first: they apply whatever the conditions say.
    ev.apply("medical_certificate", medical_certificate=data.medical_certificate)
    ev.apply("traffic_danger", traffic_danger_claimed=data.traffic_danger_claimed)
    ev.apply("taxi", taxi_requested=data.taxi_requested)
    ev.apply("protected_identity", protected_identity=data.protected_identity)
    ev.apply("forskoleklass", grade=data.grade)
    named = {
        "home_municipality": data.home_municipality,
        "school_municipality": data.school_municipality,
    }
    if data.alternating_residence and data.second_address_municipality is not None:
        named["second_address_municipality"] = data.second_address_municipality
    ev.apply("known_municipality", municipalities=named)

    # Not our pupil, or not our school: the other conditions are moot, and stating them
    # would suggest the municipality could grant if they were met.
    if not ev.apply("home_municipality", home_municipality=data.home_municipality).passed:
        return
    if not ev.apply("school_municipality", school_municipality=data.school_municipality).passed:
        return
    ev.apply(
        "placement",
        enrolled_in_nearest_municipal_school=data.enrolled_in_nearest_municipal_school,
        applied_to_nearest_and_refused=data.applied_to_nearest_and_refused,
    )
    distances = {HOME_ADDRESS: data.walking_distance_m}
    excluded = None
    if data.alternating_residence:
        assert data.second_address_walking_distance_m is not None  # nosec B101  # the input model guarantees it; narrows the type
        assert data.second_address_municipality is not None  # nosec B101  # the input model guarantees it; narrows the type
        distances = ev.apply(
            "alternating_residence",
            walking_distance_m=data.walking_distance_m,
            second_address_walking_distance_m=data.second_address_walking_distance_m,
            second_address_municipality=data.second_address_municipality,
        )
        if SECOND_ADDRESS not in distances:
            excluded = data.second_address_municipality
    ev.apply("distance", grade=data.grade, distances=distances, excluded_address=excluded)
