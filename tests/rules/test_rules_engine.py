"""The generic engine: dated parameter values, dated rule variants, rule-set validity."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from textwrap import dedent

import pytest
from pydantic import BaseModel, ConfigDict, StrictInt

from caserobot.exceptions import ConfigurationError, InputError, ReasonCode
from caserobot.outcomes import OutcomeSpec
from caserobot.rules import (
    CaseType,
    Check,
    Conclusion,
    Evaluation,
    Referral,
    decide,
    load_parameters,
)

PARAMETERS = """\
    limit:
      description: Övre gräns.
      legal_reference: Lag (2000:1) 1 §
      unit: kr
      values:
        2021-12-02:
          value: 2000
        2024-01-01:
          value: 2500
          legal_reference: Lag (2023:9) 1 §
        2026-01-01:
          value: null
    norm:
      description: Norm per åldersgrupp.
      legal_reference: Förordning (2001:1) 2 §
      unit: kr/månad
      values:
        2021-01-01:
          value: {0: 2180, 1-2: 2440, 19-20: 4000}
"""


@pytest.fixture
def params(tmp_path: Path):
    path = tmp_path / "parameters.yaml"
    path.write_text(dedent(PARAMETERS), encoding="utf-8")
    return load_parameters(path)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2021, 12, 2), 2000),  # first day in force
        (date(2023, 12, 31), 2000),  # last day of the first value
        (date(2024, 1, 1), 2500),  # first day of the second
        (date(2025, 12, 31), 2500),
    ],
)
def test_value_in_force_on_a_date(params, as_of: date, expected: int) -> None:
    assert params.value("limit", as_of) == expected


@pytest.mark.parametrize("as_of", [date(2021, 12, 1), date(2026, 1, 1), date(2030, 1, 1)])
def test_no_value_in_force_is_a_clear_error(params, as_of: date) -> None:
    with pytest.raises(ConfigurationError) as info:
        params.value("limit", as_of)
    assert f"'limit' has no value in force on {as_of.isoformat()}" in info.value.detail
    assert "2021-12-02, 2024-01-01, 2026-01-01" in info.value.detail
    assert info.value.path.endswith("parameters.yaml")


def test_use_records_start_date_unit_and_reference(params) -> None:
    old = params.use("limit", date(2022, 6, 1))
    new = params.use("limit", date(2024, 6, 1))
    assert (old.valid_from, old.legal_reference, old.unit) == (
        date(2021, 12, 2),
        "Lag (2000:1) 1 §",
        "kr",
    )
    assert (new.valid_from, new.legal_reference) == (date(2024, 1, 1), "Lag (2023:9) 1 §")


def test_table_lookup_by_string_key(params) -> None:
    assert params.value("norm", date(2022, 1, 1), key="0") == 2180  # YAML int key
    assert params.value("norm", date(2022, 1, 1), key="19-20") == 4000
    with pytest.raises(ConfigurationError, match="has no entry '21-22'"):
        params.value("norm", date(2022, 1, 1), key="21-22")
    with pytest.raises(ConfigurationError, match="'limit' is not a table"):
        params.value("limit", date(2022, 1, 1), key="0")


def test_unknown_parameter(params) -> None:
    with pytest.raises(ConfigurationError, match="no parameter named 'nope'.*limit, norm"):
        params.value("nope", date(2022, 1, 1))


# ---- a toy case type: dated rule variants and rule-set validity ---------------------


class ToyInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    amount: StrictInt
    urgent: bool = False


def _toy() -> CaseType:
    toy = CaseType("toy", ToyInput)

    @toy.rule("under_limit")
    def _under(ev: Evaluation, amount: int) -> Check:
        limit = ev.param("limit")
        return Check(amount <= limit, f"Beloppet {amount} kr, gränsen {limit} kr.")

    # From 2025 the limit is inclusive no more: a dated variant, not an `if` on the date.
    @toy.rule("under_limit", since=date(2025, 1, 1))
    def _under_2025(ev: Evaluation, amount: int) -> Check:
        limit = ev.param("limit")
        return Check(amount < limit, f"Beloppet {amount} kr, gränsen {limit} kr (strikt).")

    @toy.rule("urgent", kind="referral")
    def _urgent(ev: Evaluation, urgent: bool) -> Referral | None:
        return Referral(ReasonCode.MISSING_FIELD, "Brådskande.") if urgent else None

    @toy.evaluator
    def _evaluate(ev: Evaluation, data: ToyInput) -> None:
        ev.apply("urgent", urgent=data.urgent)
        ev.apply("under_limit", amount=data.amount)

    return toy


RULE_SET = """\
    id: toy
    version: "2"
    case_type: toy
    municipality: Nacka
    title: Leksak
    decision_subject: leksak
    effective_from: 2021-12-02
    effective_to: 2025-12-31
    appeal_information: Överklaga inom tre veckor.
    rules:
      - {id: under_limit, title: Gräns, description: Under gränsen., legal_reference: Lag 1 §}
      - {id: urgent, title: Brådskande, description: Brådskande ärenden., legal_reference: Lag 2 §}
"""


@pytest.fixture
def toy(tmp_path: Path):
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "parameters.yaml").write_text(dedent(PARAMETERS), encoding="utf-8")
    (tmp_path / "toy" / "rule_set.yaml").write_text(dedent(RULE_SET), encoding="utf-8")
    case = _toy()
    return lambda data, as_of: case.decide(data, as_of, rules_dir=tmp_path)


def test_original_variant_before_its_successor(toy) -> None:
    d = toy({"amount": 2500}, date(2024, 12, 31))
    assert d.outcome == "granted"
    step = d.trace.step("under_limit")
    assert step.variant_since is None
    assert step.parameters[0].name == "limit" and step.parameters[0].value == 2500


def test_dated_variant_from_its_start_date(toy) -> None:
    d = toy({"amount": 2500}, date(2025, 1, 1))
    assert d.outcome == "denied"
    assert d.trace.step("under_limit").variant_since == date(2025, 1, 1)
    assert d.reasons == ["Beloppet 2500 kr, gränsen 2500 kr (strikt)."]


def test_rule_set_validity_is_checked_on_both_ends(toy) -> None:
    assert toy({"amount": 1}, date(2021, 12, 2)).rule_set == "toy@2"
    assert toy({"amount": 1}, date(2025, 12, 31)).outcome == "granted"
    for as_of in (date(2021, 12, 1), date(2026, 1, 1)):
        with pytest.raises(InputError) as info:
            toy({"amount": 1}, as_of)
        assert info.value.field == "as_of"
        assert "in force from 2021-12-02 to 2025-12-31" in info.value.detail


def test_as_of_must_be_a_date(toy) -> None:
    for bad in ("2024-01-01", datetime(2024, 1, 1, 12, 0)):
        with pytest.raises(InputError, match="as_of: must be a date"):
            toy({"amount": 1}, bad)


def test_referral_keeps_the_recommendation(toy) -> None:
    d = toy({"amount": 9999, "urgent": True}, date(2024, 6, 1))
    assert (d.outcome, d.recommended_outcome) == ("refer", "denied")
    assert d.reason_codes == [ReasonCode.MISSING_FIELD]
    assert d.reasons[0] == "Brådskande."


def test_kinds_and_variants_are_checked_on_registration() -> None:
    toy = _toy()
    with pytest.raises(ValueError, match="already has a variant"):
        toy.rule("under_limit", since=date(2025, 1, 1))(lambda ev, amount: None)
    with pytest.raises(ValueError, match="differ in kind"):
        toy.rule("under_limit", kind="value", since=date(2030, 1, 1))(lambda ev, amount: None)


def test_unknown_case_type() -> None:
    with pytest.raises(InputError) as info:
        decide("bygglov", {}, date(2026, 1, 1))
    assert info.value.field == "case_type"
    assert (
        "unknown case type 'bygglov' (known: ekonomiskt_bistand, komvux, skolskjuts)"
        in info.value.detail
    )


# ---- an outcome the case type declares (Komvux-like: eligible, admitted by selection) ----

QUEUE = OutcomeSpec(
    code="queued",
    label="Behörig – kö",
    verb="ställs i kö",
    infinitive="ställas i kö",
    written_as="ko",
)


def _queueing(conclude: str = "queued") -> CaseType:
    case = CaseType("queueing", ToyInput, extra_outcomes=(QUEUE,))

    @case.rule("under_limit")
    def _under(ev: Evaluation, amount: int) -> Check:
        return Check(amount <= ev.param("limit"), f"Beloppet {amount} kr.")

    @case.rule("urgent", kind="outcome")
    def _place(ev: Evaluation, urgent: bool) -> Conclusion | None:
        return None if urgent else Conclusion(conclude, "Inte brådskande: kö.")

    @case.evaluator
    def _evaluate(ev: Evaluation, data: ToyInput) -> None:
        ev.apply("under_limit", amount=data.amount)
        ev.apply("urgent", urgent=data.urgent)

    return case


@pytest.fixture
def queueing(tmp_path: Path):
    (tmp_path / "queueing").mkdir()
    (tmp_path / "queueing" / "parameters.yaml").write_text(dedent(PARAMETERS), encoding="utf-8")
    rule_set = dedent(RULE_SET).replace("case_type: toy", "case_type: queueing")
    (tmp_path / "queueing" / "rule_set.yaml").write_text(rule_set, encoding="utf-8")
    return lambda case, data: case.decide(data, date(2024, 6, 1), rules_dir=tmp_path)


def test_a_conclusion_chooses_the_outcome_when_every_condition_holds(queueing) -> None:
    d = queueing(_queueing(), {"amount": 100})
    assert (d.outcome, d.recommended_outcome) == ("queued", "queued")
    assert d.reasons == ["Beloppet 100 kr.", "Inte brådskande: kö."]
    step = d.trace.step("urgent")
    assert (step.kind, step.result, step.decisive) == ("outcome", "queued", True)
    assert "Ansökan om leksak ställs i kö." in d.motivering


def test_a_failed_condition_denies_whatever_the_conclusion(queueing) -> None:
    d = queueing(_queueing(), {"amount": 9999})
    assert d.outcome == "denied"
    assert d.trace.step("urgent").decisive is False
    assert "Inte brådskande: kö." not in d.reasons


def test_no_conclusion_grants(queueing) -> None:
    assert queueing(_queueing(), {"amount": 100, "urgent": True}).outcome == "granted"


def test_a_conclusion_outside_the_case_types_outcomes_is_a_configuration_error(
    queueing,
) -> None:
    with pytest.raises(ConfigurationError, match="concluded 'admitted'"):
        queueing(_queueing("admitted"), {"amount": 100})


def test_outcomes_are_declared_once() -> None:
    with pytest.raises(ValueError, match="'granted' is already declared"):
        CaseType("twice", ToyInput, extra_outcomes=(replace(QUEUE, code="granted"),))
    with pytest.raises(ValueError, match="not an outcome"):
        replace(QUEUE, code="refer")
