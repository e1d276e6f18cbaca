"""Shared pytest configuration. Fixtures live in topic modules under tests/fixtures/."""

pytest_plugins = ["tests.fixtures.database"]
