"""``caserobot decide komvux`` as a user runs it: the installed console script in a fresh
process, one course choice per file; JSON and exit code 0, or one line naming the field and
exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXE = Path(sys.executable).parent / "caserobot"  # /work/main/.venv/bin/caserobot
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
YOUNG = {"birth_date": "2006-05-10", "course_start": "2026-06-30"}  # turns 20 in 2026


def _run(tmp_path: Path, data: Any, as_of: str = "2026-06-01") -> subprocess.CompletedProcess:
    path = tmp_path / "ansokan.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return subprocess.run(
        [str(EXE), "decide", "komvux", "--input", str(path), "--as-of", as_of],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("changes", "outcome", "recommended", "codes", "last_rule"),
    [
        pytest.param({}, "granted", "granted", [], "gymnasial_right", id="gymnasial-19"),
        pytest.param(
            {"has_basic_eligibility": True, "seeks_specific_eligibility": True},
            "granted", "granted", [], "gymnasial_right", id="gymnasial-19a",
        ),
        pytest.param(
            {"level": "grundlaggande"},
            "granted", "granted", [], "grundlaggande_knowledge", id="grundlaggande",
        ),
        pytest.param(
            {"has_basic_eligibility": True},
            "selection", "selection", [], "gymnasial_right", id="selection",
        ),
        pytest.param(
            {"birth_date": "2007-09-01", "completed_national_programme": True},
            "selection", "selection", [], "gymnasial_right", id="under-20-with-programme",
        ),
        pytest.param(
            {"lacks_knowledge": False},
            "denied", "denied", [], "gymnasial_knowledge", id="denied-knowledge",
        ),
        pytest.param(
            {"level": "grundlaggande", **YOUNG},
            "refer", "denied", ["under_20_special_reasons"], "grundlaggande_knowledge",
            id="30-june-before",
        ),
        pytest.param(
            {"level": "grundlaggande", **YOUNG, "course_start": "2026-07-01"},
            "granted", "granted", [], "grundlaggande_knowledge", id="1-july-after",
        ),
        pytest.param(
            {"registered_municipality": "Solna"},
            "refer", "granted", ["other_home_municipality"], "gymnasial_right",
            id="other-home-municipality",
        ),
        pytest.param(
            {"resident_in_sweden": False},
            "refer", "granted", ["not_registered_in_sweden"], "gymnasial_right",
            id="not-registered",
        ),
        pytest.param(
            {"foreign_grades": True, "has_basic_eligibility": True},
            "refer", "selection", ["foreign_grades"], "gymnasial_right", id="foreign-grades",
        ),
        pytest.param(
            {"protected_identity": True},
            "refer", "granted", ["protected_identity"], "gymnasial_right",
            id="protected-identity",
        ),
    ],
)  # fmt: skip
def test_each_path(
    tmp_path: Path,
    changes: dict[str, Any],
    outcome: str,
    recommended: str,
    codes: list[str],
    last_rule: str,
) -> None:
    done = _run(tmp_path, {**BASE, **changes})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = json.loads(done.stdout)
    assert (out["outcome"], out["recommended_outcome"]) == (outcome, recommended)
    assert out["reason_codes"] == codes
    assert out["rule_set"] == "nacka-komvux@1.0"
    assert out["trace"][-1]["rule_id"] == last_rule
    assert all(step["legal_reference"].strip() for step in out["trace"])
    assert out["reasons"] and all(isinstance(r, str) and r for r in out["reasons"])


def test_selection_is_printed_with_its_words(tmp_path: Path) -> None:
    out = json.loads(_run(tmp_path, {**BASE, "has_basic_eligibility": True}).stdout)
    assert out["motivering"].splitlines()[1] == (
        "Ansökan om antagning till kurs inom kommunal vuxenutbildning prövas i urval bland "
        "behöriga sökande."
    )
    right = next(s for s in out["trace"] if s["rule_id"] == "gymnasial_right")
    assert (right["kind"], right["result"], right["decisive"]) == ("outcome", "selection", True)
    assert "19 § och 19 a §" in right["legal_reference"]
    age = next(s for s in out["trace"] if s["rule_id"] == "gymnasial_age")
    assert [p["name"] for p in age["parameters"]] == ["adult_age_years", "adult_from"]
    assert age["inputs"]["course_start"] == "2026-08-17"


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"birth_date": "1899-12-31"}, "error: birth_date: must be on or after 1900-01-01"),
        (
            {"birth_date": "2999-01-01", "course_start": "3020-01-01"},
            "error: birth_date: must not be in the future",
        ),
        ({"birth_date": "12/03/1994"}, "error: birth_date: must be a date YYYY-MM-DD"),
        (
            {"course_start": "1990-01-01"},
            "error: course_start: 1990-01-01 is before birth_date 1994-03-12",
        ),
        (
            {"level": "grundläggande"},
            'error: level: must be "grundlaggande" or "gymnasial"',
        ),
        ({"protected_identity": "nej"}, "error: protected_identity: must be true or false"),
        ({"kurs": "Matematik 1a"}, "error: kurs: unknown field"),
    ],
)
def test_bad_input_names_the_field_and_exits_2(
    tmp_path: Path, changes: dict[str, Any], line: str
) -> None:
    done = _run(tmp_path, {**BASE, **changes})
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""
    assert done.stderr == line + "\n"


def test_a_missing_field_and_a_date_before_the_rule_set(tmp_path: Path) -> None:
    missing = {k: v for k, v in BASE.items() if k != "course_start"}
    done = _run(tmp_path, missing)
    assert (done.returncode, done.stderr) == (2, "error: course_start: required field is missing\n")
    early = _run(tmp_path, BASE, as_of="2021-06-30")
    assert early.returncode == 2
    assert early.stderr.startswith("error: --as-of: rule set nacka-komvux@1.0 is in force from ")
