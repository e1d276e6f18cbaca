"""Robots: their manifests (``robot.yaml``), their Prefect flows and how one run is started.

A case type's robot lives in its package (:attr:`caserobot.discovery.CaseTypePackage.robot`:
``robot.yaml``, ``tasks.robot``, ``devdata/``); robots that belong to no package (a
municipality's own) are folders in ``robots/``. A manifest names its flow: ``module:function``
of an installed package (deployed by module path, the way Prefect runs installed code) or
``<file>.py:function`` next to the manifest.

A robot run is a separate ``robot`` process (Robot Framework is not thread-safe), which
writes output.xml, log.html and report.html into the run's output directory. On Linux the
robot process is killed when the process that started it dies, so a robot never works on
for a run whose owner is gone (the registry marks such a run ``crashed``).
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import json
import os
import signal
import subprocess  # nosec B404  # runs Robot Framework as a child process
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from caserobot import discovery, robotlog
from caserobot.exceptions import ApplicationException, ConfigurationError, InputError
from caserobot.settings import PROJECT_ROOT

#: Robots that are not a case type's package: one folder each, with its robot.yaml.
ROBOTS_DIR = PROJECT_ROOT / "robots"


class RobotManifest(BaseModel):
    name: str
    version: str
    owner: str
    case_type: str
    description: str = ""
    legacy_systems: list[str] = Field(default_factory=list)
    tasks: str = "tasks.robot"
    flow: str | None = Field(
        default=None,
        description="Its Prefect flow: 'module:function' (installed) or 'file.py:function'",
    )
    directory: Path = Field(default=Path("."), exclude=True)

    @property
    def tasks_path(self) -> Path:
        return self.directory / self.tasks

    @property
    def flow_is_module(self) -> bool:
        """The flow is imported from an installed package (not a file next to the robot)."""
        return self.flow is not None and not self.flow.partition(":")[0].endswith(".py")


def _manifests() -> dict[str, RobotManifest | ConfigurationError]:
    """Every robot by the name it declares, each robot.yaml read once: the installed case
    types' robots first, then ``ROBOTS_DIR``. A manifest that cannot be read is kept as its
    error (under its folder's name); a name found twice is a configuration error."""
    found: dict[str, RobotManifest | ConfigurationError] = {}
    dirs = [p.robot for p in discovery.installed().values() if p.robot is not None]
    dirs += sorted(p.parent for p in ROBOTS_DIR.glob("*/robot.yaml"))
    for directory in dirs:
        path = directory / "robot.yaml"
        try:
            manifest = read_manifest(directory)
            read: RobotManifest | ConfigurationError = manifest
            name = manifest.name
        except ConfigurationError as exc:
            read = exc
            name = directory.name
        if name in found:
            other = found[name]
            where = other.directory if isinstance(other, RobotManifest) else "en annan mapp"
            raise ConfigurationError(str(path), f"roboten {name!r} finns redan i {where}")
        found[name] = read
    return found


def read_manifest(directory: Path) -> RobotManifest:
    """The ``robot.yaml`` in ``directory``. Raises ConfigurationError naming the file."""
    path = directory / "robot.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return RobotManifest.model_validate({**data, "directory": directory})
    except (OSError, yaml.YAMLError, ValidationError, TypeError) as exc:
        raise ConfigurationError(str(path), str(exc).splitlines()[0]) from None


def load_manifest(name: str) -> RobotManifest:
    manifests = _manifests()
    if name not in manifests:
        known = ", ".join(sorted(manifests)) or "inga"
        raise InputError("robot", f"roboten '{name}' finns inte (kända: {known})")
    manifest = manifests[name]
    if isinstance(manifest, ConfigurationError):
        raise manifest
    return manifest


def list_manifests() -> list[RobotManifest]:
    """Every robot, by name. Raises the ConfigurationError of a manifest that is wrong."""
    found = []
    for _, manifest in sorted(_manifests().items()):
        if isinstance(manifest, ConfigurationError):
            raise manifest
        found.append(manifest)
    return found


def load_flow(manifest: RobotManifest) -> Any:
    """The robot's Prefect flow object.

    Raises:
        InputError: the manifest names no flow.
        ConfigurationError: the flow it names cannot be loaded.
    """
    from prefect import Flow
    from prefect.flows import load_flow_from_entrypoint

    if manifest.flow is None:
        raise InputError("robot", f"roboten '{manifest.name}' har inget flöde (flow i robot.yaml)")
    try:
        if manifest.flow_is_module:
            module, _, attr = manifest.flow.partition(":")
            loaded = getattr(importlib.import_module(module), attr)
        else:
            loaded = load_flow_from_entrypoint(str(manifest.directory / manifest.flow))
    except Exception as exc:  # a broken flow names itself, never a bare traceback
        raise ConfigurationError(
            f"roboten {manifest.name}", f"flödet {manifest.flow!r} går inte att läsa in: {exc}"
        ) from exc
    if not isinstance(loaded, Flow):
        raise ConfigurationError(
            f"roboten {manifest.name}", f"{manifest.flow!r} är inte ett Prefect-flöde"
        )
    return loaded


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
        # Each work item as a task of its own (caserobot.robotlog); the log in parts that
        # log.html loads as they are opened, so it stays usable at 25,000 items.
        "--listener",
        "caserobot.robotlog.WorkItemLog",
        "--splitlog",
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
    # The robot's own tasks decide the run's status; the work items it logged as tasks of
    # the child suite (caserobot.robotlog) are counted apart: an item's system error is
    # the item's, retried by the queue, not a failed run.
    tasks = list(result.suite.tests)
    failed = sum(t.status == "FAIL" for t in tasks)
    summary: dict[str, object] = {"tasks_passed": len(tasks) - failed, "tasks_failed": failed}
    items = [t for s in result.suite.suites if s.name == robotlog.SUITE for t in s.tests]
    if items:
        summary["items_logged"] = len(items)
    summary.update(_worker_stats(output_dir))
    status = "FAIL" if failed or (not tasks and result.suite.status == "FAIL") else "PASS"
    return RobotRunResult(proc.returncode, output_dir, status, summary)


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
