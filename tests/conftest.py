"""Shared fixtures: stand-ins, databases (SQLite and PostgreSQL), platform settings, Prefect."""

pytest_plugins = [
    "tests.fixtures.standins",
    "tests.fixtures.database",
    "tests.fixtures.platform",
    "tests.fixtures.prefect",
]
