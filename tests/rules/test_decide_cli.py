"""``caserobot decide``: JSON out, one clear error line and exit code 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import caserobot.cli.decide  # noqa: F401  registers the commands
from caserobot.cli import app
from caserobot.rules import get_case_type

runner = CliRunner()


@pytest.fixture
def input_file(tmp_path: Path, valid_input: dict) -> Path:
    path = tmp_path / "ansokan.json"
    path.write_text(json.dumps(valid_input), encoding="utf-8")
    return path


def _ok(args: list[str], stdin: str | None = None) -> dict:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return json.loads(result.stdout)


def _fails(args: list[str], stdin: str | None = None) -> str:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_prints_the_decision_as_json(input_file: Path) -> None:
    out = _ok(["decide", "skolskjuts", "--input", str(input_file), "--as-of", "2026-08-01"])
    assert out["outcome"] == "granted"
    assert out["recommended_outcome"] == "granted"
    assert out["rule_set"] == "nacka-skolskjuts@1.0"
    assert out["as_of"] == "2026-08-01"
    assert out["reason_codes"] == []
    assert [s["rule_id"] for s in out["trace"]][-1] == "distance"
    assert "beviljas" in out["motivering"]
    assert out["reasons"]


def test_reads_stdin(valid_input: dict) -> None:
    data = {**valid_input, "taxi_requested": True}
    out = _ok(["decide", "skolskjuts", "--input", "-", "--as-of", "2026-08-01"], json.dumps(data))
    assert (out["outcome"], out["reason_codes"]) == ("refer", ["taxi_requested"])


def test_as_of_defaults_to_today(input_file: Path) -> None:
    from datetime import date

    assert _ok(["decide", "skolskjuts", "-i", str(input_file)])["as_of"] == date.today().isoformat()


def test_malformed_field(valid_input: dict) -> None:
    line = _fails(["decide", "skolskjuts", "-i", "-"], json.dumps({**valid_input, "grade": 11}))
    assert line == "error: grade: must be F or 1–9"


def test_malformed_json() -> None:
    line = _fails(["decide", "skolskjuts", "-i", "-"], '{"grade": 3,')
    assert line.startswith("error: --input: invalid JSON at line 1 column")


def test_json_not_an_object() -> None:
    line = _fails(["decide", "skolskjuts", "-i", "-"], "[1, 2]")
    assert line == "error: input: must be a JSON object, got list"


def test_missing_file(tmp_path: Path) -> None:
    line = _fails(["decide", "skolskjuts", "-i", str(tmp_path / "nope.json")])
    assert line.startswith("error: --input: cannot read") and "No such file" in line


def test_unknown_case_type(input_file: Path) -> None:
    line = _fails(["decide", "bygglov", "-i", str(input_file)])
    assert line == (
        "error: case_type: unknown case type 'bygglov' "
        "(known: ekonomiskt_bistand, komvux, skolskjuts)"
    )


@pytest.mark.parametrize("bad", ["2026-13-01", "1/8/2026", "igår"])
def test_bad_date(input_file: Path, bad: str) -> None:
    line = _fails(["decide", "skolskjuts", "-i", str(input_file), "--as-of", bad])
    assert line == f"error: --as-of: {bad!r} is not a date (expected YYYY-MM-DD)"


def test_date_before_the_rule_set(input_file: Path) -> None:
    line = _fails(["decide", "skolskjuts", "-i", str(input_file), "--as-of", "2021-12-01"])
    assert line.startswith("error: --as-of: rule set nacka-skolskjuts@1.0 is in force from")


def test_help_describes_usage() -> None:
    result = runner.invoke(app, ["decide", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for text in ("CASE_TYPE", "--input", "--as-of", "YYYY-MM-DD", "stdin", "exit code 2"):
        assert text in result.stdout


def test_case_types_command() -> None:
    result = runner.invoke(app, ["case-types", "--as-of", "2026-08-01"])
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [row[:3] for row in rows] == [
        ["ekonomiskt_bistand", "nacka-ekonomiskt-bistand@1.0", "Nacka"],
        ["komvux", "nacka-komvux@1.0", "Nacka"],
        ["skolskjuts", "nacka-skolskjuts@1.0", "Nacka"],
    ]


def test_installed_command_end_to_end(input_file: Path, valid_input: dict) -> None:
    exe = Path(sys.executable).parent / "caserobot"  # /work/main/.venv/bin/caserobot
    assert exe.exists(), exe
    ok = subprocess.run(
        [str(exe), "decide", "skolskjuts", "--input", str(input_file), "--as-of", "2026-08-01"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["outcome"] == "granted"

    bad = subprocess.run(
        [str(exe), "decide", "skolskjuts", "--input", "-"],
        input=json.dumps({**valid_input, "walking_distance_m": -3}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr == "error: walking_distance_m: must not be negative\n"


def test_broken_configuration_exits_1_without_traceback(
    tmp_path: Path, input_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caserobot.settings import get_settings

    (tmp_path / "rules" / "skolskjuts").mkdir(parents=True)
    (tmp_path / "rules" / "skolskjuts" / "rule_set.yaml").write_text("id: [", encoding="utf-8")
    monkeypatch.setenv("CASEROBOT_CONFIG_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["decide", "skolskjuts", "-i", str(input_file)])
    finally:
        monkeypatch.delenv("CASEROBOT_CONFIG_DIR")
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: rules configuration: ")
    assert "rule_set.yaml: invalid YAML" in result.stderr


# ---- absurd input (issue 13): one Swedish/English line naming the problem, exit 2 ----


def test_deeply_nested_json_is_an_input_error() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    line = _fails(["decide", "skolskjuts", "-i", "-"], '{"grade": ' + deep + "}")
    assert line == (
        "error: --input: JSON-datat är för djupt nästlat (objekt eller listor i för många nivåer)"
    )


def test_integer_over_python_digit_limit_is_an_input_error(valid_input: dict) -> None:
    text = json.dumps(valid_input).replace(
        '"walking_distance_m": 3500', '"walking_distance_m": 1' + "0" * 5000
    )
    line = _fails(["decide", "skolskjuts", "-i", "-"], text)
    limit = sys.get_int_max_str_digits()
    assert line == f"error: --input: ett tal i JSON-datat har fler än {limit} siffror"


def test_distance_of_ten_to_the_thirty_metres_is_refused(valid_input: dict) -> None:
    data = {**valid_input, "walking_distance_m": 10**30}
    line = _fails(["decide", "skolskjuts", "-i", "-"], json.dumps(data))
    assert line == "error: walking_distance_m: must be at most 100000"


def test_ten_to_the_thirty_kronor_is_refused() -> None:
    path = get_case_type("ekonomiskt_bistand").config_dir / "examples"
    data = json.loads((path / "decide-input.json").read_text(encoding="utf-8"))
    data["costs"]["household_electricity"] = 10**30
    line = _fails(
        ["decide", "ekonomiskt_bistand", "-i", "-", "--as-of", "2026-03-02"], json.dumps(data)
    )
    assert line == "error: costs.household_electricity: must be at most 10000000"


def test_250000_kr_of_electricity_goes_to_a_caseworker() -> None:
    path = get_case_type("ekonomiskt_bistand").config_dir / "examples"
    data = json.loads((path / "decide-input.json").read_text(encoding="utf-8"))
    data["costs"]["household_electricity"] = 250_000
    out = _ok(
        ["decide", "ekonomiskt_bistand", "-i", "-", "--as-of", "2026-03-02"], json.dumps(data)
    )
    assert out["outcome"] == "refer" and "cost_above_guideline" in out["reason_codes"]
    assert any("Hushållsel 250 000 kr" in r for r in out["reasons"])


def test_unknown_field_with_a_line_break_stays_one_line(valid_input: dict) -> None:
    line = _fails(["decide", "skolskjuts", "-i", "-"], json.dumps({**valid_input, "a\nb": 1}))
    assert line == "error: a\\nb: unknown field"
    line = _fails(["decide", "skolskjuts", "-i", "-"], json.dumps({**valid_input, "\ud800": 1}))
    assert line.startswith("error: input: ")
