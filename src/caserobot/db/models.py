"""The ORM models of caserobot's registry and work-item queue.

Services outside ``caserobot.db`` should not hand these objects around: :mod:`caserobot.queue`
and :mod:`caserobot.registry` return plain frozen models from :mod:`caserobot.records`.
Every schema change here needs an Alembic revision in ``caserobot/migrations/versions``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from caserobot.db._types import UTCDateTime, utcnow

#: Deterministic constraint names, so migrations (and SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

WORK_ITEM_KINDS = ("application", "caseworker_action")
WORK_ITEM_STATES = (
    "new",
    "in_progress",
    "done",
    "business_exception",
    "application_exception",
    "abandoned",
)
RUN_STATUSES = ("running", "completed", "failed", "crashed")
ROBOT_STATUSES = ("active", "paused")
LEGACY_SYSTEM_KINDS = ("web_ui", "api")
EXCEPTION_STATUSES = ("open", "resolved")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
        list[Any]: JSON(),
        Any: JSON(),
    }


class LegacySystemRow(Base):
    __tablename__ = "legacy_systems"
    __table_args__ = (CheckConstraint(_one_of("kind", LEGACY_SYSTEM_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    base_url: Mapped[str] = mapped_column(String(500))
    seat_limit: Mapped[int | None]
    opening_hours: Mapped[str | None] = mapped_column(String(100))  # e.g. "07:00-19:00"
    # Issue 13, the engine: what the robots' circuit breakers last saw (migration 0005)
    down_since: Mapped[datetime | None]
    last_failure: Mapped[str | None] = mapped_column(Text)
    health_at: Mapped[datetime | None]
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RobotRow(Base):
    __tablename__ = "robots"
    __table_args__ = (CheckConstraint(_one_of("status", ROBOT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    version: Mapped[str] = mapped_column(String(50))
    owner: Mapped[str] = mapped_column(String(200))
    case_type: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    legacy_systems: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),
        Index("ix_runs_robot_started_at", "robot", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    robot: Mapped[str] = mapped_column(String(100), ForeignKey("robots.name"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")
    trigger: Mapped[str] = mapped_column(String(100))
    prefect_flow_run_id: Mapped[str | None] = mapped_column(String(100))
    output_dir: Mapped[str | None] = mapped_column(String(1000))
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Liveness (issue 13, migration 0004): the owning process and its last heartbeat.
    host: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[datetime | None]


class WorkItemRow(Base):
    __tablename__ = "work_items"
    __table_args__ = (
        CheckConstraint(_one_of("state", WORK_ITEM_STATES), name="state"),
        # The claim's queries (caserobot.queue.claim_queries) read these in order.
        Index("ix_work_items_claim", "case_type", "state", "available_at", "id"),
        Index("ix_work_items_leases", "case_type", "state", "lease_expires_at", "id"),
        Index("ix_work_items_run_id", "run_id"),
        Index("ix_work_items_created_at", "created_at"),  # the dashboard's period queries
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_type: Mapped[str] = mapped_column(String(100))
    # "application" (decide a new application) or "caseworker_action" (write back what a
    # caseworker decided on an exception item); reports count applications only.
    kind: Mapped[str] = mapped_column(
        String(30), default="application", server_default="application"
    )
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    application_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(30), default="new")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    step: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    # Issue 13, the engine: writes of unknown outcome and system failures (migration 0005)
    write_started_at: Mapped[datetime | None]
    transient_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_item_id: Mapped[int] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), unique=True
    )
    case_type: Mapped[str] = mapped_column(String(100))
    application_id: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(50))
    recommended_outcome: Mapped[str | None] = mapped_column(String(50))
    rule_set: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[date] = mapped_column(Date)
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    trace: Mapped[Any] = mapped_column(default=list)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    motivering: Mapped[str] = mapped_column(Text, default="")
    legacy_case_id: Mapped[str | None] = mapped_column(String(100))
    diarienummer: Mapped[str | None] = mapped_column(String(100))
    written_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    recovered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExceptionItemRow(Base):
    __tablename__ = "exception_items"
    __table_args__ = (
        CheckConstraint(_one_of("status", EXCEPTION_STATUSES), name="status"),
        Index("ix_exception_items_status_case_type", "status", "case_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_item_id: Mapped[int] = mapped_column(
        ForeignKey("work_items.id", ondelete="CASCADE"), unique=True
    )
    case_type: Mapped[str] = mapped_column(String(100))
    application_id: Mapped[str] = mapped_column(String(200))
    reason_codes: Mapped[list[str]] = mapped_column(default=list)
    detail: Mapped[str] = mapped_column(Text, default="")
    decision_basis: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recommended_outcome: Mapped[str | None] = mapped_column(String(50))
    draft_motivering: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))


# -- The web UI (issue 4): users, audit log, caseworkers' decisions ----------------------

USER_ROLES = ("admin", "caseworker", "manager")
CASEWORKER_ACTIONS = ("accept", "decide", "request_completion")
CASEWORKER_ACTION_STATES = ("pending", "written", "failed")


class UserRow(Base):
    """A person who logs in to the web UI. Caseworkers belong to one or more units."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_one_of("role", USER_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    units: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Issue 13 (security): signed sessions carry this number; bumping it ends them all.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Issue 13: may open items of people with protected identity (skyddad identitet).
    may_view_protected: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="0"
    )


class AuditRow(Base):
    """Who did what, when, with the state before and after. Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    after: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    client: Mapped[str | None] = mapped_column(String(100))
    # Issue 13: a hash chain (caserobot.audit.verify); a trigger refuses UPDATE and DELETE.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class CaseworkerActionRow(Base):
    """A caseworker's action on an exception item; a decision is written back by the robot.

    ``work_item_id`` is the queue item the robot claims to write the decision into the case
    system (exactly once, like its own decisions); ``diarienummer`` and ``written_at`` are
    filled in when it has been written and read back.
    """

    __tablename__ = "caseworker_actions"
    __table_args__ = (
        CheckConstraint(_one_of("action", CASEWORKER_ACTIONS), name="action"),
        CheckConstraint(_one_of("state", CASEWORKER_ACTION_STATES), name="state"),
        Index("ix_caseworker_actions_exception_item_id", "exception_item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exception_item_id: Mapped[int] = mapped_column(
        ForeignKey("exception_items.id", ondelete="CASCADE")
    )
    action: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str | None] = mapped_column(String(50))
    amount: Mapped[int | None] = mapped_column(Integer)
    motivering: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    work_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_items.id", ondelete="SET NULL")
    )
    legacy_case_id: Mapped[str | None] = mapped_column(String(100))
    diarienummer: Mapped[str | None] = mapped_column(String(100))
    written_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


# -- Security (issue 13): who read personal data ------------------------------------------


class AccessLogRow(Base):
    """A read of personal data: who, when, what, which case or item, from where.

    Separate from the audit log (changes). Append-only: a trigger refuses UPDATE and DELETE.
    """

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_at", "at"), Index("ix_access_log_actor", "actor"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(300), default="")
    case_ref: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    client: Mapped[str | None] = mapped_column(String(100))


# -- UI-drift canary (issue 13, migration 0006): accepted screen layouts per robot --------

CANARY_STATUSES = ("ok", "changed")


class CanaryScreenRow(Base):
    """A screen's accepted layout for one robot: the features its page object relies on."""

    __tablename__ = "canary_screens"
    __table_args__ = (Index("ix_canary_screens_robot_screen", "robot", "screen", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    robot: Mapped[str] = mapped_column(String(100))
    screen: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    features: Mapped[dict[str, Any]] = mapped_column(default=dict)
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_by: Mapped[str] = mapped_column(String(100))


class CanaryStateRow(Base):
    """One robot's canary: the last check, the changes it found, the screens as seen."""

    __tablename__ = "canary_states"
    __table_args__ = (CheckConstraint(_one_of("status", CANARY_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    robot: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="ok")
    message: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[list[Any]] = mapped_column(default=list)  # [{screen, title, findings}]
    observed: Mapped[dict[str, Any]] = mapped_column(default=dict)  # screen -> structure
    samples: Mapped[dict[str, Any]] = mapped_column(default=dict)  # ids the screens were read with
    detected_at: Mapped[datetime | None]
    checked_at: Mapped[datetime | None]
    check_ms: Mapped[int | None] = mapped_column(Integer)
