"""The caseworker's view of the exception queue: records, errors and constants."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session, sessionmaker

from caserobot import discovery
from caserobot.exceptions import CaseRobotError

Sessions = sessionmaker[Session]
DECISIONS = ("accept", "decide")
MAX_TEXT = 4000


def decides_amount(case_type: str) -> bool:
    """Whether the case type's decision carries an amount (a grant needs one, a refusal has
    none): its package says so (:attr:`caserobot.discovery.CaseTypePackage.decides_amount`)."""
    package = discovery.installed().get(case_type)
    return package is not None and package.decides_amount


class CaseworkError(CaseRobotError):
    """A caseworker's request that cannot be carried out; the message is for them."""


class NotPermitted(CaseworkError, LookupError):
    """No such item in the caseworker's units (another unit's item looks the same: absent)."""

    def __init__(self, item_id: int) -> None:
        self.item_id = item_id
        super().__init__(f"ärende {item_id} finns inte i din enhets kö")


class AlreadyDecided(CaseworkError):
    """The item has a decision already; a second one would be written twice."""

    def __init__(self, item_id: int, by: str | None) -> None:
        self.item_id = item_id
        who = f" av {by}" if by else ""
        super().__init__(
            f"ärende {item_id} är redan beslutat{who}; ett nytt beslut kan inte fattas här"
        )


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class ActionRecord(_Record):
    """A caseworker's action and how far the robot got with it."""

    id: int
    action: Literal["accept", "decide", "request_completion"]
    outcome: str | None
    amount: int | None
    motivering: str
    actor: str
    created_at: datetime
    state: Literal["pending", "written", "failed"]
    legacy_case_id: str | None
    diarienummer: str | None  # for a completion request: the e-service's reference
    written_at: datetime | None
    error: str | None


class QueueEntry(_Record):
    id: int
    case_type: str
    case_type_label: str
    application_id: str
    reasons: list[tuple[str, str]]  # (code, Swedish label)
    detail: str
    recommended_outcome: str | None
    recommended_amount: int | None
    due_at: datetime | None
    overdue: bool
    created_at: datetime
    pending_action: str | None  # an action the robot has not written yet


class ItemDetail(QueueEntry):
    status: str
    application: dict[str, Any]
    facts: list[dict[str, Any]]  # name, value, source, fetched_at
    trace: list[dict[str, Any]]
    rule_set: str | None
    draft_motivering: str | None
    decision_motivering: str | None  # what accepting writes: the draft as a decision
    legacy_case_id: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    amount_required: bool
    decided: bool
    actions: list[ActionRecord]
