"""``caserobot audit verify``: walk the audit log's hash chain and name the first broken row."""

from __future__ import annotations

import typer

from caserobot.cli import app
from caserobot.settings import get_settings

EXIT_BROKEN = 1

audit_app = typer.Typer(help="The audit log: check that it is unchanged.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify() -> None:
    """Check every row's hash and link. Exit 0 when the chain is whole, 1 when it is broken.

    Note the printed head hash somewhere else (a ticket, a mail): rows removed from the end
    leave the rest of the chain whole, but the head hash then differs from the one noted.
    """
    from caserobot import audit
    from caserobot.db import init_db

    check = audit.verify(init_db(get_settings()).sessions)
    if check.ok:
        head = check.head_hash or "-"
        typer.echo(f"Audit log intact: {check.checked} rows checked; head hash {head}.")
        return
    typer.echo(
        f"Audit log BROKEN at row {check.first_broken_id}: {check.problem}. "
        f"The {check.checked} rows before it are intact.",
        err=True,
    )
    raise typer.Exit(EXIT_BROKEN)
