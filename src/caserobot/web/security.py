"""The web app's protections that sit around every route: the signing key, response headers
(Content-Security-Policy, ``Cache-Control: no-store`` …) and the request-body size limit.

The client's address comes from uvicorn's ``ProxyHeadersMiddleware``, added by
:func:`caserobot.web.app.create_app` only for the proxies in
``CASEROBOT_WEB__TRUSTED_PROXIES``; ``caserobot serve`` turns off uvicorn's own trust of
``X-Forwarded-For`` from 127.0.0.1 (:func:`caserobot.web.server.server_config`).
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caserobot.exceptions import ConfigurationError
from caserobot.settings import Settings

__all__ = [
    "CSP",
    "MIN_SECRET_KEY_LENGTH",
    "ROBOT_OUTPUT_CSP",
    "SECRET_KEY_FILE",
    "BodySizeLimit",
    "secret_key",
    "security_headers",
]

SECRET_KEY_FILE = "web-secret-key"  # nosec B105  # the key file's name, not a key
MIN_SECRET_KEY_LENGTH = 32

#: Every page, /api/docs (Swagger UI from local files, started by /static/swagger-init.js)
#: included: only this origin's files, no inline script or style, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: Robot Framework's log.html / report.html are pages with inline scripts and styles, and
#: their templates need eval. They run sandboxed: an opaque origin that never sends the
#: session cookie; they may load only this origin's files, which they reach through a
#: signed path (the parts of a split log, the screens of failed items; see
#: ``routes/run_files.py``), and nothing else.
ROBOT_OUTPUT_CSP = (
    "sandbox allow-scripts allow-popups; default-src 'none'; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
)
_STATIC_PREFIXES = ("/static/", "/static-docs/")


def secret_key(settings: Settings) -> str:
    """The key that signs session cookies.

    ``CASEROBOT_WEB__SECRET_KEY`` when set, else the file ``var_dir/web-secret-key``
    (created with a random key, mode 0600, when missing).

    Raises:
        ConfigurationError: the key is shorter than 32 characters: an empty or short key
            would let anyone forge a session. Nothing is overwritten.
    """
    if settings.web.secret_key is not None:
        key = settings.web.secret_key.get_secret_value().strip()
        where = "CASEROBOT_WEB__SECRET_KEY"
        hint = "set it to at least 32 random characters, or unset it to use a generated key"
    else:
        path = settings.var_dir / SECRET_KEY_FILE
        key = _read_or_create(path)
        where = str(path)
        hint = "delete the file to have a new key generated (everyone logs in again)"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        what = "is empty" if not key else f"has {len(key)} characters"
        raise ConfigurationError(
            where,
            f"the web UI's signing key {what}; at least {MIN_SECRET_KEY_LENGTH} are needed, "
            f"or session cookies could be forged: {hint}",
        )
    return key


def _read_or_create(path: Any) -> str:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return str(path.read_text(encoding="utf-8")).strip()
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_urlsafe(48))
    return str(path.read_text(encoding="utf-8")).strip()


async def security_headers(request: Request, call_next: Any) -> Response:
    """Headers on every response; ``Cache-Control: no-store`` on all but the static files."""
    response: Response = await call_next(request)
    path = request.url.path
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if not path.startswith(_STATIC_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
    return response


class BodySizeLimit:
    """Refuse (413) a request whose body is larger than ``max_bytes``, before reading it.

    A declared ``Content-Length`` over the limit is refused at once; a body sent without
    one (chunked) is counted as it arrives and refused when it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge()
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = f"Begäran är för stor (högst {self.max_bytes} byte)."
        body = json.dumps({"detail": message}, ensure_ascii=False).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                    (b"x-content-type-options", b"nosniff"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(HTTPException):
    """Raised from ``receive``: FastAPI passes HTTP errors on (others become 400), and the
    app's handler answers 413 as a page or, under ``/api``, as JSON."""

    def __init__(self) -> None:
        super().__init__(413, "Begäran är för stor.")
