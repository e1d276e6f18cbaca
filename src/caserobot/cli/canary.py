"""``caserobot canary check|accept ROBOT``: the UI-drift canary from the shell."""

from __future__ import annotations

import asyncio
import getpass
import json
from typing import Annotated

import typer

from caserobot.cli import app
from caserobot.settings import get_settings

EXIT_CHANGED = 1

canary_app = typer.Typer(
    help="The UI-drift canary: the case system's screens against the accepted layout.",
    no_args_is_help=True,
)
app.add_typer(canary_app, name="canary")


@canary_app.command("check")
def check(
    robot: Annotated[str, typer.Argument(help="The robot's name, as in 'caserobot robots'.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Read every screen the robot uses (reading only) and compare with the accepted layout.

    Exit 0 when nothing changed, 1 when a screen changed: the robot is then paused until
    `caserobot canary accept ROBOT`.
    """
    from caserobot import canary, credentials
    from caserobot.db import init_db
    from caserobot.exceptions import CaseRobotError

    settings = credentials.apply(get_settings())
    try:
        result = asyncio.run(canary.check_robot(settings, init_db(settings).sessions, robot))
    except (CaseRobotError, LookupError) as exc:
        typer.echo(f"Fel: {_text(exc, robot)}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, default=str))
    else:
        for s in result.screens:
            extra = "; ".join(s.findings) or s.note
            typer.echo(f"{s.status:9} {s.title}{': ' + extra if extra else ''}")
        typer.echo(result.message)
        typer.echo(f"Kontrollen tog {result.elapsed_ms:.0f} ms.")
    if not result.ok:
        raise typer.Exit(EXIT_CHANGED)


@canary_app.command("accept")
def accept(
    robot: Annotated[str, typer.Argument(help="The robot's name, as in 'caserobot robots'.")],
) -> None:
    """Accept the screens as last checked (once the page objects read them) and resume."""
    from caserobot import canary
    from caserobot.db import init_db
    from caserobot.exceptions import CaseRobotError

    sessions = init_db(get_settings()).sessions
    try:
        screens = canary.screens_for(sessions, robot)
        accepted = canary.accept(
            sessions, robot, screens, actor=f"cli:{getpass.getuser()}", client="cli"
        )
    except (CaseRobotError, LookupError) as exc:
        typer.echo(f"Fel: {_text(exc, robot)}", err=True)
        raise typer.Exit(EXIT_CHANGED) from None
    typer.echo(
        f"Den nya layouten är godtagen för {len(accepted)} skärmar; roboten {robot} är "
        "återupptagen."
    )


def _text(exc: Exception, robot: str) -> str:
    from caserobot.registry import NotRegistered

    if isinstance(exc, NotRegistered):
        return f"det finns ingen robot '{robot}' (caserobot robots listar dem)"
    return str(exc)
