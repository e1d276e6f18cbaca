"""Komvux beyond the YAML cases of ``tests/rules/komvux/`` (every path, the age boundary,
bad input): the trace's legal references and parameters, the words of the ``selection``
outcome, dated parameters that move the age boundary, and the installed package."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from caserobot import case_types, discovery, outcomes
from caserobot.exceptions import InputError, reason_codes, reason_label
from caserobot.rules import Decision, decide, get_case_type
from caserobot_komvux.reasons import KomvuxReason
from caserobot_komvux.rules import SELECTION, _same_municipality

AS_OF = date(2026, 6, 1)
BASE: dict[str, Any] = {
    "birth_date": "1994-03-12",
    "registered_municipality": "Nacka",
    "deciding_municipality": "Nacka kommun",
    "resident_in_sweden": True,
    "level": "gymnasial",
    "course_start": "2026-08-17",
    "lacks_knowledge": True,
    "completed_national_programme": False,
    "has_basic_eligibility": False,
    "seeks_specific_eligibility": False,
    "foreign_grades": False,
    "protected_identity": False,
}
SELECTED = {**BASE, "has_basic_eligibility": True}
SUBJECT = "Ansökan om antagning till kurs inom kommunal vuxenutbildning"


def _decide(data: dict[str, Any], as_of: date = AS_OF, **kwargs: Any) -> Decision:
    return decide("komvux", data, as_of, **kwargs)


def _rule_set():
    return get_case_type("komvux").load().rule_set


# Together these apply every rule, and every referral refers in one of them.
COVERING = [
    BASE,
    {
        **BASE,
        "level": "grundlaggande",
        "birth_date": "2007-09-01",
        "registered_municipality": "Solna",
        "foreign_grades": True,
        "protected_identity": True,
    },
    {**BASE, "resident_in_sweden": False},
]


def _applied() -> dict[str, str]:
    applied: dict[str, str] = {}
    for data in COVERING:
        for step in _decide(data).trace:
            applied[step.rule_id] = step.legal_reference
    return applied


def test_every_rule_is_applied_with_the_rule_sets_title_and_reference() -> None:
    rule_set = _rule_set()
    referred: set[str] = set()
    for data in COVERING:
        d = _decide(data)
        referred |= set(d.reason_codes)
        for step in d.trace:
            spec = rule_set.rule(step.rule_id)
            assert (step.title, step.legal_reference) == (spec.title, spec.legal_reference)
    assert set(_applied()) == {r.id for r in rule_set.rules}
    assert referred == {"protected_identity", *(r.value for r in KomvuxReason)}


@pytest.mark.parametrize(
    ("rule_id", "cited"),
    [
        ("protected_identity", ["Folkbokföringslagen (1991:481) 16 §"]),
        ("home_municipality", ["Skollagen (2010:800) 20 kap. 21 §", "förvaltningslagen"]),
        ("residence_assessment", ["Skollagen (2010:800) 20 kap. 11 § och 20 §"]),
        ("foreign_grades", ["Skollagen (2010:800) 20 kap. 11 § och 20 §"]),
        ("under_20_special_reasons", ["Skollagen (2010:800) 20 kap. 11 § och 20 §"]),
        ("resident", ["Skollagen (2010:800) 20 kap. 11 § och 20 §"]),
        ("grundlaggande_age", ["Skollagen (2010:800) 20 kap. 11 §"]),
        ("grundlaggande_knowledge", ["Skollagen (2010:800) 20 kap. 11 §"]),
        ("gymnasial_age", ["Skollagen (2010:800) 20 kap. 20 §"]),
        ("gymnasial_knowledge", ["Skollagen (2010:800) 20 kap. 20 §"]),
        (
            "gymnasial_right",
            ["20 kap. 2 §, 19 § och 19 a §", "förordningen (2011:1108)", "3 kap. 7 §"],
        ),
    ],
)
def test_the_trace_cites_the_paragraph_each_rule_applies(rule_id: str, cited: list[str]) -> None:
    reference = _applied()[rule_id]
    for fragment in cited:
        assert fragment in reference


def test_a_selection_rests_on_the_eligibility_and_the_missing_right() -> None:
    d = _decide(SELECTED)
    decisive = [s.rule_id for s in d.trace if s.decisive]
    assert decisive == ["resident", "gymnasial_age", "gymnasial_knowledge", "gymnasial_right"]
    step = d.trace.step("gymnasial_right")
    assert (step.kind, step.result) == ("outcome", "selection")
    assert step.inputs["has_basic_eligibility"] is True
    assert d.reasons[-1] == step.reason
    assert (
        "- Rätt till utbildning eller urval (gymnasial nivå) (Skollagen (2010:800) 20 kap. 2 §, "
        "19 § och 19 a §; förordningen (2011:1108) om vuxenutbildning 3 kap. 7 §)"
    ) in d.motivering.splitlines()


def test_the_age_rule_reads_its_dated_parameters() -> None:
    step = _decide(BASE).trace.step("gymnasial_age")
    used = {p.name: p for p in step.parameters}
    assert used["adult_age_years"].value == 20
    assert used["adult_from"].value == {"month": 7, "day": 1}
    for p in used.values():
        assert p.valid_from == date(2021, 7, 1)
        assert p.legal_reference == "Skollagen (2010:800) 20 kap. 11 § och 20 §"
    assert step.inputs == {
        "birth_date": date(1994, 3, 12),
        "course_start": date(2026, 8, 17),
        "completed_national_programme": False,
    }


def test_a_new_dated_value_moves_the_age_boundary(tmp_path: Path) -> None:
    """The day and the age are data: a dated entry changes the rule from its date on."""
    config = tmp_path / "komvux"
    shutil.copytree(get_case_type("komvux").config_dir, config)
    params = yaml.safe_load((config / "parameters.yaml").read_text(encoding="utf-8"))
    params["adult_from"]["values"]["2027-01-01"] = {"value": {"month": 1, "day": 1}}
    (config / "parameters.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    young = {**BASE, "level": "grundlaggande", "birth_date": "2006-05-10"}
    young["course_start"] = "2026-06-30"

    before = _decide(young, date(2026, 12, 31), rules_dir=tmp_path)
    after = _decide(young, date(2027, 1, 1), rules_dir=tmp_path)
    assert (before.outcome, before.reason_codes) == ("refer", ["under_20_special_reasons"])
    assert (after.outcome, after.reason_codes) == ("granted", [])
    used = {p.name: p for p in after.trace.step("grundlaggande_age").parameters}
    assert used["adult_from"].valid_from == date(2027, 1, 1)
    assert "från och med den 1 januari 2026 (den 1 januari det år" in after.reasons[1]


def test_selection_is_an_outcome_komvux_declares() -> None:
    assert set(get_case_type("komvux").outcomes) == {"granted", "denied", "selection"}
    assert "selection" not in get_case_type("skolskjuts").outcomes
    assert outcomes.spec("selection") == SELECTION
    assert outcomes.label("selection") == "Behörig – urval"
    assert SELECTION.written_as == "urval"
    assert SELECTION.report_text() == "Behörig, till urval (automatiskt)"
    assert not SELECTION.with_amount
    assert outcomes.automated("selection")


@pytest.mark.parametrize("shown", ["urval", "Urval", "Behörig – urval", "behörig, urval"])
def test_the_case_systems_words_read_back_as_selection(shown: str) -> None:
    assert outcomes.read_back(shown) == "selection"


def test_the_motivering_words_of_selection() -> None:
    decided = _decide(SELECTED).motivering.splitlines()
    assert decided[:2] == ["Beslut", f"{SUBJECT} prövas i urval bland behöriga sökande."]
    referred = _decide({**SELECTED, "foreign_grades": True}).motivering.splitlines()
    assert referred[:2] == [
        "Förslag till beslut",
        f"{SUBJECT} bör prövas i urval bland behöriga sökande.",
    ]


def test_the_decision_says_how_to_appeal() -> None:
    motivering = _decide(SELECTED).motivering
    appeal = motivering.split("Hur man överklagar:\n", 1)[1]
    assert appeal.startswith("Beslutet kan överklagas till Skolväsendets överklagandenämnd")
    assert "(skollagen 28 kap. 12 § första stycket 9)" in appeal
    assert "inom tre veckor" in appeal


@pytest.mark.parametrize(
    ("registered", "deciding", "same"),
    [
        ("Nacka", "Nacka kommun", True),
        ("nacka kommun", " NACKA ", True),
        ("Stockholm", "Stockholms stad", True),
        ("Borås", "Borås stad", True),
        ("Gotland", "Region Gotland", True),
        ("Lysekils kommun", "Lysekil", True),
        ("Solna", "Sundbyberg", False),
        ("Nacka kommun", "Värmdö kommun", False),
        ("Nackas", "Nacka", False),
    ],
)
def test_municipality_names_compare_in_any_form(registered: str, deciding: str, same: bool) -> None:
    assert _same_municipality(registered, deciding) is same
    d = _decide({**BASE, "registered_municipality": registered, "deciding_municipality": deciding})
    assert ("other_home_municipality" not in d.reason_codes) is same


def test_a_birth_date_after_today_is_refused_whatever_the_decision_date() -> None:
    tomorrow = date.today() + timedelta(days=1)
    data = {**BASE, "birth_date": tomorrow.isoformat(), "course_start": "2200-01-01"}
    with pytest.raises(InputError) as caught:
        _decide(data, date(2199, 1, 1))
    assert (caught.value.field, caught.value.detail) == ("birth_date", "must not be in the future")


def test_the_example_input_is_decided() -> None:
    example = get_case_type("komvux").config_dir / "examples" / "decide-input.json"
    d = _decide(json.loads(example.read_text(encoding="utf-8")))
    assert (d.outcome, d.rule_set, d.municipality) == ("granted", "nacka-komvux@1.0", "Nacka")


def test_the_installed_package() -> None:
    package = discovery.package("komvux")
    assert package.rules is get_case_type("komvux")
    # The robot's parts resolve (the discovery tests import each of them).
    assert package.handler == "caserobot_komvux.handler:KomvuxProcess"
    assert package.robot is not None and (package.robot / "tasks.robot").is_file()
    assert package.demo is not None and package.caseworker and package.screens
    assert set(package.web_systems) == {"elevregister"}
    assert package.work_items == "caserobot_komvux.application:course_choices"
    assert not package.decides_amount
    assert package.reasons is KomvuxReason
    assert {"applicant", "course_choices", "foreign_grades_attached", "free_text"} <= set(
        package.application_labels
    )
    profile = case_types.case_type("komvux")
    assert (profile.label, profile.unit) == ("Komvux", "Vuxenutbildning")
    assert profile.sla_days > 0 and profile.manual_minutes > 0


def test_komvuxs_reason_codes_are_known_with_their_labels() -> None:
    known = reason_codes()
    for reason in KomvuxReason:
        assert known[reason.value] is reason
        assert reason_label(reason.value) == reason.label
    assert reason_label("under_20_special_reasons") == "Under 20 år – särskilda skäl"
