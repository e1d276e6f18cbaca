"""E-service stand-in: requests to the applicant to complete an application."""

from __future__ import annotations

import httpx


def test_completion_request_is_idempotent_on_the_key(fresh_standins) -> None:  # type: ignore[no-untyped-def]
    [app_id] = fresh_standins.generate(1, seed=3, malformed_share=0.0)["ids"]
    path = f"/api/applications/{app_id}/completion-requests"
    body = {"key": "k-1", "message": "Skicka läkarintyget.", "requested_by": "anna"}
    with httpx.Client(base_url=fresh_standins.eservice_url, timeout=10) as c:
        assert c.get(path).json() == {"items": []}
        first = c.post(path, json=body)
        again = c.post(path, json=body)
        other = c.post(path, json={**body, "key": "k-2"})
        assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
        assert again.json() == first.json()
        assert first.json()["id"] != other.json()["id"]
        assert [r["key"] for r in c.get(path).json()["items"]] == ["k-1", "k-2"]
        assert c.post(path, json={"key": "k-3"}).status_code == 422
        assert c.post(path, json={"key": "", "message": "x"}).status_code == 422
        assert c.post("/api/applications/ES-none/completion-requests", json=body).status_code == 404
    ledger = [e for e in fresh_standins.ledger("eservice") if e["kind"] == "completion_request"]
    assert [(e["key"], e["first"]) for e in ledger] == [
        ("k-1", True),
        ("k-1", False),
        ("k-2", True),
    ]
    assert ledger[0]["request_id"] == first.json()["id"]
