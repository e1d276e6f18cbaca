"""The Prefect server caserobot starts: loopback, basic auth, and only caserobot's own is used.

One real server (``prefect server start``) for the whole test: starting one takes 20-80 s
on a busy two-core machine.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

from caserobot import credentials, robots, runtime, scheduling
from caserobot.settings import Settings, get_settings
from tests.scheduling.test_worker import PROJECT, _wait_final

PASSWORD = "Hemligt-Lösen-4711"


class _Impostor(BaseHTTPRequestHandler):
    """Whatever else listens on the port: answers 200 to everything, records what it got."""

    seen: list[dict[str, str]] = []

    def _answer(self) -> None:
        self.seen.append({"path": self.path, "authorization": self.headers.get("Authorization")})
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def impostor() -> Iterator[tuple[int, list[dict[str, str]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    _Impostor.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], _Impostor.seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def own_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, impostor: tuple[int, list]
) -> Iterator[Settings]:
    """caserobot with no PREFECT_API_URL, its configured Prefect port held by the impostor."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("PREFECT_API_AUTH_STRING", raising=False)
    monkeypatch.setenv("CASEROBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CASEROBOT_PREFECT__PORT", str(impostor[0]))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.mark.slow
def test_own_server_needs_auth_and_a_foreign_one_is_never_used(
    own_settings: Settings,
    impostor: tuple[int, list],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, seen = impostor
    settings = own_settings
    runtime.apply_isolated_env(settings)
    # a marker naming the impostor's port (left over, or planted) is not proof either
    marker = runtime.server_marker(settings)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"pid": os.getpid(), "port": port}), encoding="utf-8")
    assert runtime.own_prefect_server(settings) is None

    started = time.monotonic()
    server = runtime.start_prefect_server(settings)
    startup_s = time.monotonic() - started
    assert server is not None, "attached to the impostor"
    try:
        api = server.api_url
        print(f"own Prefect server started in {startup_s:.1f} s at {api}")
        assert api != f"http://127.0.0.1:{port}/api" and os.environ["PREFECT_API_URL"] == api
        assert all(s["authorization"] is None for s in seen), "the auth string went elsewhere"
        _check_loopback_only(api)
        auth = runtime.prefect_auth_string(settings)
        for path in (settings.var_dir / "prefect-auth", marker):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert json.loads(marker.read_text())["port"] == int(api.rsplit(":", 1)[1].split("/")[0])

        with temporary_settings({PREFECT_API_URL: api, PREFECT_API_AUTH_STRING: auth}):
            credentials.store("arendesystem", "robot07", PASSWORD, actor="test")

            # the defect: anyone reaching the API read the password and could change deployments
            for wrong in (None, ("caserobot", "fel")):
                secret = httpx.post(
                    f"{api}/block_documents/filter", json={"include_secrets": True}, auth=wrong
                )
                assert secret.status_code == 401 and PASSWORD not in secret.text
                deployments = httpx.post(f"{api}/deployments/filter", json={}, auth=wrong)
                assert deployments.status_code == 401
            assert httpx.get(f"{api}/health").status_code == 200  # probes stay open

            # with the auth string Prefect's own clients work; listings carry no password
            loaded = credentials.load("arendesystem")
            assert loaded is not None and loaded.password.get_secret_value() == PASSWORD
            assert [(c.system, c.username) for c in credentials.list_stored()] == [
                ("arendesystem", "robot07")
            ]
            listed = httpx.post(
                f"{api}/block_documents/filter",
                json={"include_secrets": False},
                auth=tuple(auth.split(":", 1)),  # type: ignore[arg-type]
            )
            assert listed.status_code == 200 and PASSWORD not in listed.text
            assert runtime.own_prefect_server(settings) == api

            # another caserobot process finds this server by its marker, with the auth
            cli = subprocess.run(
                [sys.executable, "-m", "caserobot.cli.__main__", "credentials", "list"],
                capture_output=True,
                text=True,
                timeout=180,
                env={k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")},
            )
            assert cli.returncode == 0, cli.stdout + cli.stderr
            assert "robot07" in cli.stdout and PASSWORD not in cli.stdout + cli.stderr
            assert all(s["authorization"] is None for s in seen)

            # a worker caserobot starts, and the flow runs it starts, authenticate too
            monkeypatch.setattr(robots, "ROBOTS_DIR", PROJECT / "robots")
            created = scheduling.create_schedule("tiny", "0 3 1 1 *", actor="test")
            worker = runtime.start_worker(settings)
            assert worker is not None
            try:
                state = _wait_final(scheduling.run_now(created.name, actor="test"), 240)
            finally:
                worker.stop()
            assert state == "Completed", worker.log_path.read_text(errors="replace")[-3000:]
            job_env = json.dumps(scheduling.get_schedule(created.name).model_dump(mode="json"))
            assert auth.split(":", 1)[1] not in job_env  # never in what Prefect's UI shows
    finally:
        server.stop()
    assert not marker.exists()


def _check_loopback_only(api: str) -> None:
    """Nothing answers on the machine's other addresses."""
    port = int(api.rsplit(":", 1)[1].split("/")[0])
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        return
    if address.startswith("127."):
        return
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{address}:{port}/api/health", timeout=2)
