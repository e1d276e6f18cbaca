"""The web application: server-rendered pages in Swedish and a JSON API under ``/api``.

:func:`create_app` opens (and migrates) the database of the settings, signs sessions with
the web secret key, and includes every router listed in
:data:`caserobot.web.routes.ROUTERS`, each behind CSRF protection. The protections around
every route (headers, body-size limit, signing key, trusted proxies) are
:mod:`caserobot.web.security`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from caserobot.db import init_db
from caserobot.exceptions import InputError
from caserobot.settings import Settings, get_settings
from caserobot.web.contract import BODY_UNREADABLE, invalid_request
from caserobot.web.deps import (
    Forbidden,
    LoginRequired,
    current_user,
    is_api,
    redirect_to_login,
    render,
    verify_csrf,
)
from caserobot.web.routes import ROUTERS
from caserobot.web.security import (
    SECRET_KEY_FILE,
    BodySizeLimit,
    secret_key,
    security_headers,
)
from caserobot.web.throttle import LoginThrottle

__all__ = ["SECRET_KEY_FILE", "create_app", "secret_key"]

STATIC_DIR = Path(__file__).parent / "static"
# Swagger UI's own files, from a package, so /api/docs works without internet access.
SWAGGER_DIR = Path(fastapi_offline.__file__).parent / "static"
# Swagger UI's page, started by /static/swagger-init.js: no inline script (the CSP forbids it).
_DOCS_PAGE = """<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>caserobot API</title>
<link rel="stylesheet" href="/static-docs/swagger-ui.css">
<link rel="icon" href="/static-docs/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static-docs/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""

_STATUS_TEXT = {
    400: "Felaktig begäran",
    401: "Inte inloggad",
    403: "Du har inte behörighet till den här sidan eller åtgärden.",
    404: "Sidan finns inte.",
    405: "Metoden är inte tillåten här.",
    409: "Konflikt",
    413: "Begäran är för stor.",
    422: "Uppgifterna kunde inte tolkas.",
    429: "För många försök. Vänta en stund och försök igen.",
    500: "Ett oväntat fel inträffade.",
    503: "Tjänsten är inte tillgänglig just nu.",
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app on the database of ``settings`` (default: :func:`get_settings`)."""
    settings = settings or get_settings()
    db = init_db(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(
        title="caserobot",
        summary="Robotar för kommunernas äldre ärendesystem: JSON-API",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.secret_key = secret_key(settings)  # read (or made) once; signs cookies and links
    app.state.db = db
    app.state.login_throttle = LoginThrottle()
    # Middleware added first runs innermost. The size limit is innermost so that its error,
    # raised while a route reads the body, reaches the app's error handlers directly.
    app.add_middleware(BodySizeLimit, max_bytes=settings.web.max_body_bytes)
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.secret_key,
        session_cookie="caserobot_session",
        max_age=settings.web.session_max_age_s,
        same_site="lax",  # Starlette always sets HttpOnly
        https_only=settings.web.cookie_secure,
    )
    app.middleware("http")(security_headers)
    if settings.web.trusted_proxies:
        # Outermost, so the audit, the access log and the throttle see the real client.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.web.trusted_proxies)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/static-docs", StaticFiles(directory=SWAGGER_DIR), name="static-docs")
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(verify_csrf)])
    _add_api_docs(app)
    _add_error_handlers(app)
    return app


def _add_api_docs(app: FastAPI) -> None:
    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            full = get_openapi(title=app.title, version="1", summary=app.summary, routes=app.routes)
            full["paths"] = {p: v for p, v in full["paths"].items() if p.startswith("/api/")}
            app.openapi_schema = full
        return app.openapi_schema

    @app.get("/api/openapi.json", include_in_schema=False, dependencies=[Depends(current_user)])
    def openapi_json() -> JSONResponse:
        return JSONResponse(schema())

    @app.get("/api/docs", include_in_schema=False, dependencies=[Depends(current_user)])
    def api_docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE)


def _error(request: Request, status: int, detail: str | None = None) -> Response:
    message = detail or _STATUS_TEXT.get(status, "Fel")
    if is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: Exception) -> Response:
        if is_api(request):
            return JSONResponse({"detail": "Inte inloggad"}, status_code=401)
        return RedirectResponse(redirect_to_login(request), status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Exception) -> Response:
        if exc.args and exc.args[0] == "csrf":
            return _error(
                request,
                403,
                "Formuläret var för gammalt eller ogiltigt. Ladda om sidan och försök igen.",
            )
        return _error(request, 403)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, InputError)  # nosec B101  # the handler is registered for this type; narrows the type
        if is_api(request):
            return JSONResponse({"detail": exc.detail, "field": exc.field}, status_code=422)
        return _error(request, 400, exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)  # nosec B101  # the handler is registered for this type; narrows the type
        detail = exc.detail if isinstance(exc.detail, str) and is_api(request) else None
        if detail == BODY_UNREADABLE:  # FastAPI's own 400, for a body that is not UTF-8
            detail = "Innehållet kunde inte läsas: skicka JSON i UTF-8."
        if not is_api(request) and exc.status_code != 404 and isinstance(exc.detail, str):
            detail = exc.detail if exc.detail not in ("Not Found", "Method Not Allowed") else None
        return _error(request, exc.status_code, detail)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)  # nosec B101  # the handler is registered for this type; narrows the type
        if is_api(request):  # the documented InvalidInput body (caserobot.web.contract)
            return JSONResponse(invalid_request(exc.errors()), status_code=422)
        return _error(request, 422)
