"""A robot run's log files behind a signed path, for pages that cannot send the cookie.

Robot Framework's log.html runs sandboxed (``security.ROBOT_OUTPUT_CSP``): an opaque
origin, so the parts it loads (``log-N.js`` of a split log, the screens of failed items)
are requested without the session cookie. The administrator's logged-in request for a log
file (``/admin/runs/{id}/files/log.html``) is therefore answered with a redirect to
``/run-files/{token}/log.html``, where ``token`` signs the run and the user for
:data:`TOKEN_MAX_AGE_S`; the page's relative links resolve under the same token. The token
opens only that run's output files (``administration.run_file``), and the logged-in request
is what the access log records.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from caserobot import administration
from caserobot.db import Database
from caserobot.web.deps import get_db
from caserobot.web.security import ROBOT_OUTPUT_CSP

#: How long a link to a run's log works (a working day).
TOKEN_MAX_AGE_S = 8 * 3600
_SALT = "caserobot-run-files"

router = APIRouter(prefix="/run-files", include_in_schema=False)
Db = Annotated[Database, Depends(get_db)]


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret_key, salt=_SALT)


def signed_path(request: Request, run_id: int, username: str, filename: str) -> str:
    """The path that serves ``filename`` of run ``run_id`` for a while, cookie or not."""
    token = _serializer(request).dumps({"run": run_id, "user": username})
    return f"/run-files/{token}/{filename}"


@router.get("/{token}/{filename}")
def run_file(request: Request, token: str, filename: str, db: Db) -> Response:
    try:
        claim = _serializer(request).loads(token, max_age=TOKEN_MAX_AGE_S)
    except BadSignature:
        raise HTTPException(404) from None
    path = administration.run_file(db.sessions, int(claim["run"]), filename)
    if path is None:
        raise HTTPException(404)
    return FileResponse(path, headers={"Content-Security-Policy": ROBOT_OUTPUT_CSP})
