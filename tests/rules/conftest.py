"""Collects YAML rule tests: every ``tests/rules/<case_type>/*.yaml`` (openfisca style).

A file holds a list of cases::

    - name: Åk 3, 3 001 m: längre än 3 000 m, beviljas
      as_of: 2026-08-01
      input: {grade: 3, walking_distance_m: 3001, ...}   # YAML anchors/merge keys welcome
      expected:
        outcome: granted                 # granted | denied | refer
        recommended_outcome: granted
        reason_codes: []                 # compared as a set
        trace: [distance]                # optional: rule ids that must have been applied
        not_in_trace: [placement]        # optional: rule ids that must not
        failed: []                       # optional: exactly these conditions failed
        reasons_contain: ["3 001 meter"] # optional: substrings of the reasons
        # or, for a case that must be refused:
        # error: {type: InputError, field: as_of}

Case types that calculate an amount (ekonomiskt bistånd) may also expect ``amount``,
``norm``, ``reasonable_costs`` and ``counted_income`` (whole kronor), ``lines`` (each a
partial calculation line, e.g. ``{item: rent, counted: 7000}``, that some line must
match), ``motivering_contain`` (substrings of the motivering), and for an error
``detail_contains`` (a substring of its message).

Only directories named after a registered case type are collected, so fixtures of
invalid files elsewhere under ``tests/rules`` are left alone.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from caserobot import exceptions
from caserobot.rules import Decision, case_types, decide

CASE_KEYS = {"name", "description", "as_of", "input", "expected"}
AMOUNT_KEYS = ("amount", "norm", "reasonable_costs", "counted_income")
EXPECTED_KEYS = {
    "outcome",
    "recommended_outcome",
    "reason_codes",
    "trace",
    "not_in_trace",
    "failed",
    "reasons_contain",
    "error",
    "amount",
    "norm",
    "reasonable_costs",
    "counted_income",
    "lines",
    "motivering_contain",
}


@pytest.fixture
def valid_input() -> dict[str, Any]:
    """A complete, valid skolskjuts input that is granted (åk 5, 3 500 m, all in Nacka)."""
    return {
        "grade": 5,
        "walking_distance_m": 3500,
        "enrolled_in_nearest_municipal_school": True,
        "applied_to_nearest_and_refused": False,
        "school_municipality": "Nacka",
        "home_municipality": "Nacka",
        "alternating_residence": False,
        "second_address_walking_distance_m": None,
        "second_address_municipality": None,
        "medical_certificate": False,
        "traffic_danger_claimed": False,
        "taxi_requested": False,
        "protected_identity": False,
    }


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name in case_types():
        return RuleCaseFile.from_parent(parent, path=file_path)
    return None


class RuleCaseFile(pytest.File):
    def collect(self):  # type: ignore[override]
        cases = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        if not isinstance(cases, list):
            raise pytest.UsageError(f"{self.path}: expected a list of test cases")
        for i, case in enumerate(cases):
            where = f"{self.path.name}[{i}]"
            if not isinstance(case, dict) or not {"name", "as_of", "input", "expected"} <= set(
                case
            ):
                raise pytest.UsageError(f"{where}: needs name, as_of, input and expected")
            if unknown := set(case) - CASE_KEYS:
                raise pytest.UsageError(f"{where}: unknown keys {sorted(unknown)}")
            if unknown := set(case["expected"]) - EXPECTED_KEYS:
                raise pytest.UsageError(f"{where}: unknown expected keys {sorted(unknown)}")
            yield RuleCase.from_parent(self, name=case["name"], case=case)


class RuleCaseFailure(Exception):
    """A YAML rule case did not match; carries every mismatch and the decision."""

    def __init__(self, problems: list[str], decision: Decision | None) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.decision = decision


class RuleCase(pytest.Item):
    def __init__(self, *, case: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        case, expected = self.case, self.case["expected"]
        as_of = case["as_of"]
        if not isinstance(as_of, date):
            as_of = date.fromisoformat(str(as_of))
        case_type = self.path.parent.name
        if "error" in expected:
            self._expect_error(case_type, as_of, expected["error"])
            return
        decision = decide(case_type, case["input"], as_of)
        problems = _compare(decision, expected)
        if problems:
            raise RuleCaseFailure(problems, decision)

    def _expect_error(self, case_type: str, as_of: date, error: dict[str, Any]) -> None:
        exc_type = getattr(exceptions, error["type"])
        try:
            decision = decide(case_type, self.case["input"], as_of)
        except exc_type as exc:
            field = error.get("field")
            if field is not None and getattr(exc, "field", None) != field:
                raise RuleCaseFailure(
                    [f"error field: expected {field!r}, got {getattr(exc, 'field', None)!r}"],
                    None,
                ) from exc
            fragment = error.get("detail_contains")
            if fragment is not None and fragment not in str(exc):
                raise RuleCaseFailure([f"error: no {fragment!r} in {str(exc)!r}"], None) from exc
            return
        raise RuleCaseFailure(
            [f"expected {error['type']}, got outcome {decision.outcome}"], decision
        )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:  # type: ignore[override]
        if not isinstance(excinfo.value, RuleCaseFailure):
            return super().repr_failure(excinfo)
        lines = [f"YAML rule case failed: {self.name}", *("  " + p for p in excinfo.value.problems)]
        if d := excinfo.value.decision:
            lines.append("decision reasons:")
            lines += [f"  - {r}" for r in d.reasons]
            lines.append("trace:")
            lines += [f"  {s.rule_id} ({s.kind}) -> {s.result!r}" for s in d.trace]
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}: {self.name}"


def _compare(decision: Decision, expected: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("outcome", "recommended_outcome", *AMOUNT_KEYS):
        if key in expected and getattr(decision, key) != expected[key]:
            problems.append(f"{key}: expected {expected[key]!r}, got {getattr(decision, key)!r}")
    if "reason_codes" in expected:
        got = set(decision.reason_codes)
        if got != set(expected["reason_codes"]):
            problems.append(
                f"reason_codes: expected {sorted(expected['reason_codes'])}, got {sorted(got)}"
            )
    applied = decision.trace.rule_ids()
    for rule_id in expected.get("trace", []):
        if rule_id not in applied:
            problems.append(f"trace: rule {rule_id!r} was not applied (applied: {applied})")
    for rule_id in expected.get("not_in_trace", []):
        if rule_id in applied:
            problems.append(f"trace: rule {rule_id!r} was applied but should not be")
    if "failed" in expected and set(decision.failed_rules()) != set(expected["failed"]):
        problems.append(
            f"failed: expected {sorted(expected['failed'])}, got {decision.failed_rules()}"
        )
    text = "\n".join(decision.reasons)
    for fragment in expected.get("reasons_contain", []):
        if fragment not in text:
            problems.append(f"reasons: no {fragment!r}")
    for fragment in expected.get("motivering_contain", []):
        if fragment not in decision.motivering:
            problems.append(f"motivering: no {fragment!r}")
    lines = [line.model_dump(mode="json") for line in decision.calculation]
    for want in expected.get("lines", []):
        if not any(all(line.get(k) == v for k, v in want.items()) for line in lines):
            near = [ln for ln in lines if ln.get("item") == want.get("item")] or lines
            problems.append(f"lines: none matches {want}; got {near}")
    return problems
