"""The ``standins`` command with the income register and ekonomiskt bistånd."""

from __future__ import annotations

import httpx

from tests.standins.test_standins_cli import run


def test_serve_help_names_the_income_register() -> None:
    serve = run("serve", "--help")
    assert serve.returncode == 0
    assert "--income-port" in serve.stdout and "8705" in serve.stdout
    generate = run("generate", "--help")
    assert "--type" in generate.stdout and "ekonomiskt_bistand" in generate.stdout


def test_generate_ekonomiskt_bistand(fresh_standins) -> None:  # type: ignore[no-untyped-def]
    result = run("generate", "--count", "30", "--seed", "4", "--type", "ekonomiskt_bistand",
                 "--url", fresh_standins.eservice_url)
    assert result.returncode == 0, result.stderr
    assert "submitted 30 applications" in result.stdout
    for category in ("grant", "refer", "refusal", "malformed"):
        assert category in result.stdout
    listed = httpx.get(f"{fresh_standins.eservice_url}/api/applications",
                       params={"type": "ekonomiskt_bistand"}).json()
    assert listed["total"] == 30


def test_world_command_summarizes_the_households() -> None:
    result = run("world", "--seed", "1")
    assert result.returncode == 0
    assert "ekonomiskt bistånd: 1600 households" in result.stdout
    assert "income_exceeds_norm" in result.stdout
