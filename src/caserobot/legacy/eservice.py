"""Client for the e-service intake (JSON over HTTP)."""

from __future__ import annotations

from typing import Any

import httpx

from caserobot.exceptions import BusinessException, ReasonCode, UnexpectedScreen
from caserobot.legacy._http import ApiClient

SYSTEM = "e-tjänst"


class EServiceClient(ApiClient):
    """Lists submitted applications, reads one, marks it received."""

    SYSTEM = SYSTEM

    async def list_submitted(self, case_type: str, *, page_size: int = 500) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        offset = 0
        while True:
            params = {
                "status": "submitted",
                "type": case_type,
                "limit": page_size,
                "offset": offset,
            }
            resp = await self._call(
                "list", lambda p=params: self._http.get("/api/applications", params=p)
            )
            body = _json(resp, "list")
            page = body.get("items", [])
            items.extend(page)
            offset += len(page)
            if not page or offset >= body.get("total", 0):
                return items

    async def get(self, application_id: str) -> dict[str, Any]:
        resp = await self._call(
            "read application", lambda: self._http.get(f"/api/applications/{application_id}")
        )
        if resp.status_code == 404:
            raise BusinessException(
                ReasonCode.MISSING_FIELD, f"ansökan {application_id} finns inte i e-tjänsten"
            )
        return _json(resp, "read application")

    async def mark_received(self, application_id: str) -> None:
        resp = await self._call(
            "mark received", lambda: self._http.post(f"/api/applications/{application_id}/received")
        )
        if resp.status_code >= 400:
            raise UnexpectedScreen(
                f"kunde inte markera {application_id} som mottagen ({resp.status_code})",
                system=SYSTEM,
                step="mark received",
            )

    async def completion_requests(self, application_id: str) -> list[dict[str, Any]]:
        """Requests to the applicant to complete the application, oldest first."""
        step = "read completion requests"
        path = f"/api/applications/{application_id}/completion-requests"
        resp = await self._call(step, lambda: self._http.get(path))
        return list(_json(resp, step).get("items", []))

    async def request_completion(
        self, application_id: str, key: str, message: str, requested_by: str
    ) -> dict[str, Any]:
        """Ask the applicant to complete the application; idempotent on ``key``."""
        step = "request completion"
        path = f"/api/applications/{application_id}/completion-requests"
        body = {"key": key, "message": message, "requested_by": requested_by}
        resp = await self._call(step, lambda: self._http.post(path, json=body))
        return _json(resp, step)


def _json(resp: httpx.Response, step: str) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError as exc:
        raise UnexpectedScreen("svaret var inte JSON", system=SYSTEM, step=step) from exc
    if resp.status_code >= 400 or not isinstance(body, dict):
        raise UnexpectedScreen(f"oväntat svar {resp.status_code}", system=SYSTEM, step=step)
    return body
