"""The knob table is the one source: Tuning, serve's options and its help agree with it."""

from __future__ import annotations

from dataclasses import fields

import pytest

from standins import knobs
from standins.common import Tuning
from standins.options import FAULT_FLAGS, ServeOptions


def test_tuning_has_exactly_the_knobs_with_their_defaults() -> None:
    assert [f.name for f in fields(Tuning)] == [k.name for k in knobs.KNOBS]
    assert [f.default for f in fields(Tuning)] == [k.default for k in knobs.KNOBS]


def test_every_fault_flag_is_a_knob_with_the_same_default() -> None:
    options = ServeOptions()
    for name in FAULT_FLAGS:
        assert getattr(options, name) == knobs.BY_NAME[name].default, name


@pytest.mark.parametrize("name, value, expected", [
    ("fail_rate", 0, 0.0), ("hang_s", 2, 2.0), ("seats_taken", 3, 3),
    ("fault_seed", None, None), ("layout_variant", "v2", "v2"),
    ("maintenance_until", "2026-12-01T10:00:00+01:00", "2026-12-01T10:00:00+01:00"),
    ("maintenance_s", 30, 30.0),
])
def test_good_values_pass(name: str, value: object, expected: object) -> None:
    assert knobs.check(name, value) == expected


@pytest.mark.parametrize("name, value", [
    ("fail_rate", -0.1), ("fail_rate", "0.1"), ("fail_rate", float("nan")), ("hang_s", -1),
    ("hang_s", 10**9), ("seats_taken", 1.5), ("seats_taken", -1), ("fault_seed", "x"),
    ("layout_variant", "v3"), ("maintenance_until", "tomorrow"), ("maintenance_s", True),
])
def test_bad_values_name_the_knob(name: str, value: object) -> None:
    with pytest.raises(knobs.KnobError) as caught:
        knobs.check(name, value)
    assert caught.value.field == name and caught.value.code == "invalid_setting"


def test_case_system_knobs_are_refused_elsewhere() -> None:
    with pytest.raises(knobs.KnobError) as caught:
        knobs.check_all("eservice", {"layout_variant": "v2"})
    assert caught.value.code == "unknown_setting"
    assert knobs.check_all("case_system", {"layout_variant": "v2"}) == {"layout_variant": "v2"}
