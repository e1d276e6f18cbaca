"""Route service stand-in: walking distance between two addresses.

``GET /api/walking-distance?from=<street, postal code>&to=<street, postal code>`` answers
``{"walking_distance_m": n}``. Addresses match case-insensitively on street and postal code
(a trailing postal town is ignored); a street address alone is accepted as it is unique.
Distances follow the world's road graph, so they are symmetric and repeatable.
"""

from __future__ import annotations

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse

from standins.common import StandIn, Tuning, install_common
from standins.world import World


class RouteService(StandIn):
    name = "route"

    def __init__(self, world: World, tuning: Tuning | None = None) -> None:
        super().__init__(tuning, fault_seed=world.seed + 4)
        self.world = world


def create_app(world: World, tuning: Tuning | None = None) -> FastAPI:
    state = RouteService(world, tuning)
    app = FastAPI(title="Route service stand-in", docs_url=None, redoc_url=None)
    install_common(app, state)

    @app.get("/api/walking-distance")
    async def walking_distance(
        from_: str = Query(alias="from"), to: str = Query()
    ) -> JSONResponse:
        start, end = world.find_address(from_), world.find_address(to)
        for text, found in ((from_, start), (to, end)):
            if found is None:
                return JSONResponse({"error": "unknown_address", "address": text}, 404)
        assert start is not None and end is not None  # nosec B101  # checked just above; narrows the type
        return JSONResponse({"walking_distance_m": world.walking_distance(start, end)})

    return app
