"""``caserobot serve``: the web UI (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from caserobot.cli import app
from caserobot.exceptions import ConfigurationError
from caserobot.settings import get_settings


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: CASEROBOT_WEB__HOST)")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on (default: CASEROBOT_WEB__PORT)"),
    ] = None,
) -> None:
    """Serve the web UI on the database of the settings (embedded SQLite by default).

    Add the first administrator with: caserobot users add NAME --role admin
    """
    from caserobot.runtime import apply_isolated_env, attach_prefect
    from caserobot.web import create_app
    from caserobot.web.server import run_server

    settings = get_settings()
    apply_isolated_env(settings)
    # Seat limits, schedules and credentials go to Prefect's server: the operator's, else the
    # one caserobot started for this var directory (proven, with its auth), never another.
    attach_prefect(settings)
    host = host or settings.web.host
    port = port or settings.web.port
    try:
        web_app = create_app(settings)
    except ConfigurationError as exc:  # e.g. an empty web-secret-key file
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"caserobot web UI: http://{host}:{port}/  (database: {web_app.state.db.backend})")
    typer.echo("Stop with Ctrl+C.")
    run_server(web_app, host, port)
