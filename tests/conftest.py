"""Shared fixtures: stand-ins (subprocess), databases (SQLite and PostgreSQL), platform settings."""

pytest_plugins = [
    "tests.fixtures.standins",
    "tests.fixtures.database",
    "tests.fixtures.platform",
]
