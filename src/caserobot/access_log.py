"""The access log: who read personal data, when, what, which case or item, from where.

Social services must be able to tell who has looked at a person's case. The audit log
(:mod:`caserobot.audit`) records changes; this log records reads: an exception item (page and
API), the caseworker's queue, a run and Robot Framework's log, report or output of a run, the
dashboard and its Excel export, and refusals to open a protected-identity item. Each read is
one row written in its own transaction. Append-only: a trigger refuses UPDATE and DELETE.
Administrators read it on ``/admin/access-log`` and ``/api/access-log``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from caserobot.audit import cap
from caserobot.db import read_session, utcnow, write_session
from caserobot.db.models import AccessLogRow
from caserobot.personnummer import mask

__all__ = ["Access", "entries", "record"]

Sessions = sessionmaker[Session]
MAX_DETAIL = 2000


class Access(BaseModel):
    """One read of personal data."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    case_ref: str | None
    detail: str
    client: str | None


def record(
    sessions: Sessions,
    *,
    actor: str,
    action: str,
    target: str = "",
    case_ref: str | None = None,
    detail: str = "",
    client: str | None = None,
) -> None:
    """Record a read in a transaction of its own.

    Args:
        actor: the username.
        action: a dotted name of what was read, e.g. ``"casework.item.view"``.
        target: what was read, e.g. ``"exception:17"``, ``"run:3/log.html"``.
        case_ref: the application (case) the data is about, when it is one.
        detail: more context, e.g. the item ids a queue listed (cut to 2,000 characters).
        client: the client's address.
    """
    with write_session(sessions) as session:
        session.add(
            AccessLogRow(
                at=utcnow(),
                actor=cap(actor, 100),
                action=cap(action, 100),
                target=cap(mask(target), 300),
                case_ref=cap(case_ref, 200) if case_ref else None,
                detail=cap(mask(detail), MAX_DETAIL),
                client=cap(client, 100) if client else None,
            )
        )


def entries(
    sessions: Sessions,
    *,
    actor: str | None = None,
    action_prefix: str | None = None,
    case_ref: str | None = None,
    limit: int = 200,
) -> list[Access]:
    """The newest reads first, optionally filtered by user, action prefix or case."""
    query = select(AccessLogRow).order_by(AccessLogRow.id.desc()).limit(limit)
    if actor:
        query = query.where(AccessLogRow.actor == actor)
    if action_prefix:
        query = query.where(AccessLogRow.action.startswith(action_prefix))
    if case_ref:
        query = query.where(AccessLogRow.case_ref == case_ref)
    with read_session(sessions) as session:
        return [Access.model_validate(row) for row in session.scalars(query)]
