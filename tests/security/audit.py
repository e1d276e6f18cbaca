"""pip-audit over the installed, pinned environment, honest about what it could check.

``make test`` runs ``python -m tests.security.audit`` and ``make audit`` runs it with
``--require``. It audits the packages installed in the venv (``pip-audit -l``, caserobot
itself skipped) against a vulnerability service, ignoring only the reviewed entries of
:data:`ALLOWLIST` (each with a reason).

pip-audit needs an advisory source: PyPI's per-release JSON
(``https://pypi.org/pypi/<name>/<version>/json``) or OSV (``https://api.osv.dev``). One
request each tells whether either answers. Where neither does (a machine that reaches only
a package mirror: the mirror serves project pages but answers 404 for per-release JSON, and
OSV does not resolve), pip-audit would mark every package "not found", print "No known
vulnerabilities found" and exit 0. This runner never reports that as a pass: it prints one
line saying the audit was not possible, and exits 0 under ``make test`` (CI must not fail for
want of a network) but 2 under ``--require``.

Exit status: 0 audited and clean (or, without ``--require``, not possible); 1 a known
vulnerability that is not allow-listed; 2 (``--require``) the audit was not possible or not
complete.
"""

from __future__ import annotations

import argparse
import json
import subprocess  # nosec B404  # runs pip-audit, an argv list without a shell
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

ALLOWLIST = Path(__file__).with_name("pip-audit-allowlist.txt")
PROBE_PACKAGE = "pip-audit"  # pinned in the dev extra, so this exact release is on PyPI
PROBE_TIMEOUT_S = 8.0
AUDIT_TIMEOUT_S = 30  # pip-audit's socket timeout per request
OSV_URL = "https://api.osv.dev/v1/query"


class AllowlistError(ValueError):
    """An allow-list line that is not ``<ID>  <package>  <reason>``."""


@dataclass(frozen=True)
class Allowed:
    id: str
    package: str
    reason: str


@dataclass(frozen=True)
class Verdict:
    """What one audit found, as one line for the log and an exit status."""

    line: str
    status: int
    details: tuple[str, ...] = ()


def read_allowlist(path: Path = ALLOWLIST) -> list[Allowed]:
    """The reviewed vulnerabilities to ignore: ``<ID>  <package>  <reason>`` per line.

    Blank lines and ``#`` comments are skipped. An entry without a package and a reason
    is an error: nothing is ignored without a written review.
    """
    entries = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or len(parts[2].strip()) < 10:
            raise AllowlistError(
                f"{path.name}:{number}: expected '<ID>  <package>  <reason>' with a reason "
                f"of a few words, got {line!r}"
            )
        entries.append(Allowed(parts[0], parts[1].lower(), parts[2].strip()))
    return entries


def reachable_service() -> tuple[str | None, str]:
    """The first vulnerability service that answers (``pypi``, ``osv``), with what was seen.

    One request each, for one pinned package: never a lookup of every package.
    """
    probe_version = version(PROBE_PACKAGE)
    seen = []
    pypi = f"https://pypi.org/pypi/{PROBE_PACKAGE}/{probe_version}/json"
    try:
        with urllib.request.urlopen(pypi, timeout=PROBE_TIMEOUT_S) as answer:  # nosec B310  # fixed https URL
            if "vulnerabilities" in json.load(answer):
                return "pypi", "pypi.org answers"
            seen.append("PyPI per-release JSON has no vulnerability data")
    except urllib.error.HTTPError as exc:
        seen.append(f"PyPI per-release JSON: HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        seen.append(f"PyPI: {_reason(exc)}")
    query = {"package": {"name": PROBE_PACKAGE, "ecosystem": "PyPI"}, "version": probe_version}
    request = urllib.request.Request(
        OSV_URL, data=json.dumps(query).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S):  # nosec B310  # fixed https URL
            return "osv", "api.osv.dev answers"
    except urllib.error.HTTPError as exc:
        seen.append(f"OSV: HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        seen.append(f"OSV: {_reason(exc)}")
    return None, "; ".join(seen)


def verdict(report: dict[str, Any], *, service: str, allowed: int, require: bool) -> Verdict:
    """Judge pip-audit's JSON report (``-f json``); allow-listed ids are already left out."""
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    if vulnerable:
        details = tuple(
            f"{d['name']} {d['version']}: {v['id']}"
            + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
            for d in vulnerable
            for v in d["vulns"]
        )
        return Verdict(
            f"pip-audit: FAILED: {len(details)} known vulnerabilities in {len(vulnerable)} of "
            f"{len(deps)} packages ({service}); upgrade, or review and add them to "
            f"{ALLOWLIST.name}",
            1,
            details,
        )
    if skipped:
        first = skipped[0]["skip_reason"]
        return Verdict(
            f"pip-audit: INCOMPLETE, not a pass: {len(skipped)} of {len(deps)} packages could "
            f"not be checked against {service} (first: {first})",
            2 if require else 0,
        )
    return Verdict(
        f"pip-audit: {len(deps)} packages, no known vulnerabilities ({service}; "
        f"{allowed} reviewed exceptions in {ALLOWLIST.name})",
        0,
    )


def run(
    require: bool,
    *,
    service: str | None = None,
    requirement: Path | None = None,
    extra: tuple[str, ...] = (),
) -> Verdict:
    """Audit the venv (or a pinned ``requirement`` file) against ``service`` (default: the
    first that answers)."""
    allowlist = read_allowlist()
    if service is None:
        service, seen = reachable_service()
        if service is None:
            return Verdict(
                "pip-audit: NOT RUN: no vulnerability service reachable from this machine "
                f"({seen}); nothing was audited. Run `make audit` where pypi.org or "
                "api.osv.dev answers.",
                2 if require else 0,
            )
    with tempfile.TemporaryDirectory(prefix="caserobot-audit-") as tmp:
        output = Path(tmp) / "audit.json"
        argv = [sys.executable, "-m", "pip_audit"]
        if requirement is None:
            argv += ["--local", "--skip-editable"]
        else:  # pinned, exported requirements: audit exactly those, resolve nothing
            argv += ["--requirement", str(requirement), "--no-deps", "--disable-pip"]
        argv += ["--vulnerability-service", service, "--timeout", str(AUDIT_TIMEOUT_S)]
        argv += ["--progress-spinner", "off", "--format", "json", "--output", str(output)]
        argv += [arg for entry in allowlist for arg in ("--ignore-vuln", entry.id)]
        argv += extra
        done = subprocess.run(argv, capture_output=True, text=True, check=False)  # nosec B603  # argv list, no shell
        if not output.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return Verdict(
                f"pip-audit: NOT RUN: pip-audit stopped ({done.returncode}): {last}; "
                "nothing was audited.",
                2 if require else 0,
            )
        report = json.loads(output.read_text(encoding="utf-8"))
    return verdict(report, service=service, allowed=len(allowlist), require=require)


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return f"{type(reason).__name__}: {reason}"[:120]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--require", action="store_true", help="exit 2 when the audit is not possible"
    )
    parser.add_argument(
        "--service", choices=("pypi", "osv"), help="use this service without probing first"
    )
    parser.add_argument(
        "--requirement", type=Path, help="audit this pinned requirements file, not the venv"
    )
    args, extra = parser.parse_known_args(argv)
    result = run(
        args.require, service=args.service, requirement=args.requirement, extra=tuple(extra)
    )
    print(result.line)
    for detail in result.details:
        print(f"  {detail}")
    return result.status


if __name__ == "__main__":
    sys.exit(main())
