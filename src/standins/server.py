"""Run all stand-ins in one process: one uvicorn server each, one asyncio loop.

The five built-in systems, then every system a plugin brings (:mod:`standins.plugins`,
entry-point group ``caserobot.standins``), each on its own port with the same knobs,
faults and outages.

An outage (``POST /_test/outage``, ``standins serve --outage``) is the real thing: the
system's uvicorn server stops listening and drops its open connections; a bare TCP listener
takes the port and closes every connection it accepts (as a load balancer with no backend
does), counting them; then a new uvicorn server serves the same app again. Data and ledger
are kept (they live in the app), sessions are not (as after a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import uvicorn
from fastapi import FastAPI

from standins import case_system, eservice, income, knobs, population, route
from standins.common import TZ, StandIn, Tuning
from standins.options import FAULT_FLAGS, ServeOptions
from standins.plugins import BUILT_IN_SYSTEMS, PluginError, PluginServer, PluginSet, installed
from standins.world import World, build_world

SYSTEMS = BUILT_IN_SYSTEMS
"""The built-in systems, in the order of the ready line (plugin systems follow)."""


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to :func:`serve`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _Refuse(asyncio.Protocol):
    """Accept a connection and close it at once, counting it on the stand-in."""

    def __init__(self, state: StandIn) -> None:
        self.state = state

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.state.outage_connections += 1
        transport.abort()


class Endpoint:
    """One stand-in's listening side: its uvicorn server, or the dead port of an outage."""

    def __init__(self, name: str, app: FastAPI, host: str, port: int, log_level: str) -> None:
        self.name, self.app, self.host, self.port = name, app, host, port
        self.log_level = log_level
        self.state: StandIn = app.state.standin
        self.state.outage_hook = self.outage
        self.server: _Server | None = None
        self.task: asyncio.Task[None] | None = None
        self.down_until = 0.0
        self.closing = False
        self._lock = asyncio.Lock()

    async def start(self) -> bool:
        """Serve; True once listening (False if the port could not be bound)."""
        self.server = _Server(uvicorn.Config(
            self.app, host=self.host, port=self.port, lifespan="off",
            log_level=self.log_level, access_log=False))

        async def run(server: _Server) -> None:
            with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind its port
                await server.serve()

        self.task = asyncio.create_task(run(self.server))
        while not self.server.started:
            if self.task.done():
                return False
            await asyncio.sleep(0.02)
        for listener in self.server.servers:
            for sock in listener.sockets:
                self.port = int(sock.getsockname()[1])  # port 0 → the one picked
                break
        return True

    async def stop(self, force: bool = False) -> None:
        """Stop serving; ``force`` also drops open connections (a crash, not a shutdown)."""
        server, task = self.server, self.task
        if server is None or task is None:
            return
        server.should_exit = True
        server.force_exit = force
        self.state.wake_all()  # hung requests end now
        await asyncio.gather(task, return_exceptions=True)
        if force:
            for connection in list(server.server_state.connections):
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    transport.abort()
        self.server = self.task = None

    async def outage(self, seconds: float) -> None:
        """Down for ``seconds`` (a second call while down extends the outage), then back."""
        until = time.monotonic() + seconds
        if self._lock.locked():
            self.down_until = max(self.down_until, until)
            return
        async with self._lock:
            self.down_until = until
            self.state.count("outage")
            await self.stop(force=True)
            self.state.on_restart()
            loop = asyncio.get_running_loop()
            dead = await loop.create_server(lambda: _Refuse(self.state), self.host, self.port)
            try:
                while not self.closing and (left := self.down_until - time.monotonic()) > 0:
                    await asyncio.sleep(min(left, 0.2))
            finally:
                dead.close()
                await dead.wait_closed()
            if self.closing:
                return
            for _ in range(50):  # the port is ours again at once; retry in case it is not
                if await self.start():
                    return
                await asyncio.sleep(0.1)
            print(f"standins: {self.name} could not listen again after its outage",
                  file=sys.stderr, flush=True)

    async def close(self) -> None:
        self.closing = True
        await self.stop()


def tunings(options: ServeOptions,
            servers: Mapping[str, PluginServer] | None = None) -> dict[str, Tuning]:
    """Each system's start-up tuning from the flags (plugin ``servers`` too); raises
    KnobError on a bad value."""
    servers = servers or {}
    shared: dict[str, Any] = {name: knobs.check(name, getattr(options, name))
                              for name in ("fail_rate", *FAULT_FLAGS)}
    if options.maintenance_s:
        seconds = knobs.check(knobs.MAINTENANCE_S, options.maintenance_s)
        shared["maintenance_until"] = in_seconds(seconds)
    out: dict[str, Tuning] = {}
    for system in (*SYSTEMS, *servers):
        own = {k: v for k, v in shared.items() if k in knobs.names_for(system)}
        if system == "case_system" or (system in servers and servers[system].sessions):
            own |= {"latency_ms": options.ui_latency_ms, "seats": options.seats,
                    "session_timeout_s": options.session_timeout_s}
        else:
            own["latency_ms"] = options.api_latency_ms
        out[system] = replace(Tuning(), **{k: knobs.check(k, v) for k, v in own.items()})
    for setting in options.settings:  # --set SYSTEM.KNOB=VALUE, after the shared flags
        system, name, value = parse_setting(setting, tuple(out))
        checked = knobs.check_all(system, {name: value})
        if name == knobs.MAINTENANCE_S:
            checked = {"maintenance_until": in_seconds(value) if value else None}
        out[system] = replace(out[system], **checked)
    return out


def in_seconds(seconds: float) -> str:
    """Now + ``seconds`` as ISO 8601 with offset."""
    return datetime.fromtimestamp(time.time() + seconds, TZ).isoformat()


def parse_setting(text: str, systems: tuple[str, ...] = SYSTEMS) -> tuple[str, str, Any]:
    """``SYSTEM.KNOB=VALUE`` → (system, knob, value); KnobError when malformed."""
    target, sep, value = text.partition("=")
    system, dot, name = target.partition(".")
    if not sep or not dot or system not in systems:
        raise knobs.KnobError("--set", f"{text!r}: write SYSTEM.KNOB=VALUE, SYSTEM one of "
                              f"{', '.join(systems)}")
    return system, name, knobs.parse_value(value)


def parse_outage(text: str, systems: tuple[str, ...] = SYSTEMS) -> tuple[str, float, float]:
    """``SYSTEM:START_S:DURATION_S`` → (system, start, duration); KnobError when malformed."""
    parts = text.split(":")
    try:
        system, start, duration = parts[0], float(parts[1]), float(parts[2])
        ok = len(parts) == 3 and system in systems and start >= 0 and duration > 0
    except (IndexError, ValueError):
        ok = False
    if not ok:
        raise knobs.KnobError("--outage", f"{text!r}: write SYSTEM:START_S:DURATION_S, "
                              f"SYSTEM one of {', '.join(systems)}")
    return system, start, duration


def ports(options: ServeOptions, servers: Mapping[str, PluginServer]) -> dict[str, int]:
    """Each system's port: its flag or a plugin's default, then ``--port *=PORT`` (every
    system; ``*=0`` picks free ports), then ``--port SYSTEM=PORT``."""
    out = {"eservice": options.eservice_port, "case_system": options.case_port,
           "population": options.population_port, "route": options.route_port,
           "income": options.income_port} | {n: s.port for n, s in servers.items()}
    given = []
    for text in options.ports:
        system, sep, number = text.partition("=")
        port = int(number) if sep and number.isdigit() else -1
        if system not in (*out, "*") or not 0 <= port <= 65535:
            raise knobs.KnobError("--port", f"{text!r}: write SYSTEM=PORT (0: a free one), "
                                  f"SYSTEM one of {', '.join(out)} or * (every one)")
        given.append((system, port))
    for system, port in sorted(given, key=lambda g: g[0] != "*"):  # "*" first, stable
        out |= dict.fromkeys(out, port) if system == "*" else {system: port}
    return out


def build_apps(world: World, tuning: dict[str, Tuning], found: PluginSet) -> dict[str, FastAPI]:
    """Every system's app: the built-in ones, then the plugins' (PluginError if one fails)."""
    apps = {
        "eservice": eservice.create_app(world, tuning["eservice"], found),
        "case_system": case_system.create_app(world, tuning["case_system"], found),
        "population": population.create_app(world, tuning["population"], found),
        "route": route.create_app(world, tuning["route"]),
        "income": income.create_app(world, tuning["income"]),
    }
    owner = {name: p.name for p in found.plugins for name in p.servers}
    for name, spec in found.servers.items():
        try:
            app = spec.factory(world, tuning[name])
        except Exception as exc:  # a plugin's bug: named, not a traceback
            raise PluginError(owner[name], f"server {name!r} could not be built: {exc}") from exc
        state = getattr(app.state, "standin", None)
        if not isinstance(state, StandIn) or state.name != name:
            raise PluginError(owner[name], f"server {name!r}: its app needs "
                              "standins.common.install_common and a StandIn named like it")
        apps[name] = app
    return apps


async def serve(options: ServeOptions) -> int:
    """Serve until SIGTERM/SIGINT; print one ``standins ready: …`` line once all listen."""
    try:
        found = installed()
        tuning = tunings(options, found.servers)
        systems = tuple(tuning)
        outages = [parse_outage(o, systems) for o in options.outages]
        port_of = ports(options, found.servers)
    except (knobs.KnobError, PluginError) as exc:
        print(f"standins serve: {exc}", file=sys.stderr, flush=True)
        return 2
    world = build_world(options.seed)
    try:
        apps = build_apps(world, tuning, found)
    except PluginError as exc:
        print(f"standins serve: {exc}", file=sys.stderr, flush=True)
        return 2
    endpoints = {name: Endpoint(name, app, options.host, port_of[name], options.log_level)
                 for name, app in apps.items()}
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    started = await asyncio.gather(*(e.start() for e in endpoints.values()))
    if not all(started):  # a port was taken: uvicorn gives up
        await asyncio.gather(*(e.close() for e in endpoints.values()))
        print("standins: could not start all servers", file=sys.stderr, flush=True)
        return 1
    urls = {name: f"http://{options.host}:{endpoints[name].port}" for name in systems}
    print("standins ready: " + " ".join(f"{n}={u}" for n, u in urls.items()), flush=True)

    async def scheduled(system: str, start: float, duration: float) -> None:
        await asyncio.sleep(start)
        await endpoints[system].outage(duration)

    planned = [asyncio.create_task(scheduled(*o)) for o in outages]
    await stopping.wait()
    for task in planned:
        task.cancel()
    await asyncio.gather(*(e.close() for e in endpoints.values()))
    await asyncio.gather(*planned, return_exceptions=True)
    print("standins stopped", flush=True)
    return 0


def run(options: ServeOptions) -> int:
    return asyncio.run(serve(options))
