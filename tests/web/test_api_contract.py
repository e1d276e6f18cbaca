"""The JSON API keeps its OpenAPI contract: schemathesis over every ``/api`` operation.

The real app (SQLite, the session's real Prefect server for schedules and credentials) is
loaded with :func:`schemathesis.openapi.from_asgi` from ``/api/openapi.json`` and driven as
an administrator and as a caseworker, each logged in through the login form and sending its
CSRF token on writes. Every operation gets valid (positive) and invalid (negative) generated
requests, half of them aimed at resources that exist (a robot, a run, the caseworker's own
and another unit's exception items, a schedule, a legacy system). Each response is checked
for: no server error, a documented status code, a documented content type, and a body that
matches the schema declared for that status.

Generation is derandomized (same requests on every run) and sized for CI. Failures are
collected rather than shrunk, so one run reports every broken operation at once, with the
figures (requests, operations, failures per check) printed in the test's output.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import ASGIClient, get_client
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from caserobot import registry, scheduling
from caserobot.db import Database
from caserobot.queue import WorkQueue
from caserobot.settings import Settings
from tests.utils.casework import refer
from tests.web.conftest import PASSWORD, login

#: Generated requests per operation and role (20 operations x 2 roles x this in all).
MAX_EXAMPLES = 10

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)
ROLES = ("admin", "skolskjuts")  # an administrator and a caseworker of the Skolskjuts unit
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


@dataclass
class Failure:
    role: str
    operation: str
    check: str
    status: int
    title: str

    def __str__(self) -> str:
        return f"{self.role:>10} {self.operation}: {self.check} on {self.status}: {self.title}"


@dataclass
class Tally:
    requests: int = 0
    operations: set[str] = field(default_factory=set)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: dict[tuple[str, str, str, int], Failure] = field(default_factory=dict)

    def failures_by_check(self) -> dict[str, int]:
        return dict(Counter(f.check for f in self.failures.values()))

    def summary(self) -> str:
        lines = [
            f"schemathesis: {self.requests} requests, {len(self.operations)} operations, "
            f"roles {', '.join(ROLES)}; failures by check {self.failures_by_check() or 'none'}",
            *(f"  {f}" for f in self.failures.values()),
        ]
        return "\n".join(lines)


def _login(app: FastAPI, username: str) -> ASGIClient:
    """A schemathesis ASGI client logged in through the form, sending its CSRF token."""
    client = get_client(app)
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code == 303, f"login as {username}: {response.status_code}"
    client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
    return client


def _arrange(db: Database, app: FastAPI, admin: ASGIClient) -> dict[str, Any]:
    """Resources for the generated requests to find: path parameter values that exist."""
    sessions = db.sessions
    registry.register_legacy_system(
        sessions, "arendesystem", "web_ui", "http://127.0.0.1:8702", seat_limit=4
    )
    registry.register_robot(
        sessions, "skolskjuts", "1.0.0", "Team Robot", "skolskjuts", ["arendesystem"]
    )
    run = registry.start_run(sessions, "skolskjuts", trigger="test")
    queue = WorkQueue(sessions)
    queue.enqueue("skolskjuts", "ES-KÖRNING-1", {}, run_id=run.id)
    [failed] = queue.claim("skolskjuts", "r", lease_seconds=60, run_id=run.id, limit=1)
    queue.abandon(failed.id, "r", "ärendesystemet svarade inte")
    registry.finish_run(sessions, run.id, "completed", {})
    own = [refer(queue, f"ES-KONTRAKT-{n}").id for n in range(3)]
    other = refer(queue, "EB-KONTRAKT-1", case_type="ekonomiskt_bistand", amount=4000).id
    created = admin.post(
        "/api/schedules", json={"robot": "skolskjuts", "cron": "0 6 * * 1-5", "name": "kontrakt"}
    )
    assert created.status_code == 201, created.text
    return {
        "item_id": [*own, other],
        "name": ["skolskjuts", "arendesystem", "kontrakt"],
        "run_id": [run.id],
        "system": ["arendesystem"],
        "action": ["pause", "resume", "run"],
    }


def _strategy(operation: Any, known: dict[str, Any]) -> Any:
    """Valid and invalid cases (as schemathesis draws them: one of both modes), and as many
    again with every path parameter set to a value that exists."""
    generated = st.one_of([operation.as_strategy(generation_mode=mode) for mode in MODES])
    names = [p.name for p in operation.path_parameters]
    if not names or any(n not in known for n in names):
        return generated
    existing = st.fixed_dictionaries({n: st.sampled_from(known[n]) for n in names}).flatmap(
        lambda values: st.one_of(
            [operation.as_strategy(generation_mode=m, path_parameters=values) for m in MODES]
        )
    )
    return st.one_of(generated, existing)


def _exercise(
    operation: Any, role: str, client: ASGIClient, known: dict[str, Any], tally: Tally
) -> None:
    label = operation.label
    tally.operations.add(label)

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=_strategy(operation, known))
    def once(case: Any) -> None:
        tally.requests += 1
        try:
            response = case.call(session=client)
        except Exception as exc:  # in process, the app's exception reaches us instead of a 500
            key = (role, label, "not_a_server_error", 500)
            title = f"{type(exc).__name__}: {exc} ({case.method} {case.formatted_path})"
            tally.failures.setdefault(key, Failure(role, label, key[2], 500, title))
            return
        tally.statuses[(label, response.status_code)] += 1
        for check in CHECKS:
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup as group:
                key = (role, label, check.__name__, response.status_code)
                title = group.exceptions[0].title
                tally.failures.setdefault(
                    key, Failure(role, label, check.__name__, response.status_code, title)
                )

    once()


@pytest.fixture
def contract(
    scheduling_settings: Settings, app: FastAPI, web_db: Database
) -> Iterator[tuple[schemathesis.BaseSchema, dict[str, ASGIClient], dict[str, Any]]]:
    clients = {role: _login(app, role) for role in ROLES}
    known = _arrange(web_db, app, clients["admin"])
    cookie = clients["admin"].cookies.get_dict()
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, cookies=cookie)
    yield schema, clients, known
    for client in clients.values():
        client.close()
    for schedule in scheduling.list_schedules():
        scheduling.delete(schedule.name, actor="test")


@pytest.mark.slow
def test_every_api_operation_keeps_its_contract_as_admin_and_caseworker(contract) -> None:  # type: ignore[no-untyped-def]
    schema, clients, known = contract
    tally = Tally()
    started, cpu = time.monotonic(), time.process_time()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20 and all(op.path.startswith("/api/") for op in operations)
    for operation in operations:
        for role in ROLES:
            _exercise(operation, role, clients[role], known, tally)
    print(tally.summary())
    print(f"  {time.monotonic() - started:.1f} s, {time.process_time() - cpu:.1f} s CPU")
    assert tally.operations == {op.label for op in operations}
    seen = {status for (_, status) in tally.statuses}
    assert {200, 201, 403, 404, 409, 422} <= seen, sorted(seen)  # the run reached them
    assert not tally.failures, tally.summary()


def test_an_absurd_id_in_any_path_is_refused_not_a_server_error(app: FastAPI) -> None:
    """Every route with an integer in its path, pages and API, as admin and as caseworker:
    an id beyond the database's integers is a 4xx, never a 500 (it was an OverflowError)."""
    absurd = str(2**70)
    checked = []
    for user in ("admin", "skolskjuts"):
        with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
            csrf = login(client, user)
            for route in iter_route_contexts(app.routes):
                original = route.original_route
                if not isinstance(original, APIRoute) or not route.path_format:
                    continue
                params = original.dependant.path_params
                ints = {p.name for p in params if p.field_info.annotation is int}
                if not ints:
                    continue
                path = re.sub(
                    r"\{([^}:]+)(:[^}]*)?\}",
                    lambda m, ints=ints: absurd if m[1] in ints else "x",
                    route.path_format,
                )
                for method in sorted((route.methods or set()) - {"HEAD"}):
                    response = client.request(method, path, headers={"X-CSRF-Token": csrf})
                    checked.append(f"{user} {method} {path}: {response.status_code}")
                    assert response.status_code < 500, checked[-1]
    assert len(checked) >= 20, checked
