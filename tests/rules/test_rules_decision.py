"""The decision record: reasons (FL 32 §), trace, motivering, JSON shape, public surface."""

from __future__ import annotations

import json
from datetime import date

import caserobot.rules
from caserobot.exceptions import ReasonCode
from caserobot.rules import Decision, decide
from caserobot_skolskjuts.reasons import SkolskjutsReason

AS_OF = date(2026, 8, 1)
APPEAL = (
    "Beslutet kan överklagas till förvaltningsrätten. Överklagandet ska ha kommit in till "
    "kommunen inom tre veckor från den dag du fick del av beslutet."
)


def test_granted_motivering(valid_input: dict) -> None:
    d = decide("skolskjuts", valid_input, AS_OF)
    m = d.motivering
    assert m.startswith("Beslut\nAnsökan om skolskjuts i form av SL-terminsbiljett beviljas.")
    assert "3 500 meter, vilket är längre än 3 000 meter som gäller för årskurs 5" in m
    assert "Avstånd (Skollagen (2010:800) 10 kap. 32 §" in m
    assert "Beslutet har fattats automatiskt (förvaltningslagen 28 §)" in m
    assert "nacka-skolskjuts@1.0" in m and "2026-08-01" in m
    assert m.endswith(APPEAL)


def test_denied_states_only_the_decisive_circumstances(valid_input: dict) -> None:
    d = decide("skolskjuts", {**valid_input, "walking_distance_m": 2999}, AS_OF)
    assert d.outcome == d.recommended_outcome == "denied"
    assert d.reasons == [
        "Gångavståndet från folkbokföringsadressen till skolan är 2 999 meter. För årskurs 5 "
        "krävs att det är längre än 3 000 meter."
    ]
    assert "avslås" in d.motivering
    # Only the failed rule is cited; the conditions that were met are not decisive.
    cited = d.motivering.split("Tillämpade regler:")[1].split("\n\n")[0]
    assert "Avstånd" in cited and "Placering" not in cited
    assert [s.rule_id for s in d.trace if s.decisive] == ["distance"]


def test_granted_states_every_condition_met(valid_input: dict) -> None:
    d = decide("skolskjuts", valid_input, AS_OF)
    assert d.outcome == d.recommended_outcome == "granted"
    assert len(d.reasons) == 4
    assert d.reason_codes == []
    assert [s.rule_id for s in d.trace if s.decisive] == [
        "home_municipality",
        "school_municipality",
        "placement",
        "distance",
    ]


def test_refer_motivering_is_a_draft(valid_input: dict) -> None:
    data = {**valid_input, "traffic_danger_claimed": True, "protected_identity": True}
    d = decide("skolskjuts", data, AS_OF)
    assert (d.outcome, d.recommended_outcome) == ("refer", "granted")
    assert d.reason_codes == [SkolskjutsReason.TRAFFIC_DANGER, ReasonCode.PROTECTED_IDENTITY]
    assert d.reasons[0].startswith("Vårdnadshavarna anger att skolvägen är trafikfarlig")
    assert d.reasons[1].startswith("Eleven har skyddade personuppgifter")
    assert len(d.reasons) == 2 + 4  # referrals, then the basis of the recommendation
    m = d.motivering
    assert m.startswith(
        "Förslag till beslut\nAnsökan om skolskjuts i form av SL-terminsbiljett bör beviljas."
    )
    assert "Ärendet ska prövas av en handläggare eftersom:" in m
    assert "fattats automatiskt" not in m
    assert "Beslutet fattas av en handläggare." in m
    assert m.endswith(APPEAL)


def test_trace_records_inputs_parameters_and_references(valid_input: dict) -> None:
    d = decide("skolskjuts", {**valid_input, "grade": "7", "walking_distance_m": 4001}, AS_OF)
    step = d.trace.step("distance")
    assert step.kind == "condition" and step.result is True
    assert step.inputs == {
        "grade": "7",
        "distances": {"folkbokföringsadressen": 4001},
        "excluded_address": None,
    }
    (use,) = step.parameters
    assert (use.name, use.key, use.value, use.unit) == ("distance_threshold_m", "7", 4000, "m")
    assert use.valid_from == date(2021, 12, 2)
    assert "10 kap. 32 §" in use.legal_reference
    assert "10 kap. 32 §" in step.legal_reference
    refer = d.trace.step("taxi")
    assert (refer.kind, refer.result, refer.decisive) == ("referral", None, False)


def test_alternating_trace_cites_hfd(valid_input: dict) -> None:
    data = {
        **valid_input,
        "alternating_residence": True,
        "second_address_walking_distance_m": 100,
        "second_address_municipality": "Värmdö",
    }
    d = decide("skolskjuts", data, AS_OF)
    step = d.trace.step("alternating_residence")
    assert step.kind == "value"
    assert step.result == {"folkbokföringsadressen": 3500}
    assert "HFD 2014:34" in step.legal_reference
    assert "HFD 2014:34" in d.motivering


def test_json_shape(valid_input: dict) -> None:
    d = decide("skolskjuts", valid_input, AS_OF)
    data = json.loads(json.dumps(d.model_dump(mode="json")))
    for key in (
        "outcome",
        "recommended_outcome",
        "reasons",
        "reason_codes",
        "trace",
        "rule_set",
        "as_of",
        "inputs",
        "motivering",
    ):
        assert key in data
    assert data["rule_set"] == "nacka-skolskjuts@1.0"
    assert data["as_of"] == "2026-08-01"
    assert isinstance(data["trace"], list) and data["trace"][0]["rule_id"]
    assert Decision.model_validate(data) == d  # round-trips


def test_public_surface() -> None:
    assert sorted(caserobot.rules.__all__) == [
        "Calculation",
        "CalculationLine",
        "CaseType",
        "Check",
        "Conclusion",
        "Decision",
        "Evaluation",
        "LoadedRules",
        "Outcome",
        "Parameter",
        "ParameterSet",
        "ParameterUse",
        "RecommendedOutcome",
        "Referral",
        "RuleSet",
        "RuleSpec",
        "Trace",
        "TraceStep",
        "case_types",
        "decide",
        "get_case_type",
        "kronor",
        "load_parameters",
        "load_rule_set",
        "register",
        "registered_or_installed",
    ]
    assert caserobot.rules.case_types() == ["ekonomiskt_bistand", "komvux", "skolskjuts"]
