"""The audit log: who did what, when, with the state before and after.

Every action a person takes in the web UI or the CLI (log in, change a schedule, decide an
exception item, add a user) is recorded here. Write the entry in the same transaction as the
change with :func:`record`, so there is never a change without its entry or the reverse.
The log is append-only: nothing in caserobot updates or deletes an entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from caserobot.db import read_session, utcnow, write_session
from caserobot.db.models import AuditRow
from caserobot.personnummer import mask

Sessions = sessionmaker[Session]


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: Any | None
    after: Any | None
    client: str | None


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str = "",
    before: Any | None = None,
    after: Any | None = None,
    client: str | None = None,
) -> None:
    """Add an entry inside the caller's transaction (commits with the change it records).

    Args:
        actor: the username (or ``"cli:<os user>"``, ``"robot:<name>"``).
        action: a dotted verb, e.g. ``"schedule.pause"``, ``"exception.decide"``.
        target: what was acted on, e.g. ``"robot:skolskjuts"``, ``"exception:17"``.
        before, after: JSON-serialisable state; never secrets (pass ``"***"`` instead).
        client: the client's address, when known.
    """
    session.add(
        AuditRow(
            at=utcnow(),
            actor=actor,
            action=action,
            target=mask(target),
            before=before,
            after=after,
            client=client,
        )
    )


def record_now(sessions: Sessions, **entry: Any) -> None:
    """Record an entry in a transaction of its own (for actions with no database change)."""
    with write_session(sessions) as session:
        record(session, **entry)


def entries(
    sessions: Sessions,
    *,
    actor: str | None = None,
    action_prefix: str | None = None,
    target: str | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The newest entries first, optionally filtered."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditRow.actor == actor)
    if action_prefix:
        query = query.where(AuditRow.action.startswith(action_prefix))
    if target:
        query = query.where(AuditRow.target == target)
    with read_session(sessions) as session:
        return [AuditEntry.model_validate(row) for row in session.scalars(query)]
