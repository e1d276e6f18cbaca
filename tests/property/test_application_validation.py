"""Applications from the e-service: absurd values stay inside their item (issue 13).

Each bad value is a business exception naming the field (never an unexpected error that
abandons the item, never an OverflowError that stops the robot), and the due date of an
exception item is computed for any stored payload.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caserobot.case_types import load_case_types
from caserobot.casework import due_at, submitted_at
from caserobot.exceptions import BusinessException
from caserobot.personnummer import luhn_check_digit
from caserobot_ekonomiskt_bistand.handler import EkonomisktBistandProcess, parse_application
from caserobot_ekonomiskt_bistand.pages import Household, HouseholdMember
from caserobot_skolskjuts.application import parse_skolskjuts


def pnr(yyyymmdd: str, birth_no: str = "982") -> str:
    """A test-series personnummer with its check digit, written YYYYMMDD-NNNC."""
    return f"{yyyymmdd}-{birth_no}{luhn_check_digit(yyyymmdd[2:] + birth_no)}"


APPLICANT = pnr("19850312")
NOW = datetime.now(UTC)
EB_APP: dict[str, Any] = {
    "id": "ES-261201070000-00001",
    "type": "ekonomiskt_bistand",
    "submitted_at": (NOW - timedelta(days=2)).isoformat(),
    "month": f"{NOW.year:04d}-{NOW.month:02d}",
    "first_application": False,
    "applicant": {"personnummer": APPLICANT, "name": "Test Testsson"},
    "address": {"street": "Storgatan 1", "postal_code": "131 30", "city": "Nacka"},
    "household": [
        {"role": "applicant", "personnummer": APPLICANT, "birth_date": "1985-03-12"},
    ],
    "incomes": [{"personnummer": APPLICANT, "type": "a_kassa", "amount": 6000}],
    "costs": {
        "rent": 7000,
        "household_electricity": 350,
        "home_insurance": 150,
        "work_travel": 0,
        "union_fee": 0,
        "a_kassa_fee": 120,
    },
}
SK_APP: dict[str, Any] = {
    "id": "ES-261201070000-00002",
    "type": "skolskjuts",
    "submitted_at": (NOW - timedelta(days=2)).isoformat(),
    "applicant": {"personnummer": APPLICANT},
    "child": {"personnummer": pnr("20150601", "985")},
    "school": {"unit_code": "12345678"},
    "grade": "4",
    "addresses": [{"street": "Storgatan 1", "postal_code": "131 30"}],
}


def with_value(app: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(app)
    *parents, last = path.split(".")
    node: Any = out
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def test_the_valid_applications_parse() -> None:
    assert parse_application(copy.deepcopy(EB_APP)).costs.rent == 7000
    assert parse_skolskjuts(copy.deepcopy(SK_APP)).grade == "4"


# (path, value, reason code, field named)
EB_BAD = [
    ("month", "0000-12", "invalid_field", "month"),
    ("month", "9999-12", "invalid_field", "month"),
    ("month", "1999-12", "invalid_field", "month"),
    ("month", "2026-13", "invalid_field", "month"),
    ("submitted_at", "9999-12-31T23:59:59+01:00", "implausible_value", "submitted_at"),
    ("submitted_at", "0001-01-01T00:00:00+01:00", "implausible_value", "submitted_at"),
    ("submitted_at", "1999-12-31T22:00:00+00:00", "implausible_value", "submitted_at"),
    ("submitted_at", "2026-11-16T07:00:00", "implausible_value", "submitted_at"),
    ("submitted_at", "igår", "implausible_value", "submitted_at"),
    ("costs.household_electricity", 10**30, "implausible_value", "costs.household_electricity"),
    ("costs.rent", 10_000_001, "implausible_value", "costs.rent"),
    ("costs.rent", -1, "invalid_field", "costs.rent"),
    ("incomes.0.amount", 2**63, "implausible_value", "incomes.0.amount"),
    ("household.0.birth_date", "1889-12-31", "invalid_field", "household.0.birth_date"),
    ("free_text", "x" * 10_001, "implausible_value", "free_text"),
]


@pytest.mark.parametrize(("path", "value", "reason", "field"), EB_BAD)
def test_eb_absurd_value_is_a_business_exception_naming_the_field(
    path: str, value: Any, reason: str, field: str
) -> None:
    with pytest.raises(BusinessException) as err:
        parse_application(with_value(EB_APP, path, value))
    assert (err.value.reason.value, err.value.field) == (reason, field)


SK_BAD = [
    ("submitted_at", "9999-12-31T23:59:59+01:00", "implausible_value", "submitted_at"),
    ("submitted_at", "0001-01-01T00:00:00+01:00", "implausible_value", "submitted_at"),
    ("declared_distance_m", 10**30, "absurd_distance", "declared_distance_m"),
    ("school.unit_code", "1" * 41, "implausible_value", "school.unit_code"),
    ("grade", "11", "invalid_field", "grade"),
]


@pytest.mark.parametrize(("path", "value", "reason", "field"), SK_BAD)
def test_skolskjuts_absurd_value_is_a_business_exception_naming_the_field(
    path: str, value: Any, reason: str, field: str
) -> None:
    with pytest.raises(BusinessException) as err:
        parse_skolskjuts(with_value(SK_APP, path, value))
    assert (err.value.reason.value, err.value.field) == (reason, field)


def test_a_submission_a_few_minutes_ahead_is_clock_skew() -> None:
    ahead = (NOW + timedelta(minutes=3)).isoformat()
    assert parse_application(with_value(EB_APP, "submitted_at", ahead))


# ---- the change check compares every cost item ---------------------------------------


def _household(costs: dict[str, int]) -> Household:
    member = HouseholdMember(APPLICANT.replace("-", ""), "", "applicant", "1985-03-12", False)
    return Household(
        number="H1",
        applicant_pnr=APPLICANT.replace("-", ""),
        address="Storgatan 1, 13130 Nacka",
        municipality="Nacka",
        latest_month="2026-11",
        costs=costs,
        account="8327-1234567",
        members=(member,),
        incomes=((APPLICANT.replace("-", ""), "a_kassa", 6000),),
        cases=(),
        protected=False,
    )


@pytest.mark.parametrize("item", sorted(EB_APP["costs"]))
def test_a_change_in_any_cost_item_is_a_change(item: str) -> None:
    app = parse_application(copy.deepcopy(EB_APP))
    same = dict(EB_APP["costs"])
    assert not EkonomisktBistandProcess._changed(app, _household(same))
    assert EkonomisktBistandProcess._changed(app, _household({**same, item: same[item] + 1}))


def test_an_item_missing_on_record_counts_as_zero() -> None:
    app = parse_application(copy.deepcopy(EB_APP))
    on_record = {k: v for k, v in EB_APP["costs"].items() if v}
    assert not EkonomisktBistandProcess._changed(app, _household(on_record))


# ---- due dates: total over anything a payload may hold ---------------------------------

CREATED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "9999-12-31T23:59:59+01:00",
        "9999-12-31T23:59:59",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00-14:00",
        "1999-01-01T00:00:00+00:00",
        "not a time",
        "2" * 100,
        12345,
        None,
        ["2026-11-01"],
    ],
)
def test_due_date_of_an_absurd_submission_falls_back_to_the_queue_time(raw: Any) -> None:
    payload = {"application": {"submitted_at": raw}}
    assert submitted_at(payload) is None
    sla = load_case_types()["ekonomiskt_bistand"].sla_days
    assert due_at("ekonomiskt_bistand", payload, CREATED) == CREATED + timedelta(days=sla)


def test_due_date_of_a_plausible_submission() -> None:
    payload = {"application": {"submitted_at": "2026-11-16T07:00:00+01:00"}}
    sla = load_case_types()["skolskjuts"].sla_days
    expected = datetime(2026, 11, 16, 6, 0, tzinfo=UTC) + timedelta(days=sla)
    assert due_at("skolskjuts", payload, CREATED) == expected


def test_case_type_due_at_never_overflows() -> None:
    config = load_case_types()["skolskjuts"]
    assert config.due_at(datetime.max.replace(tzinfo=UTC)).year == 9999


payloads = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=40)
    | st.datetimes(timezones=st.sampled_from([UTC, None])).map(datetime.isoformat),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["application", "submitted_at", "x"]), children, max_size=3
        )
    ),
    max_leaves=8,
)


@settings(
    max_examples=500,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(payloads, st.sampled_from(["skolskjuts", "ekonomiskt_bistand", "okänd"]))
def test_due_at_is_total(payload: Any, case_type: str) -> None:
    result = due_at(case_type, payload, CREATED)
    assert result is None or result.tzinfo is not None
