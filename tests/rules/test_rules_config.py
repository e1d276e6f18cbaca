"""Malformed configuration: one invalid-file fixture per error kind, and cross-file checks."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from caserobot.exceptions import ConfigurationError
from caserobot.rules import decide, get_case_type, load_parameters, load_rule_set

INVALID = Path(__file__).parent / "fixtures" / "invalid"
REAL = get_case_type("skolskjuts").config_dir

# fixture file -> fragments the error detail must contain
CASES = {
    "rule_set_yaml_syntax.yaml": ["invalid YAML", "line 4"],
    "rule_set_empty.yaml": ["file is empty"],
    "rule_set_not_mapping.yaml": ["expected a mapping", "list"],
    "rule_set_missing_field.yaml": ["version", "required field is missing"],
    "rule_set_unknown_field.yaml": ["rule", "unknown field"],
    "rule_set_version_not_string.yaml": ["version", "must be a string", "quote it"],
    "rule_set_dates_reversed.yaml": ["effective_to", "before effective_from"],
    "rule_set_duplicate_rule.yaml": ["rules", "'distance' appears more than once"],
    "rule_set_duplicate_key.yaml": ["duplicate key 'version'", "line 9"],
    "rule_set_rule_without_reference.yaml": ["rules[0].legal_reference", "required"],
    "rule_set_bad_date.yaml": ["invalid date '2021-12-32'"],
    "rule_set_no_rules.yaml": ["rules", "must not be empty"],
    "rule_set_bad_rule_id.yaml": ["rules[0].id", "pattern"],
    "parameters_no_values.yaml": ["distance_threshold_m.values", "must not be empty"],
    "parameters_bad_date.yaml": ["invalid date '2021-13-02'", "line 6"],
    "parameters_missing_reference.yaml": ["distance_threshold_m.legal_reference", "required"],
    "parameters_duplicate_date.yaml": ["duplicate key 2021-12-02"],
    "parameters_bad_value.yaml": ["values.2021-12-02.value", "must be a number"],
    "parameters_value_not_wrapped.yaml": ["values.2021-12-02", "must be a mapping"],
    "parameters_unknown_field.yaml": ["values.2021-12-02.valu", "unknown field"],
    "parameters_bad_name.yaml": ["'Distance-Threshold'", "lower_snake_case"],
}


def test_every_fixture_has_a_case() -> None:
    assert {p.name for p in INVALID.glob("*.yaml")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_invalid_file_raises_configuration_error_naming_file_and_problem(name: str) -> None:
    loader = load_rule_set if name.startswith("rule_set") else load_parameters
    with pytest.raises(ConfigurationError) as info:
        loader(INVALID / name)
    assert info.value.path == str(INVALID / name)
    assert str(info.value).startswith(str(INVALID / name) + ": ")
    for fragment in CASES[name]:
        assert fragment in info.value.detail


def test_real_configuration_loads() -> None:
    loaded = get_case_type("skolskjuts").load()
    assert loaded.rule_set.ref == "nacka-skolskjuts@1.0"
    assert loaded.rule_set.municipality == "Nacka"
    assert "distance_threshold_m" in loaded.parameters


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """A writable copy of the real rules configuration."""
    shutil.copytree(REAL, tmp_path / "skolskjuts")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture drift: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_missing_file(rules_dir: Path) -> None:
    (rules_dir / "skolskjuts" / "parameters.yaml").unlink()
    with pytest.raises(ConfigurationError, match=r"parameters\.yaml: cannot read file"):
        get_case_type("skolskjuts").load(rules_dir)


def test_declared_rule_without_implementation(rules_dir: Path) -> None:
    _edit(
        rules_dir / "skolskjuts" / "rule_set.yaml",
        "rules:\n",
        "rules:\n  - id: snow_depth\n    title: Snödjup\n    description: d\n"
        "    legal_reference: r\n",
    )
    with pytest.raises(ConfigurationError, match="'snow_depth' is declared but skolskjuts has no"):
        get_case_type("skolskjuts").load(rules_dir)


def test_implemented_rule_not_declared(rules_dir: Path) -> None:
    _edit(rules_dir / "skolskjuts" / "rule_set.yaml", "  - id: taxi\n", "  - id: taxi_old\n")
    with pytest.raises(ConfigurationError) as info:
        get_case_type("skolskjuts").load(rules_dir)
    assert info.value.path.endswith("rule_set.yaml")


def test_case_type_mismatch(rules_dir: Path) -> None:
    _edit(rules_dir / "skolskjuts" / "rule_set.yaml", "case_type: skolskjuts", "case_type: komvux")
    with pytest.raises(ConfigurationError, match="case_type is 'komvux', expected 'skolskjuts'"):
        get_case_type("skolskjuts").load(rules_dir)


def test_parameter_missing_at_evaluation(rules_dir: Path, valid_input: dict) -> None:
    _edit(rules_dir / "skolskjuts" / "parameters.yaml", "distance_threshold_m:", "threshold_m:")
    with pytest.raises(ConfigurationError) as info:
        decide("skolskjuts", valid_input, date(2026, 8, 1), rules_dir=rules_dir)
    assert info.value.path.endswith("parameters.yaml")
    assert "no parameter named 'distance_threshold_m'" in info.value.detail


def test_parameter_not_in_force_on_as_of(rules_dir: Path, valid_input: dict) -> None:
    _edit(rules_dir / "skolskjuts" / "parameters.yaml", "    2021-12-02:", "    2024-01-01:")
    with pytest.raises(ConfigurationError, match="no value in force on 2023-12-31"):
        decide("skolskjuts", valid_input, date(2023, 12, 31), rules_dir=rules_dir)
    assert decide("skolskjuts", valid_input, date(2024, 1, 1), rules_dir=rules_dir)


def test_table_without_the_grade(rules_dir: Path, valid_input: dict) -> None:
    _edit(rules_dir / "skolskjuts" / "parameters.yaml", "        7: 4000\n", "")
    with pytest.raises(ConfigurationError, match="has no entry '7'"):
        decide("skolskjuts", {**valid_input, "grade": 7}, date(2026, 8, 1), rules_dir=rules_dir)


def test_changed_file_is_reloaded(rules_dir: Path, valid_input: dict) -> None:
    data = {**valid_input, "grade": 3, "walking_distance_m": 2600}
    assert decide("skolskjuts", data, date(2026, 8, 1), rules_dir=rules_dir).outcome == "denied"
    params = rules_dir / "skolskjuts" / "parameters.yaml"
    _edit(params, "        3: 3000\n", "        3: 2500\n")
    stat = params.stat()
    os.utime(params, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert decide("skolskjuts", data, date(2026, 8, 1), rules_dir=rules_dir).outcome == "granted"
