"""``caserobot serve`` as a process: it answers, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_and_stops_cleanly_on_ctrl_c(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    env = {
        **os.environ,
        "CASEROBOT_VAR_DIR": str(tmp_path / "var"),
        "PREFECT_API_URL": "http://127.0.0.1:9/api",  # none: the UI must not start one
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "caserobot.cli.__main__", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
                time.sleep(0.3)
        assert page.status_code == 200 and "Logga in" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/casework").status_code == 303  # to login

        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "Traceback" not in output and "ERROR" not in output
