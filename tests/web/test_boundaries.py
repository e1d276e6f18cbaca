"""Boundaries every route keeps, checked over every route the app has (so a new route that
forgets one fails here): nothing without login, CSRF on every unsafe method."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts

PUBLIC = {"/login"}
#: Opened by a signed token in the path instead of the login (routes/run_files.py).
SIGNED = "/run-files/"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(app, methods: set[str]) -> list[tuple[str, str]]:
    """(method, concrete path) of every route, path parameters filled in."""
    found = []
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith("/static") or not route.methods:
            continue
        concrete = re.sub(r"\{[^}:]+:path\}", "log.html", path)
        concrete = re.sub(r"\{[^}]+\}", "1", concrete)
        found += [(m, concrete) for m in sorted(route.methods & methods)]
    return found


def test_the_route_walk_finds_routes(app) -> None:
    assert ("POST", "/logout") in _routes(app, UNSAFE)
    assert ("GET", "/api/me") in _routes(app, {"GET"})


def test_nothing_without_login(app, client) -> None:
    for method, path in _routes(app, {"GET"} | UNSAFE):
        if path in PUBLIC:
            continue
        response = client.request(method, path)
        if path.startswith(SIGNED):  # a token that does not verify opens nothing
            assert response.status_code in (404, 405), (method, path, response.status_code)
            continue
        if path.startswith("/api/"):
            assert response.status_code in (401, 403), (method, path, response.status_code)
        elif method == "GET":
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login?next="), (method, path)
        else:
            assert response.status_code in (303, 403), (method, path, response.status_code)


@pytest.mark.parametrize("username", ["admin", "skolskjuts", "chef"])
def test_every_unsafe_route_needs_the_csrf_token(app, client, login, username) -> None:
    login(client, username)
    for method, path in _routes(app, UNSAFE):
        for headers in ({}, {"X-CSRF-Token": "wrong"}):
            if path.startswith("/api/"):
                response = client.request(method, path, json={}, headers=headers)
            else:
                data = {} if headers else {"csrf_token": "wrong"}
                response = client.request(method, path, data=data, headers=headers)
            assert response.status_code == 403, (username, method, path, headers)
    assert client.get("/api/me").status_code == 200  # still logged in: nothing happened


# Who may use each route: (method, path as declared) → roles. A route missing here fails
# test_every_route_is_classified, so a new route gets its roles written down.
ADMIN = frozenset({"admin"})
CASEWORKER = frozenset({"skolskjuts"})
DASHBOARD = frozenset({"admin", "chef"})
EVERYONE = frozenset({"admin", "skolskjuts", "chef"})
ROUTE_ROLES: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/"): EVERYONE,
    ("GET", "/login"): EVERYONE,
    ("POST", "/login"): EVERYONE,
    ("POST", "/logout"): EVERYONE,
    ("GET", "/api/me"): EVERYONE,
    ("GET", "/api/docs"): EVERYONE,
    ("GET", "/api/openapi.json"): EVERYONE,
    ("GET", "/casework"): CASEWORKER,
    ("GET", "/casework/{item_id}"): CASEWORKER,
    ("POST", "/casework/{item_id}/accept"): CASEWORKER,
    ("POST", "/casework/{item_id}/decide"): CASEWORKER,
    ("POST", "/casework/{item_id}/request-completion"): CASEWORKER,
    ("GET", "/api/casework"): CASEWORKER,
    ("GET", "/api/casework/{item_id}"): CASEWORKER,
    ("POST", "/api/casework/{item_id}/accept"): CASEWORKER,
    ("POST", "/api/casework/{item_id}/decide"): CASEWORKER,
    ("POST", "/api/casework/{item_id}/request-completion"): CASEWORKER,
    ("GET", "/admin/robots"): ADMIN,
    ("GET", "/admin/robots/{name}"): ADMIN,
    ("POST", "/admin/robots/{name}/{action}"): ADMIN,
    ("GET", "/admin/legacy-systems"): ADMIN,
    ("GET", "/admin/legacy-systems/{name}"): ADMIN,
    ("POST", "/admin/legacy-systems/{name}"): ADMIN,
    ("GET", "/admin/runs"): ADMIN,
    ("GET", "/admin/runs/{run_id}"): ADMIN,
    ("POST", "/admin/runs/{run_id}/retry-failed"): ADMIN,
    ("GET", "/admin/runs/{run_id}/files/{filename}"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/{username}/active"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/admin/access-log"): ADMIN,
    ("GET", "/admin/canary"): ADMIN,
    ("POST", "/admin/canary/{name}/accept"): ADMIN,
    ("GET", "/admin/schedules"): ADMIN,
    ("POST", "/admin/schedules"): ADMIN,
    ("POST", "/admin/schedules/{name}/{action}"): ADMIN,
    ("POST", "/admin/credentials/{system}"): ADMIN,
    ("GET", "/api/robots"): ADMIN,
    ("GET", "/api/robots/{name}"): ADMIN,
    ("GET", "/api/legacy-systems"): ADMIN,
    ("PATCH", "/api/legacy-systems/{name}"): ADMIN,
    ("GET", "/api/runs"): ADMIN,
    ("GET", "/api/runs/{run_id}"): ADMIN,
    ("POST", "/api/runs/{run_id}/retry-failed"): ADMIN,
    ("GET", "/api/audit"): ADMIN,
    ("GET", "/api/audit/verify"): ADMIN,
    ("GET", "/api/access-log"): ADMIN,
    ("GET", "/api/schedules"): ADMIN,
    ("POST", "/api/schedules"): ADMIN,
    ("POST", "/api/schedules/{name}/{action}"): ADMIN,
    ("GET", "/api/credentials"): ADMIN,
    ("PUT", "/api/credentials/{system}"): ADMIN,
    ("GET", "/run-files/{token}/{filename}"): EVERYONE,  # signed; see test_admin.py
    ("GET", "/dashboard"): DASHBOARD,
    ("GET", "/dashboard/export.xlsx"): DASHBOARD,
    ("GET", "/api/dashboard"): DASHBOARD,
}
#: Routes that ask Prefect's server: their allowed GETs are covered by the schedule tests.
PREFECT_BACKED = {"/admin/schedules", "/api/schedules", "/api/credentials"}


def _declared(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        if route.methods and not (route.path or "").startswith("/static")
        for method in sorted(route.methods - {"HEAD"})
    ]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_is_classified(app) -> None:
    assert sorted(_declared(app)) == sorted(ROUTE_ROLES)


@pytest.mark.parametrize("username", ["admin", "skolskjuts", "chef"])
def test_every_route_as_each_role(app, client, login, username) -> None:
    """Other roles get 403 (with a valid CSRF token, so the role is what refuses); the
    allowed roles' reads answer without 401/403/5xx and are never stored by a cache."""
    csrf = login(client, username)
    for method, path in _declared(app):
        allowed = username in ROUTE_ROLES[(method, path)]
        url = _concrete(path)
        if allowed and method != "GET":
            continue  # changes are each area's own tests; here they would log out, etc.
        if allowed and path in PREFECT_BACKED:
            continue
        if method == "GET":
            response = client.get(url)
        elif url.startswith("/api/"):
            response = client.request(method, url, json={}, headers={"X-CSRF-Token": csrf})
        else:
            response = client.request(method, url, data={"csrf_token": csrf})
        where = (username, method, path, response.status_code)
        if not allowed:
            assert response.status_code == 403, where
            continue
        assert response.status_code not in (401, 403) and response.status_code < 500, where
        assert response.headers["cache-control"] == "no-store", where
    assert client.get("/api/me").status_code == 200
