"""Imports every command module so that each registers itself on the app."""

from caserobot.cli import decide, run, views  # noqa: F401
