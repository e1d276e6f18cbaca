"""Input validation of skolskjuts: strict, and the error names the first bad field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from caserobot.exceptions import InputError
from caserobot.rules import decide

AS_OF = date(2026, 8, 1)


def _error(data: Any) -> InputError:
    with pytest.raises(InputError) as info:
        decide("skolskjuts", data, AS_OF)
    return info.value


@pytest.mark.parametrize("grade", ["F", 1, 9, "1", "9"])
def test_grade_accepts_f_int_and_digit_string(valid_input: dict, grade: Any) -> None:
    d = decide("skolskjuts", {**valid_input, "grade": grade}, AS_OF)
    assert d.inputs["grade"] == str(grade)


@pytest.mark.parametrize("grade", [0, 10, "0", "10", "G", "f", "03", " 3", 3.0, True, None, [3]])
def test_grade_rejects_anything_else(valid_input: dict, grade: Any) -> None:
    err = _error({**valid_input, "grade": grade})
    assert (err.field, err.detail) == ("grade", "must be F or 1–9")
    assert str(err) == "grade: must be F or 1–9"


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("walking_distance_m", -1, "must not be negative"),
        ("walking_distance_m", "2500", "must be a whole number"),
        ("walking_distance_m", 2500.5, "must be a whole number"),
        ("walking_distance_m", True, "must be a whole number"),
        ("walking_distance_m", None, "must be a whole number"),
        ("medical_certificate", "true", "must be true or false"),
        ("medical_certificate", 1, "must be true or false"),
        ("alternating_residence", None, "must be true or false"),
        ("home_municipality", "", "must not be empty"),
        ("home_municipality", "   ", "must not be empty"),
        ("school_municipality", 180, "must be a string"),
        ("second_address_walking_distance_m", -5, "must not be negative"),
    ],
)
def test_bad_field_is_named(valid_input: dict, field: str, value: Any, detail: str) -> None:
    err = _error({**valid_input, field: value})
    assert (err.field, err.detail) == (field, detail)


def test_unknown_field_rejected(valid_input: dict) -> None:
    err = _error({**valid_input, "walking_distance_km": 3})
    assert (err.field, err.detail) == ("walking_distance_km", "unknown field")


@pytest.mark.parametrize(
    "field",
    [
        "grade",
        "walking_distance_m",
        "enrolled_in_nearest_municipal_school",
        "applied_to_nearest_and_refused",
        "school_municipality",
        "home_municipality",
        "alternating_residence",
        "medical_certificate",
        "traffic_danger_claimed",
        "taxi_requested",
        "protected_identity",
    ],
)
def test_required_fields(valid_input: dict, field: str) -> None:
    data = dict(valid_input)
    del data[field]
    err = _error(data)
    assert (err.field, err.detail) == (field, "required field is missing")


def test_second_address_fields_may_be_left_out_when_not_alternating(valid_input: dict) -> None:
    data = dict(valid_input)
    del data["second_address_walking_distance_m"], data["second_address_municipality"]
    assert decide("skolskjuts", data, AS_OF).outcome == "granted"


@pytest.mark.parametrize(
    "missing", ["second_address_walking_distance_m", "second_address_municipality"]
)
def test_alternating_residence_requires_second_address(valid_input: dict, missing: str) -> None:
    data = {
        **valid_input,
        "alternating_residence": True,
        "second_address_walking_distance_m": 1000,
        "second_address_municipality": "Nacka",
        missing: None,
    }
    err = _error(data)
    assert (err.field, err.detail) == (missing, "required when alternating_residence is true")


def test_first_bad_field_in_contract_order(valid_input: dict) -> None:
    err = _error({**valid_input, "grade": "X", "walking_distance_m": -1, "taxi_requested": "no"})
    assert err.field == "grade"


@pytest.mark.parametrize("data", [[], "grade=3", None, 42])
def test_input_must_be_an_object(data: Any) -> None:
    err = _error(data)
    assert err.field == "input"
    assert err.detail.startswith("must be a JSON object")


def test_municipality_names_are_stripped(valid_input: dict) -> None:
    d = decide("skolskjuts", {**valid_input, "home_municipality": "  Nacka "}, AS_OF)
    assert d.inputs["home_municipality"] == "Nacka"
