"""Plain, frozen records that :mod:`caserobot.queue` and :mod:`caserobot.registry` return.

They are snapshots, detached from any database session: safe to pass between layers,
threads and processes, and to serialise (``model_dump(mode="json")``).
``DecisionRecord`` and ``ExceptionRecord`` are what a robot hands to the queue when it
finishes a work item; the other models are what comes back out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

WorkItemState = Literal[
    "new", "in_progress", "done", "business_exception", "application_exception", "abandoned"
]
RunStatus = Literal["running", "completed", "failed", "crashed"]
RobotStatus = Literal["active", "paused"]
LegacySystemKind = Literal["web_ui", "api"]
ExceptionStatus = Literal["open", "resolved"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class WorkItem(_Record):
    """One application to process, as the queue holds it.

    ``step`` is the last progress marker the robot set (e.g. ``"writing"``). An item that
    comes back with ``attempts > 1`` and a ``step`` was claimed before, by a robot that may
    have got as far as writing: read the case back before writing again.
    """

    id: int
    case_type: str
    kind: str = "application"  # or "caseworker_action": write back a caseworker's decision
    idempotency_key: str
    application_id: str
    payload: dict[str, Any]
    state: WorkItemState
    attempts: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    available_at: datetime
    step: str | None
    last_error: str | None
    run_id: int | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    write_started_at: datetime | None = None  # the last write to a legacy system began
    transient_failures: int = 0  # system failures (down, 5xx, timeouts); not attempts


class DecisionRecord(_Record):
    """A decision the robot made (and wrote, or found already written) for one work item."""

    outcome: str = Field(description="The decision written, e.g. 'granted' or 'denied'")
    recommended_outcome: str | None = Field(
        default=None, description="What the rules recommended, if it differs or is of note"
    )
    rule_set: str = Field(description="Rules that decided, e.g. 'nacka-<ärendetyp>@1.0'")
    as_of: date = Field(description="Date the rules were evaluated at")
    inputs: dict[str, Any] = Field(default_factory=dict, description="Facts the rules used")
    trace: Any = Field(default_factory=list, description="Which rules fired, with citations")
    reasons: list[Any] = Field(default_factory=list, description="Reasons given")
    motivering: str = Field(default="", description="The justification text written")
    legacy_case_id: str | None = Field(default=None, description="Case id in the case system")
    diarienummer: str | None = Field(default=None, description="Registration number")
    written_at: datetime | None = Field(default=None, description="When it was written")
    verified_at: datetime | None = Field(default=None, description="When it was read back")
    recovered: bool = Field(
        default=False, description="Found already written on read-back; not written again"
    )


class Decision(DecisionRecord):
    """A stored decision."""

    id: int
    work_item_id: int
    case_type: str
    application_id: str
    created_at: datetime


class ExceptionRecord(_Record):
    """Why a work item goes to a caseworker instead of being decided by the robot.

    Used for business exceptions (bad or missing data) and for referrals by the rules;
    a referral carries the rules' ``recommended_outcome`` and a ``draft_motivering``.
    """

    reason_codes: list[str] = Field(
        min_length=1, description="Reason codes (the core's and the case type's)"
    )
    detail: str = Field(default="", description="Human-readable explanation")
    decision_basis: dict[str, Any] = Field(
        default_factory=dict, description="Facts gathered, each with its source and fetch time"
    )
    recommended_outcome: str | None = Field(default=None, description="What the rules suggest")
    draft_motivering: str | None = Field(default=None, description="Draft justification")
    due_at: datetime | None = Field(default=None, description="When a caseworker should act")


class ExceptionItem(ExceptionRecord):
    """A stored item in the caseworkers' exception queue."""

    id: int
    work_item_id: int
    case_type: str
    application_id: str
    status: ExceptionStatus
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None


class LegacySystem(_Record):
    id: int
    name: str
    kind: LegacySystemKind
    base_url: str
    seat_limit: int | None
    opening_hours: str | None = None
    description: str
    created_at: datetime
    updated_at: datetime
    down_since: datetime | None = None  # a robot's circuit breaker holds it down since then
    last_failure: str | None = None  # what the robot saw when it went down
    health_at: datetime | None = None  # when a robot last reported on it

    @property
    def is_down(self) -> bool:
        return self.down_since is not None


class Run(_Record):
    """One run of a robot."""

    id: int
    robot: str
    started_at: datetime
    finished_at: datetime | None
    status: RunStatus
    trigger: str
    prefect_flow_run_id: str | None
    output_dir: str | None
    stats: dict[str, Any]
    host: str | None = None  # the process that owns the run, and its last heartbeat
    pid: int | None = None
    heartbeat_at: datetime | None = None


class Robot(_Record):
    id: int
    name: str
    version: str
    owner: str
    case_type: str
    description: str
    legacy_systems: list[str]
    status: RobotStatus
    created_at: datetime
    updated_at: datetime
    last_run: Run | None = Field(default=None, description="Filled by list_robots()")
