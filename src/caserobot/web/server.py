"""Serving the web UI with uvicorn until Ctrl-C or SIGTERM, then returning quietly.

uvicorn shuts down gracefully on a signal and then raises the signal again, so that the
default handler ends the process. caserobot's commands have more to stop after the web UI
(the demo: a Prefect worker, Prefect's server, the stand-ins), so the server here stops and
simply returns, and the caller cleans up.

uvicorn's own proxy-header handling is off (:func:`server_config`): by default it believes
``X-Forwarded-For`` from 127.0.0.1, i.e. from any local process. The app trusts only the
proxies in ``CASEROBOT_WEB__TRUSTED_PROXIES`` (:func:`caserobot.web.app.create_app`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def server_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    """uvicorn's configuration for the web UI: no proxy headers believed by uvicorn itself."""
    return uvicorn.Config(
        app, host=host, port=port, log_level="warning", proxy_headers=False, server_header=False
    )


def run_server(app: FastAPI, host: str, port: int) -> None:
    """Serve ``app`` until Ctrl-C or SIGTERM; returns after a graceful shutdown."""
    _Server(server_config(app, host, port)).run()
