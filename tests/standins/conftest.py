"""Make the stand-in fixtures available here even before tests/conftest.py registers them."""

from __future__ import annotations

import pytest

PLUGIN = "tests.fixtures.standins"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.import_plugin(PLUGIN)


@pytest.fixture(scope="session")
def world():  # type: ignore[no-untyped-def]
    """The world the ``standins`` fixture serves (default seed 1), built in-process."""
    from standins.world import build_world

    return build_world(1)
