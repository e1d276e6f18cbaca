"""``caserobot users …``: the web UI's users (add, list, passwd, disable, enable, protected)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from caserobot.cli import app
from caserobot.exceptions import InputError
from caserobot.settings import get_settings

EXIT_INPUT = 2

users_app = typer.Typer(
    help="The web UI's users: administrators, caseworkers and managers.",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _sessions():  # type: ignore[no-untyped-def]
    from caserobot.db import init_db

    return init_db(get_settings()).sessions


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            _fail("no password on standard input")
        return password
    first = typer.prompt("Lösenord", hide_input=True)
    second = typer.prompt("Lösenord igen", hide_input=True)
    if first != second:
        _fail("lösenorden är inte lika")
    return str(first)


PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input"
    ),
]


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name, e.g. anna.andersson")],
    role: Annotated[
        str, typer.Option(help="admin (robot administrator), caseworker or manager")
    ] = "caseworker",
    unit: Annotated[
        list[str] | None,
        typer.Option(
            help="A caseworker's unit (a case type's, see `caserobot case-types`); "
            "repeat for more units"
        ),
    ] = None,
    name: Annotated[str, typer.Option(help='Display name, e.g. "Anna Andersson"')] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user. Prompts for the password (twice) unless --password-stdin is given.

    Example: caserobot users add anna --role caseworker --unit Försörjningsstöd --name "Anna A"
    """
    from caserobot import users

    try:
        users.check_new_user(username=username, role=role, units=unit or [])
    except InputError as exc:
        _fail(exc.detail)
    password = _password(password_stdin)
    try:
        user = users.add_user(
            _sessions(),
            username=username,
            password=password,
            role=role,
            units=unit or [],
            display_name=name,
            actor=_actor(),
        )
    except InputError as exc:
        _fail(exc.detail)
    units = f", {', '.join(user.units)}" if user.units else ""
    typer.echo(f"Added {user.username} ({user.role}{units}).")


@users_app.command("list")
def list_() -> None:
    """List the users with role, units, status and last login.

    "(skyddade)" after the role: may open items with protected identity.
    """
    from caserobot import users

    table = Table(title="Användare", title_justify="left")
    for col in ("Användarnamn", "Namn", "Roll", "Enheter", "Aktiv", "Senast inloggad"):
        table.add_column(col)
    for u in users.list_users(_sessions()):
        last = f"{u.last_login_at:%Y-%m-%d %H:%M} UTC" if u.last_login_at else "–"
        table.add_row(
            u.username,
            u.display_name,
            users.ROLE_LABELS[u.role] + (" (skyddade)" if u.may_view_protected else ""),
            ", ".join(u.units) or "–",
            "ja" if u.active else "nej",
            last,
        )
    Console().print(table)


@users_app.command("passwd")
def passwd(
    username: Annotated[str, typer.Argument(help="The user whose password to set")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password. Prompts (twice) unless --password-stdin is given."""
    from caserobot import users

    sessions = _sessions()
    if users.get_user(sessions, username) is None:
        _fail(f"det finns ingen användare {username!r}")
    password = _password(password_stdin)
    try:
        users.set_password(sessions, username, password, actor=_actor())
    except InputError as exc:
        _fail(exc.detail)
    typer.echo(f"Password of {username} changed.")


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="The user to disable")]) -> None:
    """Stop a user from logging in (their open sessions end at once)."""
    _set_active(username, False)


@users_app.command("enable")
def enable(username: Annotated[str, typer.Argument(help="The user to enable")]) -> None:
    """Let a disabled user log in again."""
    _set_active(username, True)


def _set_active(username: str, active: bool) -> None:
    from caserobot import users

    try:
        users.set_active(_sessions(), username, active, actor=_actor())
    except InputError as exc:
        _fail(exc.detail)
    typer.echo(f"{username} {'enabled' if active else 'disabled'}.")


@users_app.command("protected")
def protected(
    username: Annotated[str, typer.Argument(help="The user to grant or withdraw it from")],
    allow: Annotated[
        bool,
        typer.Option(
            "--allow/--deny",
            help="Grant (--allow) or withdraw (--deny) the permission",
        ),
    ],
) -> None:
    """Let a caseworker open items of people with protected identity (skyddad identitet).

    Without it, such items show in the queue without personal details and do not open.
    Example: caserobot users protected anna --allow
    """
    from caserobot import users

    try:
        users.set_may_view_protected(_sessions(), username, allow, actor=_actor())
    except InputError as exc:
        _fail(exc.detail)
    what = "may now open" if allow else "may no longer open"
    typer.echo(f"{username} {what} items with protected identity.")
