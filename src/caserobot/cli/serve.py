"""``caserobot serve``: the web UI (uvicorn)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from caserobot.cli import app
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
    from caserobot.runtime import PREFECT_PORT, apply_isolated_env
    from caserobot.web import create_app
    from caserobot.web.server import run_server

    settings = get_settings()
    apply_isolated_env(settings)
    # Seat-limit changes go to Prefect's server: the operator's, else the local one.
    os.environ.setdefault("PREFECT_API_URL", f"http://127.0.0.1:{PREFECT_PORT}/api")
    host = host or settings.web.host
    port = port or settings.web.port
    web_app = create_app(settings)
    typer.echo(f"caserobot web UI: http://{host}:{port}/  (database: {web_app.state.db.backend})")
    typer.echo("Stop with Ctrl+C.")
    run_server(web_app, host, port)
