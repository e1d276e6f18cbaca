"""The fault gate: an ASGI layer in front of each stand-in that injects what legacy systems do.

In order, for every request except ``/_test/*`` and ``/static/*``:

0. with ``session_serial`` on, a request that names a session (``StandIn.session_cookie``)
   waits until that session's previous request has been answered: a session-locked server
   works one request at a time per session, so parallel fetches on one seat do not pay.
   The wait covers the latency and the handler; a hang (lost on the way) and a slow
   write's delay do not hold the session;
1. a maintenance window answers 503 with ``Retry-After`` (nothing runs);
2. ``latency_ms`` is waited;
3. a *hang* holds the request ``hang_s`` and closes the connection without an answer;
4. an *error* answers 503 before the handler runs (nothing written);
5. a *slow page* (GET) waits ``slow_page_ms`` more;
6. on a write route (``StandIn.write_routes``), a *slow write* reads the request, waits
   ``slow_write_s`` and only then runs the handler, in a task of its own, so the write lands
   even when the client has given up and gone; a *lost answer* runs the handler (the write is
   made, the ledger has it) and then replaces its answer with a 500/502/503 or closes the
   connection. A request whose handler wrote nothing (a refused form) keeps its answer.

Every draw comes from the stand-in's seeded fault RNG, in that fixed order, and only for
knobs above 0; every fault is counted by kind (``GET /_test/stats``). The gate wraps the
whole app (outside Starlette's middleware), so it holds uvicorn's own ``send`` and can close
the connection itself. It is pure ASGI: a client's disconnect cancels nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from starlette.requests import cookie_parser
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standins.common import REQUEST_WRITES

if TYPE_CHECKING:
    from standins.common import StandIn

LOST_STATUSES = ("500", "502", "503", "drop")
BAD_GATEWAY = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
"""What the reverse proxy in front of a legacy system says when its backend failed."""


def install_gate(app: FastAPI, state: StandIn) -> None:
    """Put the fault gate around the app's whole middleware stack."""
    build = app.build_middleware_stack

    def build_with_gate() -> ASGIApp:
        return FaultGate(build(), state)

    app.build_middleware_stack = build_with_gate  # type: ignore[method-assign]


class FaultGate:
    def __init__(self, app: ASGIApp, state: StandIn) -> None:
        self.app = app
        self.state = state
        self.writes = [re.compile(p) for p in state.write_routes]
        # One lock per session token; a lock nobody holds or waits for is dropped.
        self.locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(("/_test/", "/static/")):
            await self.app(scope, receive, send)
            return
        lock = self.session_lock(scope)
        if lock is not None:
            await lock.acquire()
        held = [lock]

        def release() -> None:  # the session is free again (once)
            if held[0] is not None:
                held[0].release()
                held[0] = None

        try:
            await self.gate(scope, receive, send, release)
        finally:
            release()

    def session_lock(self, scope: Scope) -> asyncio.Lock | None:
        """The lock of the session the request names, when sessions are serialised."""
        name = self.state.session_cookie
        if name is None or self.state.tuning.session_serial != "on":
            return None
        header = next((v for k, v in scope.get("headers", ()) if k == b"cookie"), None)
        token = cookie_parser(header.decode("latin-1")).get(name) if header else None
        if not token:
            return None
        lock = self.locks.get(token)
        if lock is None:
            lock = self.locks[token] = asyncio.Lock()
        return lock

    async def gate(
        self, scope: Scope, receive: Receive, send: Send, release: Callable[[], None]
    ) -> None:
        path = scope.get("path", "")
        state, tuning = self.state, self.state.tuning
        state.requests += 1
        if path in state.login_paths:
            state.login_requests += 1
        state.on_request()
        left = state.maintenance_left()
        if left > 0:
            state.count("maintenance")
            response = state.maintenance_response(max(1, math.ceil(left)))
            response.headers["Retry-After"] = str(max(1, math.ceil(left)))
            await response(scope, receive, send)
            return
        if tuning.latency_ms > 0:
            await asyncio.sleep(tuning.latency_ms / 1000)
        if state.roll(tuning.hang_rate):
            state.count("hang")
            release()  # lost on the way (a proxy, the network): the session is not busy
            await state.pause(tuning.hang_s)
            await drop(send)
            return
        if state.should_fail():
            state.count("error")
            await state.unavailable_response()(scope, receive, send)
            return
        method = scope["method"]
        if method in ("GET", "HEAD") and state.roll(tuning.slow_page_rate):
            state.count("slow_page")
            await asyncio.sleep(tuning.slow_page_ms / 1000)
        if method == "POST" and any(p.fullmatch(path) for p in self.writes):
            slow = state.roll(tuning.slow_write_rate)
            lost = state.roll(tuning.lost_answer_rate)
            if slow or lost:
                if slow:
                    release()  # the delayed write does not hold the session
                await self.faulty_write(scope, receive, send, slow, lost)
                return
        await self.app(scope, receive, send)

    async def faulty_write(self, scope: Scope, receive: Receive, send: Send, slow: bool,
                           lost: bool) -> None:
        state = self.state
        writes: list[dict[str, Any]] = []
        token = REQUEST_WRITES.set(writes)
        capture = Capture() if lost else None
        out: Send = capture if capture is not None else guarded(send)
        error: Exception | None = None
        try:
            if slow:
                body = await read_body(receive)
                if body is None:  # the client left before its request had arrived
                    return
                state.count("slow_write")
                delay = state.tuning.slow_write_s

                async def later() -> None:
                    try:
                        await asyncio.sleep(delay)
                        await self.app(scope, replay(body, receive), out)
                    finally:
                        state.pending_writes -= 1

                state.pending_writes += 1
                # A task of its own (the context, with ``writes``, is copied): neither the
                # client's disconnect nor the server stopping cancels the write.
                task = asyncio.get_running_loop().create_task(later())
                state.background.add(task)
                task.add_done_callback(state.background.discard)
                await asyncio.shield(task)
            else:
                await self.app(scope, receive, out)
        except Exception as exc:  # the handler failed: its 500 is forwarded, then re-raised
            error = exc
        finally:
            REQUEST_WRITES.reset(token)
        if capture is not None:
            if writes:
                state.count("lost_answer")
                await self.lose_answer(scope, receive, send)
                return
            await capture.forward(send)
        if error is not None:
            raise error

    async def lose_answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        mode = state.tuning.lost_answer_mode
        if mode == "mixed":
            mode = state.pick(LOST_STATUSES)
        if mode == "drop":
            await drop(send)
            return
        response: Response
        if mode == "500":
            response = state.server_error_response()
        elif mode == "502":
            response = HTMLResponse(BAD_GATEWAY, status_code=502)
        else:
            response = state.unavailable_response()
        with contextlib.suppress(Exception):  # the client may be gone
            await response(scope, receive, send)


class Capture:
    """An ASGI ``send`` that keeps the answer instead of sending it."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    async def forward(self, send: Send) -> None:
        for message in self.messages:
            await send(message)


def guarded(send: Send) -> Send:
    """A ``send`` that ignores a client who has gone."""

    async def _send(message: Message) -> None:
        with contextlib.suppress(Exception):
            await send(message)

    return _send


async def read_body(receive: Receive) -> list[Message] | None:
    """The whole request body as its messages, or None if the client disconnected first."""
    messages: list[Message] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        messages.append(message)
        if not message.get("more_body", False):
            return messages


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered body, then whatever the connection says."""
    pending = list(messages)

    async def _receive() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return _receive


async def drop(send: Send) -> None:
    """Close the connection without an answer (as a crashed backend does).

    Under uvicorn ``send`` is a bound method of the request cycle, which holds the transport.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:  # not under uvicorn: the server answers 500 instead
        raise ConnectionAbortedError("stand-in fault: connection dropped")
    transport.abort()
    cycle.disconnected = True  # type: ignore[union-attr]  # so uvicorn writes nothing more
