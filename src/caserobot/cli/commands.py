"""Imports every command module so that each registers itself on the app."""

from caserobot.cli import (  # noqa: F401
    audit,
    canary,
    decide,
    demo,
    run,
    schedules,
    serve,
    users,
    views,
)
