"""E-service intake stand-in: citizens' applications as JSON.

Routes follow docs/architecture.md ("E-service intake", and "Ekonomiskt bistånd" for the
monthly försörjningsstöd application, ``type=ekonomiskt_bistand``); a plugin
(:mod:`standins.plugins`) brings the generator of its own type. Applications are kept in memory
in submission order; ids (``ES-<start>-00001``, with the process start time) are never reused,
not within a process, not even after
``POST /_test/reset``, so a platform database that outlives a reset never sees a clash.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from standins import eb_generator
from standins.common import StandIn, Tuning, install_common, now
from standins.generator import CATEGORIES, Pools, generate
from standins.plugins import PluginSet, installed
from standins.social import build_social
from standins.world import World

GENERATED_TYPES = ("skolskjuts", eb_generator.CASE_TYPE)


class EService(StandIn):
    name = "eservice"
    write_routes = (r"/api/applications", r"/api/applications/[^/]+/received",
                    r"/api/applications/[^/]+/completion-requests")

    def __init__(self, world: World, tuning: Tuning | None = None) -> None:
        super().__init__(tuning, fault_seed=world.seed + 1)
        self.world = world
        self.pools = Pools(world)
        self.applications: dict[str, dict[str, Any]] = {}
        # Requests to the applicant to complete an application, per application id.
        self.completion_requests: dict[str, list[dict[str, Any]]] = {}
        self._next_id = 1
        self._next_request = 1
        # Like a real e-service, ids stay unique across restarts: a platform registry that
        # outlives the stand-in must never see an id twice.
        self._instance = time.strftime("%y%m%d%H%M%S")
        self._generate_calls = 0

    def reset(self) -> None:
        super().reset()
        self.applications.clear()
        self.completion_requests.clear()

    def submit(self, body: dict[str, Any], source: str) -> dict[str, Any]:
        app_id = f"ES-{self._instance}-{self._next_id:05d}"
        self._next_id += 1
        submitted_at = body.get("submitted_at")
        application = {
            "id": app_id,
            "type": body.get("type") or "skolskjuts",
            "submitted_at": submitted_at if isinstance(submitted_at, str) else now().isoformat(),
            "status": "submitted",
        }
        application.update({k: v for k, v in body.items() if k not in application})
        self.applications[app_id] = application
        child, applicant = application.get("child"), application.get("applicant")
        self.ledger.record(
            "application_submitted",
            application_id=app_id,
            type=application["type"],
            child_personnummer=child.get("personnummer") if isinstance(child, dict) else None,
            applicant_personnummer=(
                applicant.get("personnummer") if isinstance(applicant, dict) else None
            ),
            source=source,
        )
        return application


def create_app(world: World, tuning: Tuning | None = None,
               plugins: PluginSet | None = None) -> FastAPI:
    state = EService(world, tuning)
    generators = (installed() if plugins is None else plugins).generators
    known_types = (*GENERATED_TYPES, *generators)
    app = FastAPI(title="E-service intake stand-in", docs_url=None, redoc_url=None)
    install_common(app, state)

    def missing(app_id: str) -> JSONResponse:
        return JSONResponse({"error": "not_found", "id": app_id}, status_code=404)

    @app.get("/api/applications")
    async def list_applications(
        status: str | None = None,
        type: str | None = None,  # noqa: A002 - the contract's parameter name
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> dict[str, Any]:
        matching = [
            a
            for a in state.applications.values()
            if (status is None or a["status"] == status) and (type is None or a["type"] == type)
        ]
        return {"items": matching[offset : offset + limit], "total": len(matching)}

    @app.get("/api/applications/{app_id}")
    async def get_application(app_id: str) -> Any:
        return state.applications.get(app_id) or missing(app_id)

    @app.post("/api/applications/{app_id}/received")
    async def mark_received(app_id: str) -> Any:
        application = state.applications.get(app_id)
        if application is None:
            return missing(app_id)
        first = application["status"] != "received"
        if first:
            application["status"] = "received"
            application["received_at"] = now().isoformat()
        state.ledger.record("application_received", application_id=app_id, first=first)
        return application

    @app.get("/api/applications/{app_id}/completion-requests")
    async def list_completion_requests(app_id: str) -> Any:
        if app_id not in state.applications:
            return missing(app_id)
        return {"items": state.completion_requests.get(app_id, [])}

    @app.post("/api/applications/{app_id}/completion-requests")
    async def request_completion(app_id: str, request: Request) -> Any:
        """Ask the applicant to complete the application (message shown in the e-service).

        Idempotent on the client's ``key``: a repeat answers 200 with the first request.
        """
        application = state.applications.get(app_id)
        if application is None:
            return missing(app_id)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"error": "invalid_json"}, status_code=422)
        key, message = body.get("key"), body.get("message")
        for field, value in (("key", key), ("message", message)):
            if not isinstance(value, str) or not value.strip():
                return JSONResponse({"error": "missing_field", "field": field}, 422)
        requests = state.completion_requests.setdefault(app_id, [])
        found = next((r for r in requests if r["key"] == key), None)
        state.ledger.record(
            "completion_request",
            application_id=app_id,
            key=key,
            request_id=found["id"] if found else f"KOMPL-{state._next_request:05d}",
            message=message,
            requested_by=body.get("requested_by"),
            first=found is None,
        )
        if found is not None:
            return found
        found = {
            "id": f"KOMPL-{state._next_request:05d}",
            "key": key,
            "message": message,
            "requested_by": body.get("requested_by"),
            "created_at": now().isoformat(),
        }
        state._next_request += 1
        requests.append(found)
        application["completion_requested_at"] = found["created_at"]
        return JSONResponse(found, status_code=201)

    @app.post("/api/applications", status_code=201)
    async def submit_application(request: Request) -> Any:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"error": "invalid_json"}, status_code=422)
        return state.submit(body, source="api")

    @app.post("/_test/generate")
    async def generate_applications(request: Request) -> Any:
        body = await request.json() if await request.body() else {}
        count = body.get("count", 10)
        share = body.get("malformed_share", 0.05)
        if not isinstance(count, int) or not 0 <= count <= 100_000:
            return JSONResponse({"error": "count must be an integer 0..100000"}, 422)
        if not isinstance(share, int | float) or not 0 <= share <= 1:
            return JSONResponse({"error": "malformed_share must be 0..1"}, 422)
        app_type = body.get("type") or "skolskjuts"
        if app_type not in known_types:
            return JSONResponse({"error": f"type must be one of {list(known_types)}"}, 422)
        start = body.get("submitted_from")
        try:
            start = datetime.fromisoformat(start) if start is not None else None
        except (TypeError, ValueError):
            return JSONResponse({"error": "submitted_from must be an ISO date-time"}, 422)
        if start is not None and start.tzinfo is None:
            return JSONResponse({"error": "submitted_from needs a UTC offset"}, 422)
        state._generate_calls += 1
        seed = body.get("seed")
        if seed is None:
            seed = world.seed * 1000 + state._generate_calls
        categories_of: Mapping[str, Any]
        if app_type == "skolskjuts":
            batch = generate(world, state.pools, count, int(seed), float(share), start=start)
            categories_of = CATEGORIES
        elif app_type in generators:
            plugin = generators[app_type]
            batch = plugin.generate(world, count, int(seed), float(share), start)
            categories_of = plugin.categories
        else:
            batch = eb_generator.generate(
                build_social(world), count, int(seed), float(share), start=start
            )
            categories_of = eb_generator.CATEGORIES
        ids = [state.submit(a, source="generate")["id"] for _, _, a in batch]
        categories = Counter(category for category, _, _ in batch)
        return {
            "created": len(ids),
            "seed": seed,
            "type": app_type,
            "ids": ids,
            "mix": {c: categories[c] for c in categories_of},
            "kinds": dict(Counter(kind for _, kind, _ in batch)),
        }

    return app
