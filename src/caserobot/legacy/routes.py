"""Client for the route service: walking distance between two addresses."""

from __future__ import annotations

from caserobot.exceptions import BusinessException, ReasonCode, UnexpectedScreen
from caserobot.legacy._http import CallCounter, call, new_client

SYSTEM = "vägtjänsten"


class RouteServiceClient:
    def __init__(
        self, base_url: str, *, timeout_s: float = 10.0, counter: CallCounter | None = None
    ) -> None:
        self._http = new_client(base_url, timeout_s)
        self._counter = counter

    async def aclose(self) -> None:
        await self._http.aclose()

    async def walking_distance_m(self, from_address: str, to_address: str) -> int:
        params = {"from": from_address, "to": to_address}
        resp = await call(
            SYSTEM, "walking distance",
            lambda: self._http.get("/api/walking-distance", params=params),
            counter=self._counter,
        )
        if resp.status_code == 404:
            body = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
            raise BusinessException(
                ReasonCode.UNKNOWN_ADDRESS,
                f"adressen '{body.get('address', from_address)}' finns inte i vägtjänsten",
            )
        try:
            return int(resp.json()["walking_distance_m"])
        except (ValueError, KeyError, TypeError) as exc:
            raise UnexpectedScreen(
                f"oväntat svar {resp.status_code}", system=SYSTEM, step="walking distance"
            ) from exc
