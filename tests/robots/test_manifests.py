"""Robots are found in the installed case types' packages and in ``robots/``; each manifest
names its Prefect flow, and a wrong one is named, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import Flow

from caserobot import discovery, robots
from caserobot.exceptions import ConfigurationError, InputError


def test_each_case_type_brings_its_robot_and_flow() -> None:
    found = {m.name: m for m in robots.list_manifests()}
    for name, package in discovery.installed().items():
        if package.robot is None:  # rules only so far (decide works; no robot yet)
            assert package.handler is None
            continue
        manifest = found[name]
        assert manifest.case_type == name
        assert manifest.directory == package.robot
        assert manifest.tasks_path.is_file()
        assert manifest.flow_is_module
        flow = robots.load_flow(manifest)
        assert isinstance(flow, Flow) and flow.name == name


def _robot(root: Path, folder: str, name: str, flow: str | None) -> Path:
    (root / folder).mkdir(parents=True)
    text = f"name: {name}\nversion: '1'\nowner: test\ncase_type: skolskjuts\n"
    if flow is not None:
        text += f"flow: {flow}\n"
    (root / folder / "robot.yaml").write_text(text, encoding="utf-8")
    return root / folder


def test_a_robot_of_its_own_runs_a_flow_file_next_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(robots, "ROBOTS_DIR", tmp_path)
    directory = _robot(tmp_path, "egen", "egen", "flow.py:egen")
    (directory / "flow.py").write_text(
        "from prefect import flow\n@flow(name='egen')\ndef egen() -> int:\n    return 1\n",
        encoding="utf-8",
    )
    manifest = robots.load_manifest("egen")
    assert not manifest.flow_is_module
    assert robots.load_flow(manifest).name == "egen"
    assert {"egen", "skolskjuts"} <= {m.name for m in robots.list_manifests()}


def test_a_wrong_flow_or_name_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(robots, "ROBOTS_DIR", tmp_path)
    _robot(tmp_path, "utan", "utan", None)
    _robot(tmp_path, "trasig", "trasig", "caserobot_finns_inte.flow:trasig")
    with pytest.raises(InputError, match="har inget flöde"):
        robots.load_flow(robots.load_manifest("utan"))
    with pytest.raises(ConfigurationError) as caught:
        robots.load_flow(robots.load_manifest("trasig"))
    assert "caserobot_finns_inte.flow:trasig" in str(caught.value)
    with pytest.raises(InputError) as unknown:
        robots.load_manifest("saknas")
    assert "skolskjuts" in str(unknown.value) and "trasig" in str(unknown.value)


def test_two_robots_with_one_name_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(robots, "ROBOTS_DIR", tmp_path)
    _robot(tmp_path, "kopia", "skolskjuts", "flow.py:skolskjuts")  # the package's name
    with pytest.raises(ConfigurationError) as caught:
        robots.list_manifests()
    assert "skolskjuts" in str(caught.value) and "finns redan" in str(caught.value)
