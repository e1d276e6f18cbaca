"""The pip-audit runner (``tests/security/audit.py``): reviewed exceptions only, and never
a pass for an audit that checked nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.security import audit

ROOT = Path(__file__).parents[2]


def test_allowlist_entries_need_an_id_a_package_and_a_reason(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(
        "# comment\n\nGHSA-aaaa-bbbb-cccc  Jinja2  only the sandbox, which caserobot never uses\n",
        encoding="utf-8",
    )
    [entry] = audit.read_allowlist(good)
    assert (entry.id, entry.package) == ("GHSA-aaaa-bbbb-cccc", "jinja2")
    assert entry.reason.startswith("only the sandbox")
    for line in ["GHSA-aaaa-bbbb-cccc", "GHSA-aaaa-bbbb-cccc  jinja2", "CVE-1  jinja2  ok"]:
        bad = tmp_path / "bad.txt"
        bad.write_text(f"# reviewed\n{line}\n", encoding="utf-8")
        with pytest.raises(audit.AllowlistError, match="bad.txt:2"):
            audit.read_allowlist(bad)


def test_the_shipped_allowlist_is_well_formed() -> None:
    entries = audit.read_allowlist()
    assert len({e.id for e in entries}) == len(entries)


def _report(*deps: dict[str, object]) -> dict[str, object]:
    """A report in pip-audit's ``--format json`` shape."""
    return {"dependencies": list(deps), "fixes": []}


def test_verdicts_on_pip_audit_reports() -> None:
    clean = {"name": "jinja2", "version": "3.1.6", "vulns": []}
    skipped = {"name": "alembic", "skip_reason": "Dependency not found on PyPI: alembic (1.2)"}
    vulnerable = {
        "name": "pycrypto",
        "version": "2.6.1",
        "vulns": [{"id": "PYSEC-2017-94", "fix_versions": [], "description": "overflow"}],
    }
    ok = audit.verdict(_report(clean), service="pypi", allowed=0, require=True)
    assert ok.status == 0 and "no known vulnerabilities" in ok.line

    found = audit.verdict(
        _report(clean, vulnerable, skipped), service="pypi", allowed=0, require=False
    )
    assert found.status == 1 and found.line.startswith("pip-audit: FAILED")
    assert found.details == ("pycrypto 2.6.1: PYSEC-2017-94",)

    for require, status in [(False, 0), (True, 2)]:
        partial = audit.verdict(_report(clean, skipped), service="pypi", allowed=0, require=require)
        assert partial.status == status
        assert partial.line.startswith("pip-audit: INCOMPLETE, not a pass: 1 of 2 packages")
        assert "no known vulnerabilities" not in partial.line


def test_an_audit_that_checked_nothing_is_never_a_pass(tmp_path: Path) -> None:
    """The real pip-audit on one pinned package (one request to the service).

    Where PyPI's per-release JSON does not answer (a package mirror only), pip-audit itself
    says "No known vulnerabilities found" and exits 0; the runner must say INCOMPLETE.
    """
    requirement = tmp_path / "requirements.txt"
    requirement.write_text("jinja2==3.1.6\n", encoding="utf-8")
    service, _ = audit.reachable_service()
    result = audit.run(True, service="pypi", requirement=requirement)
    if service == "pypi":  # a machine with internet access: a real answer either way
        assert result.status in (0, 1), result.line
        assert not result.line.startswith(("pip-audit: INCOMPLETE", "pip-audit: NOT RUN"))
    else:
        assert result.status == 2, result.line
        assert result.line.startswith("pip-audit: INCOMPLETE, not a pass: 1 of 1 packages")


def test_the_ci_step_says_in_one_line_what_it_did() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.security.audit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert lines and lines[0].startswith("pip-audit: "), done.stdout + done.stderr
    if lines[0].startswith(("pip-audit: NOT RUN", "pip-audit: INCOMPLETE")):
        assert done.returncode == 0  # CI never fails for want of a network
        assert "nothing was audited" in lines[0] or "not a pass" in lines[0]
    else:
        assert done.returncode in (0, 1)
