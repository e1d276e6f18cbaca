"""Robots: their manifests (robots/<name>/robot.yaml) and how one run of a robot is started.

A robot run is a separate ``robot`` process (Robot Framework is not thread-safe), which
writes output.xml, log.html and report.html into the run's output directory.
"""

from __future__ import annotations

import os
import subprocess
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
    status: str  # PASS / FAIL / CRASHED
    stats: dict[str, object] = field(default_factory=dict)


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
        proc = subprocess.run(
            cmd,
            env={**os.environ, **(env or {})},
            timeout=timeout_s,
            cwd=manifest.directory,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ApplicationException(f"roboten {manifest.name} avbröts efter {timeout_s} s") from exc
    output = output_dir / "output.xml"
    if not output.exists():
        return RobotRunResult(proc.returncode, output_dir, "CRASHED")
    result = ExecutionResult(str(output))
    stats = result.statistics.total
    return RobotRunResult(
        proc.returncode,
        output_dir,
        result.suite.status,
        {"tasks_passed": stats.passed, "tasks_failed": stats.failed},
    )
