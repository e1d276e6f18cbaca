"""Serving the web UI with uvicorn until Ctrl-C or SIGTERM, then returning quietly.

uvicorn shuts down gracefully on a signal and then raises the signal again, so that the
default handler ends the process. caserobot's commands have more to stop after the web UI
(the demo: a Prefect worker, Prefect's server, the stand-ins), so the server here stops and
simply returns, and the caller cleans up.
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


def run_server(app: FastAPI, host: str, port: int) -> None:
    """Serve ``app`` until Ctrl-C or SIGTERM; returns after a graceful shutdown."""
    _Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()
