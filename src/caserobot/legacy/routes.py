"""Client for the route service: walking distance between two addresses."""

from __future__ import annotations

from caserobot.exceptions import BusinessException, ReasonCode, UnexpectedScreen
from caserobot.legacy._http import ApiClient

SYSTEM = "vägtjänsten"


class RouteServiceClient(ApiClient):
    SYSTEM = SYSTEM

    async def walking_distance_m(self, from_address: str, to_address: str) -> int:
        params = {"from": from_address, "to": to_address}
        resp = await self._call(
            "walking distance", lambda: self._http.get("/api/walking-distance", params=params)
        )
        if resp.status_code == 404:
            body = (
                resp.json()
                if resp.headers.get("content-type", "").startswith("application/json")
                else {}
            )
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
