"""The ``caserobot`` command line (typer). Each sub-module registers its commands on :data:`app`."""

from __future__ import annotations

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

    logs.install()
    app()
