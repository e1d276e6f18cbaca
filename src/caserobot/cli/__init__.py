"""The ``caserobot`` command line (typer). Each sub-module registers its commands on :data:`app`."""

from __future__ import annotations

import os

import typer

app = typer.Typer(
    name="caserobot",
    help="Software robots for the legacy case systems of Swedish municipalities.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    # Import for the side effect of registering commands.
    from caserobot import logs
    from caserobot.cli import commands  # noqa: F401

    # Run data is personal data: every file and directory caserobot and its children (Prefect
    # worker, Robot Framework, SQLite) create is private to this OS user: 0600 / 0700.
    os.umask(0o077)
    logs.install()
    app()
