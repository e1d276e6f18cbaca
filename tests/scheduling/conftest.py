"""Scheduling fixtures: caserobot settings in tmp, Prefect's real server, a clean slate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from caserobot.settings import Settings, get_settings


@pytest.fixture
def scheduling_settings(
    prefect_harness: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings with run data in tmp, pointed at the session's Prefect server.

    Deletes every caserobot deployment afterwards, so tests do not see each other's.
    """
    monkeypatch.setenv("CASEROBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PREFECT_API_URL", prefect_harness)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
    from caserobot import scheduling

    with scheduling.prefect_client() as client:
        for deployment in scheduling._deployments(client):
            client.delete_deployment(deployment.id)
