"""Factories for exception items as the robot leaves them (through the real work queue)."""

from __future__ import annotations

from typing import Any

from caserobot import casework
from caserobot.queue import WorkQueue
from caserobot.records import ExceptionItem, ExceptionRecord

TRACE = [
    {
        "rule_id": "medical",
        "kind": "referral",
        "title": "Läkarintyg",
        "legal_reference": "SL 10 kap. 32 §",
        "inputs": {"medical_certificate": True},
        "result": "medical_certificate",
        "reason": "Läkarintyg är bifogat.",
        "decisive": True,
    }
]

DRAFT = (
    "Förslag till beslut\nAnsökan om skolskjuts bör beviljas.\n\n"
    "Underlag för förslaget:\n- Läkarintyg.\n\nBeslutet fattas av en handläggare."
)


def refer(
    queue: WorkQueue,
    application_id: str,
    *,
    case_type: str = "skolskjuts",
    submitted_at: str = "2026-08-01T10:00:00+02:00",
    reasons: tuple[str, ...] = ("medical_certificate",),
    recommended: str | None = "granted",
    amount: int | None = None,
    legacy_case_id: str | None = "A-1",
    application_fields: dict[str, Any] | None = None,
) -> ExceptionItem:
    """Enqueue, claim and refer one application, as the worker does for a rules referral."""
    application = {
        "id": application_id,
        "type": case_type,
        "submitted_at": submitted_at,
        "applicant": {"personnummer": "19800101-9803", "name": "Anna Test"},
        **(application_fields or {}),
    }
    item, _ = queue.enqueue(case_type, application_id, {"application": application})
    [claimed] = queue.claim(case_type, "test-robot", lease_seconds=60, limit=1)
    assert claimed.id == item.id
    facts: dict[str, Any] = {
        "gångavstånd_m": {
            "value": 2500,
            "source": "vägtjänsten",
            "fetched_at": "2026-08-02T08:00:00+00:00",
        },
        "ärende": {
            "value": legacy_case_id,
            "source": "ärendesystemet",
            "fetched_at": "2026-08-02T08:00:01+00:00",
        },
    }
    if amount is not None:
        facts["rekommendation"] = {
            "value": {"utfall": recommended, "belopp": amount},
            "source": "reglerna",
            "fetched_at": "2026-08-02T08:00:02+00:00",
        }
    record = ExceptionRecord(
        reason_codes=list(reasons),
        detail="Läkarintyg är bifogat.",
        decision_basis={
            "facts": facts,
            "rule_set": f"{case_type}@1.0",
            "trace": TRACE,
            "legacy_case_id": legacy_case_id,
        },
        recommended_outcome=recommended,
        draft_motivering=DRAFT if recommended else None,
        due_at=casework.due_at(case_type, {"application": application}, item.created_at),
    )
    return queue.business_exception(item.id, "test-robot", record)
