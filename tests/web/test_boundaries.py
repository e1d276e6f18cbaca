"""Boundaries every route keeps, checked over every route the app has (so a new route that
forgets one fails here): nothing without login, CSRF on every unsafe method."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts

PUBLIC = {"/login"}
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
