"""Robots: their manifests (robots/<name>/robot.yaml) and how one run of a robot is started.

A robot run is a separate ``robot`` process (Robot Framework is not thread-safe), which
writes output.xml, log.html and report.html into the run's output directory. On Linux the
robot process is killed when the process that started it dies, so a robot never works on
for a run whose owner is gone (the registry marks such a run ``crashed``).
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import signal
import subprocess  # nosec B404  # runs Robot Framework as a child process
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from caserobot.exceptions import ApplicationException, ConfigurationError, InputError
from caserobot.settings import PROJECT_ROOT

ROBOTS_DIR = PROJECT_ROOT / "robots"


class RobotManifest(BaseModel):
    name: str
    version: str
    owner: str
    case_type: str
    description: str = ""
    legacy_systems: list[str] = Field(default_factory=list)
    tasks: str = "tasks.robot"
    directory: Path = Field(default=Path("."), exclude=True)

    @property
    def tasks_path(self) -> Path:
        return self.directory / self.tasks


def load_manifest(name: str) -> RobotManifest:
    path = ROBOTS_DIR / name / "robot.yaml"
    if not path.exists():
        known = ", ".join(m.name for m in list_manifests()) or "inga"
        raise InputError("robot", f"roboten '{name}' finns inte (kända: {known})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return RobotManifest.model_validate({**data, "directory": path.parent})
    except (yaml.YAMLError, ValidationError, TypeError) as exc:
        raise ConfigurationError(str(path), str(exc).splitlines()[0]) from exc


def list_manifests() -> list[RobotManifest]:
    return [load_manifest(p.parent.name) for p in sorted(ROBOTS_DIR.glob("*/robot.yaml"))]


@dataclass
class RobotRunResult:
    returncode: int
    output_dir: Path
    status: str  # PASS / FAIL / CRASHED (no output.xml, or one that cannot be read)
    stats: dict[str, object] = field(default_factory=dict)
    error: str | None = None  # why a CRASHED result has no statistics


def run_robot(
    manifest: RobotManifest,
    output_dir: Path,
    *,
    variables: dict[str, object],
    env: dict[str, str] | None = None,
    timeout_s: float | None = None,
) -> RobotRunResult:
    """Run the robot's task suite in its own process and read its result from output.xml."""
    from robot.api import ExecutionResult
    from robot.errors import DataError

    output_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "robot",
        "--rpa",
        "--outputdir",
        str(output_dir),
        "--console",
        "quiet",
    ]
    for key, value in variables.items():
        cmd += ["--variable", f"{key}:{value}"]
    cmd.append(str(manifest.tasks_path))
    try:
        proc = subprocess.run(  # nosec B603  # argv list, no shell: robot with the manifest's own paths and variables
            cmd,
            env={**os.environ, **(env or {})},
            timeout=timeout_s,
            cwd=manifest.directory,
            check=False,
            preexec_fn=functools.partial(_die_with_parent, os.getpid())
            if sys.platform == "linux"
            else None,
        )
    except subprocess.TimeoutExpired as exc:
        raise ApplicationException(f"roboten {manifest.name} avbröts efter {timeout_s} s") from exc
    output = output_dir / "output.xml"
    if not output.exists():
        return RobotRunResult(proc.returncode, output_dir, "CRASHED", error="ingen output.xml")
    try:
        result = ExecutionResult(str(output))
    except DataError as exc:
        # A robot killed mid-run leaves a truncated (or empty) output.xml: that attempt
        # crashed, like one that left none.
        return RobotRunResult(
            proc.returncode, output_dir, "CRASHED", error=f"output.xml kan inte läsas ({exc})"
        )
    stats = result.statistics.total
    summary: dict[str, object] = {"tasks_passed": stats.passed, "tasks_failed": stats.failed}
    summary.update(_worker_stats(output_dir))
    return RobotRunResult(proc.returncode, output_dir, result.suite.status, summary)


def _worker_stats(output_dir: Path) -> dict[str, object]:
    """What the robot engine reported beside output.xml: why it stopped with items left,
    seats that failed, system failures met (see ``robotlib.STATS_FILE``)."""
    path = output_dir / "worker-stats.json"
    try:
        stats = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    keys = ("stopped_reason", "seat_failures", "transient_errors", "seats_opened")
    return {k: stats[k] for k in keys if stats.get(k)}


def _die_with_parent(parent: int) -> None:
    """In the robot's child process: be killed when the process that started it dies."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)
