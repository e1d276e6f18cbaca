"""Imports every command module so that each registers itself on the app."""

from caserobot.cli import audit, decide, demo, run, schedules, serve, users, views  # noqa: F401
