"""The ``standins`` command: help, serving, clean shutdown, and ``generate``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.fixtures.standins import SRC, start_standins, stop_standins


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "standins", *args], capture_output=True,
                          text=True, timeout=60, env=env)


def test_help_lists_commands_and_every_serve_option() -> None:
    top = run("--help")
    assert top.returncode == 0
    assert all(cmd in top.stdout for cmd in ("serve", "generate", "world"))
    serve = run("serve", "--help")
    assert serve.returncode == 0
    for option in ("--host", "--eservice-port", "--case-port", "--population-port",
                   "--route-port", "--seed", "--seats", "--session-timeout-s",
                   "--ui-latency-ms", "--api-latency-ms", "--fail-rate", "--lost-answer-rate",
                   "--lost-answer-mode", "--slow-write-rate", "--slow-write-s", "--hang-rate",
                   "--hang-s", "--slow-page-rate", "--slow-page-ms", "--fault-seed",
                   "--session-expiry-rate", "--seats-taken", "--layout-variant",
                   "--maintenance-s", "--set", "--outage"):
        assert option in serve.stdout, option
    assert "8702" in serve.stdout and "600" in serve.stdout  # defaults are shown


def test_console_script_is_installed() -> None:
    """scripts/bootstrap.sh installs the project, so its ``standins`` script must be there."""
    script = Path(sys.executable).with_name("standins")
    found = str(script) if script.exists() else shutil.which("standins")
    assert found is not None, "the standins console script is not installed"
    assert subprocess.run([found, "--help"], capture_output=True, timeout=60).returncode == 0


def test_serve_applies_options_and_stops_cleanly_on_sigterm() -> None:
    handle = start_standins("--seed", "2", "--session-timeout-s", "30", "--api-latency-ms",
                            "5", seats=2)
    try:
        config = httpx.get(f"{handle.case_system_url}/_test/config").json()
        assert config["seats"] == 2 and config["session_timeout_s"] == 30
        assert httpx.get(f"{handle.route_url}/_test/config").json()["latency_ms"] == 5
        for system in ("eservice", "case_system", "population", "route"):
            health = httpx.get(f"{handle.url(system)}/_test/health").json()
            assert health == {"status": "ok", "system": system, "requests": 0}
    finally:
        code = stop_standins(handle.process)
    assert code == 0


def test_serve_fails_fast_when_a_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--eservice-port", "0", "--case-port", str(port),
                     "--population-port", "0", "--route-port", "0")
    assert result.returncode == 1
    assert "standins ready" not in result.stdout


def test_generate_command_posts_to_the_eservice(fresh_standins) -> None:  # type: ignore[no-untyped-def]
    result = run("generate", "--count", "40", "--seed", "9", "--url", fresh_standins.eservice_url)
    assert result.returncode == 0, result.stderr
    assert "submitted 40 applications" in result.stdout and "malformed" in result.stdout
    total = httpx.get(f"{fresh_standins.eservice_url}/api/applications").json()["total"]
    assert total == 40
    failed = run("generate", "--count", "1", "--url", "http://127.0.0.1:9")
    assert failed.returncode == 1


def test_world_command_summarizes() -> None:
    result = run("world", "--seed", "1")
    assert result.returncode == 0
    assert "SK0001 Sickla skola" in result.stdout and "children" in result.stdout
