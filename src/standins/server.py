"""Run all five stand-ins in one process: one uvicorn server each, one asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator

import uvicorn

from standins import case_system, eservice, income, population, route
from standins.common import Tuning
from standins.options import ServeOptions
from standins.world import build_world

SYSTEMS = ("eservice", "case_system", "population", "route", "income")


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to :func:`serve`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bound_port(server: uvicorn.Server, fallback: int) -> int:
    for listener in getattr(server, "servers", []) or []:
        for sock in listener.sockets:
            return int(sock.getsockname()[1])
    return fallback


async def serve(options: ServeOptions) -> int:
    """Serve until SIGTERM/SIGINT; print one ``standins ready: …`` line once all listen."""
    world = build_world(options.seed)
    api = Tuning(latency_ms=options.api_latency_ms, fail_rate=options.fail_rate)
    ui = Tuning(latency_ms=options.ui_latency_ms, fail_rate=options.fail_rate,
                seats=options.seats, session_timeout_s=options.session_timeout_s)
    apps = {
        "eservice": (eservice.create_app(world, api), options.eservice_port),
        "case_system": (case_system.create_app(world, ui), options.case_port),
        "population": (population.create_app(world, api), options.population_port),
        "route": (route.create_app(world, api), options.route_port),
        "income": (income.create_app(world, api), options.income_port),
    }
    servers = {
        name: _Server(uvicorn.Config(app, host=options.host, port=port, lifespan="off",
                                     log_level=options.log_level, access_log=False))
        for name, (app, port) in apps.items()
    }
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers.values():
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    async def run_one(server: uvicorn.Server) -> None:
        with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind its port
            await server.serve()

    tasks = [asyncio.create_task(run_one(s)) for s in servers.values()]
    while not all(s.started for s in servers.values()):
        if any(t.done() for t in tasks):  # a port was taken: uvicorn gives up
            stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            print("standins: could not start all servers", file=sys.stderr, flush=True)
            return 1
        await asyncio.sleep(0.02)
    urls = {
        name: f"http://{options.host}:{_bound_port(servers[name], apps[name][1])}"
        for name in SYSTEMS
    }
    print("standins ready: " + " ".join(f"{n}={u}" for n, u in urls.items()), flush=True)
    await asyncio.gather(*tasks, return_exceptions=True)
    print("standins stopped", flush=True)
    return 0


def run(options: ServeOptions) -> int:
    return asyncio.run(serve(options))
