"""Ekonomiskt bistånd beyond the YAML cases: the decide contract, the decision record,
the municipality's outcome policies, and the amount's arithmetic over many households."""

from __future__ import annotations

import json
import random
import re
import shutil
from datetime import date
from pathlib import Path
from textwrap import dedent, indent
from typing import Any

import pytest
from typer.testing import CliRunner

import caserobot.cli.decide  # noqa: F401  registers the commands
from caserobot.cli import app
from caserobot.exceptions import ConfigurationError, ReasonCode
from caserobot.rules import Decision, decide, get_case_type

EXAMPLE = get_case_type("ekonomiskt_bistand").config_dir / "examples" / "decide-input.json"
runner = CliRunner()


@pytest.fixture
def eb_input() -> dict[str, Any]:
    """A single adult with rent and a salary: granted on 2023-06-01 with 7 620 kr."""
    return {
        "household": [{"role": "applicant", "birth_date": "1990-01-01", "in_school": False}],
        "costs": {"rent": 6000},
        "incomes": [{"person": 0, "type": "salary_net", "amount": 4000}],
        "consecutive_months_on_support": 12,
        "child_work_income_this_year": 0,
        "rent_cap": 7000,
        "first_application": False,
        "active_labour_market_plan": True,
        "register_matches_declared": True,
        "changed_since_previous": False,
        "special_expenses": False,
        "assets_declared": False,
        "protected_identity": False,
        "health_data_decisive": False,
    }


def _config_copy(tmp_path: Path, **values: str) -> Path:
    """A copy of the rules config where each named parameter gets new ``values``.

    Each keyword is a parameter name; its value is the YAML of the entries under
    ``values:`` (indented by four spaces), e.g. ``"2021-01-01: {value: true}"``.
    """
    target = tmp_path / "rules" / "ekonomiskt_bistand"
    shutil.copytree(get_case_type("ekonomiskt_bistand").config_dir, target)
    params = target / "parameters.yaml"
    text = params.read_text(encoding="utf-8")
    for name, entries in values.items():
        start = text.index(f"\n{name}:\n")
        block_start = text.index("  values:\n", start) + len("  values:\n")
        nxt = re.search(r"\n(?=[a-z])", text[block_start:])
        block_end = block_start + nxt.start() + 1 if nxt else len(text)
        text = (
            text[:block_start]
            + indent(dedent(entries).strip() + "\n", "    ")
            + "\n"
            + (text[block_end:])
        )
    params.write_text(text, encoding="utf-8")
    return tmp_path / "rules"


# ---- the decide contract ---------------------------------------------------------


def test_cli_prints_the_contract_fields_for_the_example() -> None:
    result = runner.invoke(
        app, ["decide", "ekonomiskt_bistand", "--input", str(EXAMPLE), "--as-of", "2026-03-02"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for key in ("outcome", "recommended_outcome", "reasons", "trace", "rule_set", "motivering"):
        assert out[key]
    for key in ("amount", "norm", "reasonable_costs", "counted_income"):
        assert isinstance(out[key], int), key
    assert out["amount"] == max(0, out["norm"] + out["reasonable_costs"] - out["counted_income"])
    assert out["rule_set"] == "nacka-ekonomiskt-bistand@1.0"
    # A family in 2026: the per-band table is an estimate, so a caseworker confirms it.
    assert (out["outcome"], out["recommended_outcome"]) == ("refer", "granted")
    assert out["reason_codes"] == ["norm_estimated"]


def test_cli_malformed_input_names_the_field(eb_input: dict) -> None:
    bad = {**eb_input, "incomes": [{"person": 0, "type": "salary", "amount": 1}]}
    result = runner.invoke(app, ["decide", "ekonomiskt_bistand", "-i", "-"], input=json.dumps(bad))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: incomes.0.type: Input should be 'salary_net'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_birth_date_after_as_of_is_an_input_error(eb_input: dict) -> None:
    data = {**eb_input, "household": [{"role": "applicant", "birth_date": "2030-01-01"}]}
    result = runner.invoke(
        app,
        ["decide", "ekonomiskt_bistand", "-i", "-", "--as-of", "2026-01-01"],
        input=json.dumps(data),
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "error: household.0.birth_date: 2030-01-01 is after the decision date 2026-01-01\n"
    )


def test_cli_2025_has_no_norm_table_and_says_why(eb_input: dict) -> None:
    result = runner.invoke(
        app,
        ["decide", "ekonomiskt_bistand", "-i", "-", "--as-of", "2025-06-01"],
        input=json.dumps(eb_input),
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: rules configuration: ")
    assert "has no value in force on 2025-06-01" in result.stderr
    assert "no verified riksnorm table for 2025" in result.stderr


# ---- the decision record ---------------------------------------------------------


def test_record_shows_norm_per_person_costs_incomes_and_parameters() -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    d = decide("ekonomiskt_bistand", data, date(2026, 3, 2))
    norm = [line for line in d.calculation if line.part == "norm"]
    assert [(line.item, line.persons) for line in norm] == [
        ("adult_single", [0]),
        ("child_7-10", [1]),
        ("child_15-18", [2]),
        ("shared", []),
    ]
    assert {line.item for line in d.calculation if line.part == "cost"} == set(data["costs"])
    incomes = [line for line in d.calculation if line.part == "income"]
    assert len(incomes) == len(data["incomes"])
    salary = incomes[0]
    assert (salary.amount, salary.counted, salary.source) == (9200, 6900, "register")
    assert salary.fetched_at is not None and salary.fetched_at.isoformat() == "2026-03-02T07:15:00"
    # Parameters in force, with their dates, references and estimate notes.
    uses = {(u.name, u.key): u for s in d.trace for u in s.parameters}
    child = uses[("riksnorm_child", "7-10")]
    assert (child.value, child.valid_from) == (3810, date(2026, 1, 1))
    assert child.note and child.note.startswith("ESTIMATE")
    assert "12 kap. 7 §" in child.legal_reference
    assert uses[("prisbasbelopp", None)].value == 59200
    assert uses[("jobbstimulans_percent", None)].value == 25


def test_motivering_has_the_calculation_rules_and_appeal() -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    m = decide("ekonomiskt_bistand", data, date(2026, 3, 2)).motivering
    assert m.startswith("Förslag till beslut\nAnsökan om försörjningsstöd (ekonomiskt bistånd)")
    assert "bör beviljas med 9 064 kr." in m
    assert "Beräkning (kronor per månad):" in m
    assert "- Personliga kostnader, barn född 2016-09-30 (9 år), åldersgrupp 7–10 år: 3 810 kr" in m
    assert "Summa norm: 14 480 kr" in m
    assert "Jobbstimulans (Socialtjänstlagen (2001:453) 4 kap. 1 b §" in m
    assert m.endswith(
        "Beslutet kan överklagas till förvaltningsrätten. Skicka överklagandet till "
        "socialnämnden i Nacka kommun. Det ska ha kommit in inom tre veckor från den dag du "
        "fick del av beslutet. Skriv vilket beslut du överklagar och hur du vill att det ska "
        "ändras."
    )


def test_granted_decision_is_automatic_with_amount(eb_input: dict) -> None:
    d = decide("ekonomiskt_bistand", eb_input, date(2023, 6, 1))
    assert (d.outcome, d.amount, d.norm, d.reasonable_costs, d.counted_income) == (
        "granted",
        7620,
        4620,
        6000,
        3000,
    )
    assert d.motivering.startswith(
        "Beslut\nAnsökan om försörjningsstöd (ekonomiskt bistånd) för en månad beviljas med "
        "7 620 kr.\n"
    )
    assert "Beslutet har fattats automatiskt (förvaltningslagen 28 §)" in d.motivering


def test_decision_round_trips_through_json(eb_input: dict) -> None:
    d = decide("ekonomiskt_bistand", eb_input, date(2023, 6, 1))
    data = json.loads(json.dumps(d.model_dump(mode="json")))
    assert data["calculation"][0]["item"] == "adult_single"
    assert Decision.model_validate(data).calculation == d.calculation


def test_trace_results_are_not_changed_by_later_rules(eb_input: dict) -> None:
    d = decide("ekonomiskt_bistand", eb_input, date(2023, 6, 1))
    assert [line["item"] for line in d.trace.step("norm_personal").result] == ["adult_single"]


def test_skolskjuts_decisions_carry_no_amount(valid_input: dict) -> None:
    d = decide("skolskjuts", valid_input, date(2026, 8, 1))
    assert (d.amount, d.norm, d.reasonable_costs, d.counted_income, d.calculation) == (
        None,
        None,
        None,
        None,
        [],
    )
    assert "Beräkning" not in d.motivering


# ---- the municipality's policies, in config ----------------------------------------


REFUSAL = {"incomes": [{"person": 0, "type": "pension", "amount": 20000}]}


def test_refusals_go_to_a_caseworker_by_default(eb_input: dict) -> None:
    d = decide("ekonomiskt_bistand", {**eb_input, **REFUSAL}, date(2023, 6, 1))
    assert (d.outcome, d.recommended_outcome, d.amount) == ("refer", "denied", 0)
    assert d.reason_codes == [ReasonCode.PROPOSED_REFUSAL]


def test_refusals_can_be_automated_from_a_date(tmp_path: Path, eb_input: dict) -> None:
    rules_dir = _config_copy(
        tmp_path,
        policy_automate_refusals="""
            2021-01-01: {value: false}
            2023-03-01: {value: true, note: nämndens beslut om delegation}
        """,
    )
    data = {**eb_input, **REFUSAL}
    before = decide("ekonomiskt_bistand", data, date(2023, 2, 28), rules_dir=rules_dir)
    assert (before.outcome, before.reason_codes) == ("refer", [ReasonCode.PROPOSED_REFUSAL])
    d = decide("ekonomiskt_bistand", data, date(2023, 3, 1), rules_dir=rules_dir)
    assert (d.outcome, d.recommended_outcome, d.reason_codes, d.amount) == (
        "denied",
        "denied",
        [],
        0,
    )
    assert d.motivering.startswith(
        "Beslut\nAnsökan om försörjningsstöd (ekonomiskt bistånd) för en månad avslås.\n"
    )
    assert "normöverskott 9 380 kr" in d.motivering
    assert "Beslutet har fattats automatiskt" in d.motivering
    use = d.trace.step("outcome_policy").parameters[0]
    assert (use.value, use.valid_from, use.note) == (
        True,
        date(2023, 3, 1),
        "nämndens beslut om delegation",
    )


def test_estimated_norm_policy_can_be_switched_off(tmp_path: Path, eb_input: dict) -> None:
    family = {
        **eb_input,
        "household": [
            {"role": "applicant", "birth_date": "1990-01-01"},
            {"role": "child", "birth_date": "2015-01-01"},
        ],
    }
    assert decide("ekonomiskt_bistand", family, date(2026, 6, 1)).outcome == "refer"
    rules_dir = _config_copy(tmp_path, policy_refer_estimated_norm="2021-01-01: {value: false}")
    d = decide("ekonomiskt_bistand", family, date(2026, 6, 1), rules_dir=rules_dir)
    assert (d.outcome, d.reason_codes) == ("granted", [])


OLD_2023 = '"0": 2420, "1-2": 2700, "3": 2410, "4-6": 2700, "7-10": 3380, "11-14": 3890, ' + (
    '"15-18": 4390, "19-20": 4430'
)
NEW_2026 = '"0": 2700, "1-2": 3000, "3": 2700, "4-6": 3000, "7-10": 3800, "11-14": 4400, ' + (
    '"15-18": 4900, "19-20": 5000'
)


def test_official_table_replaces_the_estimate_in_one_file(tmp_path: Path, eb_input: dict) -> None:
    # What replacing the 2026 estimate looks like: new values, riksnorm_estimated false.
    rules_dir = _config_copy(
        tmp_path,
        riksnorm_child=f"""
            2023-01-01:
              value: {{{OLD_2023}}}
            2026-01-01:
              value: {{{NEW_2026}}}
        """,
        riksnorm_estimated="2021-01-01: {value: false}",
    )
    family = {
        **eb_input,
        "household": [
            {"role": "applicant", "birth_date": "1990-01-01"},
            {"role": "child", "birth_date": "2015-01-01"},
        ],
    }
    d = decide("ekonomiskt_bistand", family, date(2026, 6, 1), rules_dir=rules_dir)
    assert (d.outcome, d.reason_codes) == ("granted", [])
    assert d.norm == 3940 + 4400 + 1410  # single, child 11 år, shared 2


def test_an_income_type_without_treatment_is_a_configuration_error(
    tmp_path: Path, eb_input: dict
) -> None:
    rules_dir = _config_copy(
        tmp_path, income_treatment="2021-01-01: {value: {salary_net: employment, a_kassa: 7}}"
    )
    data = {**eb_input, "incomes": [{"person": 0, "type": "pension", "amount": 100}]}
    with pytest.raises(ConfigurationError) as info:
        decide("ekonomiskt_bistand", data, date(2023, 6, 1), rules_dir=rules_dir)
    assert info.value.path.endswith("parameters.yaml")
    assert "must map 'pension' to one of counted, employment, child_work" in info.value.detail
    data["incomes"][0]["type"] = "a_kassa"
    with pytest.raises(ConfigurationError, match="it has 7"):
        decide("ekonomiskt_bistand", data, date(2023, 6, 1), rules_dir=rules_dir)


# ---- the arithmetic over many households -------------------------------------------


def _random_application(rng: random.Random, as_of: date) -> dict[str, Any]:
    household = [{"role": "applicant", "birth_date": "1985-05-05"}]
    if rng.random() < 0.5:
        household.append({"role": "partner", "birth_date": "1987-07-07"})
    for _ in range(rng.randint(0, 7)):
        years = rng.randint(0, 20)
        born = date(as_of.year - years, rng.randint(1, 12), rng.randint(1, 28))
        if born > as_of:
            born = as_of
        household.append({"role": "child", "birth_date": born.isoformat(), "in_school": True})
    if rng.random() < 0.2:
        household.append({"role": "other_adult", "birth_date": "1960-01-01"})
    incomes = [
        {"person": rng.randrange(len(household)), "type": kind, "amount": rng.randint(0, 9000)}
        for kind in rng.sample(["a_kassa", "barnbidrag", "pension", "csn", "other"], k=2)
    ]
    adults = [i for i, m in enumerate(household) if m["role"] != "child"]
    incomes.append(
        {"person": rng.choice(adults), "type": "salary_net", "amount": rng.randint(0, 20001)}
    )
    return {
        "household": household,
        "costs": {"rent": rng.randint(3000, 12000), "household_electricity": rng.randint(0, 800)},
        "incomes": incomes,
        "consecutive_months_on_support": rng.randint(0, 70),
        "rent_cap": rng.choice([None, 6000, 9000]),
        "first_application": False,
        "active_labour_market_plan": True,
        "register_matches_declared": True,
        "changed_since_previous": False,
        "special_expenses": False,
        "assets_declared": False,
        "protected_identity": False,
        "health_data_decisive": False,
    }


@pytest.mark.parametrize("as_of", [date(2021, 3, 1), date(2023, 9, 1), date(2026, 2, 1)])
def test_amount_is_norm_plus_costs_minus_income(as_of: date) -> None:
    rng = random.Random(as_of.toordinal())
    for _ in range(150):
        d = decide("ekonomiskt_bistand", _random_application(rng, as_of), as_of)
        assert d.norm == sum(x.counted for x in d.calculation if x.part == "norm")
        assert d.reasonable_costs == sum(x.counted for x in d.calculation if x.part == "cost")
        assert d.counted_income == sum(x.counted for x in d.calculation if x.part == "income")
        assert d.norm is not None and d.reasonable_costs is not None
        assert d.counted_income is not None and d.amount is not None
        expected = max(0, d.norm + d.reasonable_costs - d.counted_income)
        assert d.amount == (expected if d.recommended_outcome == "granted" else 0)
        assert (expected > 0) == (d.recommended_outcome == "granted")
        assert all(0 <= x.counted <= x.amount for x in d.calculation if x.part != "norm")
