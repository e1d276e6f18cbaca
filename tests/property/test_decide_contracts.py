"""Bad input at scale over both ``decide`` contracts (issue 13), property-based.

Generated malformed inputs (wrong types, missing and extra fields, out-of-range and huge
numbers, deep nesting, unicode) go through the function the CLI uses
(:func:`caserobot.rules.decide`) and through the CLI entry in-process (typer's runner).
Either the input is still a valid application and gets a decision that pays nothing
absurd, or it is refused with the documented :class:`InputError` naming a field (exit
code 2 and one line on stderr). Nothing else: no other exception, no traceback.

Derandomized, so CI runs the same examples every time.
"""

from __future__ import annotations

import copy
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import caserobot.cli.decide  # noqa: F401  registers the commands
from caserobot.cli import app
from caserobot.exceptions import InputError
from caserobot.rules import Decision, decide, get_case_type

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = 500
PROFILE = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SKOLSKJUTS = {
    "grade": 5,
    "walking_distance_m": 3500,
    "enrolled_in_nearest_municipal_school": True,
    "applied_to_nearest_and_refused": False,
    "school_municipality": "Nacka",
    "home_municipality": "Nacka",
    "alternating_residence": True,
    "second_address_walking_distance_m": 1200,
    "second_address_municipality": "Värmdö",
    "medical_certificate": False,
    "traffic_danger_claimed": False,
    "taxi_requested": False,
    "protected_identity": False,
}
EB = {
    **json.loads(
        (get_case_type("ekonomiskt_bistand").config_dir / "examples/decide-input.json").read_text(
            "utf-8"
        )
    ),
    "special_expense_items": [],
    "asset_items": [],
}
VALID = {
    "skolskjuts": (SKOLSKJUTS, date(2026, 8, 15)),
    "ekonomiskt_bistand": (EB, date(2026, 3, 2)),
}
# No amount of a month's försörjningsstöd comes near this with every item at its ceiling.
MAX_SANE_GRANT = 200_000

HUGE = [10**30, -(10**30), 2**63, 2**64 + 1, 10**4000, -1, 0, 10**7 + 1, 100_001]
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**7),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from(HUGE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", " ", "Nacka", "Nakca", "F", "3", "2026-02-30", "1889-12-31", "\n"]),
)
json_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


values = st.one_of(json_values, st.integers(min_value=50, max_value=600).map(_nested))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every dict key and list index in ``value``, as paths from the root."""
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            out.append((*prefix, key))
            out.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out.append((*prefix, i))
            out.extend(_paths(child, (*prefix, i)))
    return out


@st.composite
def malformed(draw: st.DrawFn, case_type: str) -> dict[str, Any]:
    """A valid input with one to three things broken."""
    data = copy.deepcopy(VALID[case_type][0])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths)) if paths else ()
        *parent_path, last = path or (None,)
        parent: Any = data
        for step in parent_path:
            parent = parent[step]
        op = draw(st.sampled_from(["replace", "replace", "delete", "extra"]))
        if op == "replace" and path:
            parent[last] = draw(values)
        elif op == "delete" and path:
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
        elif isinstance(parent, list):
            parent.append(draw(values))
    return data


def _check_decision(case_type: str, decision: Decision) -> None:
    assert decision.outcome in ("granted", "denied", "refer")
    if case_type == "ekonomiskt_bistand" and decision.outcome == "granted":
        assert decision.amount is not None and 0 < decision.amount <= MAX_SANE_GRANT
    if case_type == "skolskjuts" and decision.outcome == "granted":
        assert all(
            0 <= decision.inputs[k] <= 100_000
            for k in ("walking_distance_m", "second_address_walking_distance_m")
            if decision.inputs.get(k) is not None
        )


def _decide_or_input_error(case_type: str, data: Any) -> None:
    try:
        decision = decide(case_type, data, VALID[case_type][1])
    except InputError as exc:
        assert exc.field and exc.detail
        assert str(exc).isprintable(), str(exc)
        assert len(exc.field) <= 80
        return
    _check_decision(case_type, decision)


@PROFILE
@given(malformed("skolskjuts"))
def test_decide_skolskjuts_never_raises_anything_but_input_error(data: dict) -> None:
    _decide_or_input_error("skolskjuts", data)


@PROFILE
@given(malformed("ekonomiskt_bistand"))
def test_decide_ekonomiskt_bistand_never_raises_anything_but_input_error(data: dict) -> None:
    _decide_or_input_error("ekonomiskt_bistand", data)


@PROFILE
@given(st.sampled_from(sorted(VALID)), values)
def test_decide_refuses_anything_that_is_not_an_object(case_type: str, data: Any) -> None:
    _decide_or_input_error(case_type, data)


# ---- through the CLI, in-process ----------------------------------------------------

runner = CliRunner()


@st.composite
def cli_text(draw: st.DrawFn, case_type: str) -> str:
    """The --input text: a malformed input as JSON, or raw text JSON cannot carry as such."""
    data = draw(malformed(case_type))
    try:
        text = json.dumps(data, ensure_ascii=draw(st.booleans()))
    except ValueError:  # an integer beyond Python's digit limit: write it by hand
        text = json.dumps({**VALID[case_type][0], "grade": 0}).replace("0}", "1" + "0" * 5000 + "}")
    kind = draw(st.sampled_from(["json"] * 6 + ["deep", "huge_int", "truncated", "not_json"]))
    if kind == "deep":
        depth = draw(st.integers(min_value=900, max_value=200_000))
        return '{"grade": ' + "[" * depth + "]" * depth + "}"
    if kind == "huge_int":
        digits = draw(st.integers(min_value=4000, max_value=20_000))
        return text[:-1] + ', "x": 1' + "0" * digits + "}"
    if kind == "truncated":
        return text[: draw(st.integers(min_value=0, max_value=max(0, len(text) - 1)))]
    if kind == "not_json":
        return draw(st.text(max_size=50))
    return text


def _cli(case_type: str, text: str) -> None:
    as_of = VALID.get(case_type, VALID["skolskjuts"])[1].isoformat()
    result = runner.invoke(app, ["decide", case_type, "-i", "-", "--as-of", as_of], input=text)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        out = json.loads(result.stdout)
        assert out["outcome"] in ("granted", "denied", "refer")
        if out["outcome"] == "granted" and out.get("amount") is not None:
            assert out["amount"] <= MAX_SANE_GRANT
        return
    assert result.exit_code == 2, (result.exit_code, result.stderr[-500:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr[-500:]
    # "error: <field>: <detail>": a field (or --input / --as-of / case_type) is named.
    assert len(lines[0].split(": ", 2)) == 3, lines[0]


@PROFILE
@given(cli_text("skolskjuts"))
def test_cli_skolskjuts_exits_2_with_one_line_naming_the_field(text: str) -> None:
    _cli("skolskjuts", text)


@PROFILE
@given(cli_text("ekonomiskt_bistand"))
def test_cli_ekonomiskt_bistand_exits_2_with_one_line_naming_the_field(text: str) -> None:
    _cli("ekonomiskt_bistand", text)


def test_digit_limit_is_pythons_default() -> None:
    # The huge_int case above relies on it: beyond it json.loads raises ValueError.
    assert sys.get_int_max_str_digits() == 4300
