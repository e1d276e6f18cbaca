"""The audit log: who did what, when, with the state before and after.

Every action a person takes in the web UI or the CLI (log in, change a schedule, decide an
exception item, add a user) is recorded here. Write the entry in the same transaction as the
change with :func:`record`, so there is never a change without its entry or the reverse.

The log is append-only and tamper-evident:

* a database trigger (migration 0003, SQLite and PostgreSQL) refuses ``UPDATE`` and
  ``DELETE`` on ``audit_log``;
* each row is a link of a hash chain: ``row_hash`` is the SHA-256 of a canonical JSON of the
  row's fields and ``prev_hash`` (the previous row's ``row_hash``). Someone who drops the
  trigger and edits or deletes a row breaks the chain; :func:`verify` (``caserobot audit
  verify``, and the indicator on ``/admin/audit``) names the first broken row.

Writers are serialised so the chain never forks: on PostgreSQL :func:`record` takes a
transaction-scoped advisory lock; on SQLite ``write_session`` already holds the write lock.
Reads of personal data are not changes: they go to :mod:`caserobot.access_log`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from caserobot.db import read_session, utcnow, write_session
from caserobot.db.models import AuditRow
from caserobot.personnummer import mask

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "ChainCheck",
    "cap",
    "entries",
    "record",
    "record_now",
    "row_hash",
    "verify",
]

Sessions = sessionmaker[Session]

#: ``prev_hash`` of the first row.
GENESIS_HASH = "0" * 64
#: Marks a value cut to fit its column (a failed login's username can be anything).
CUT_MARK = "…[avkortad]"
#: Key of the PostgreSQL advisory lock that serialises writers of the chain.
_CHAIN_LOCK = 0x6361_7365_6175_6469  # "caseaudi"
_LIMITS = {"actor": 100, "action": 100, "target": 300, "client": 100}


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


class ChainCheck(BaseModel):
    """The result of :func:`verify`."""

    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str | None = None
    head_hash: str | None = None  # the last row's hash: note it elsewhere to detect truncation


def cap(value: str, limit: int) -> str:
    """``value`` cut to at most ``limit`` characters, marked with :data:`CUT_MARK` if cut."""
    if len(value) <= limit:
        return value
    return value[: limit - len(CUT_MARK)] + CUT_MARK


def row_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) over the canonical JSON of a row's fields and the previous hash."""
    at = fields["at"]
    canonical = {
        "id": fields["id"],
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": fields["actor"],
        "action": fields["action"],
        "target": fields["target"],
        "before": fields["before"],
        "after": fields["after"],
        "client": fields["client"],
        "prev_hash": prev_hash,
    }
    data = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


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
        actor: the username (or ``"cli:<os user>"``, ``"robot:<name>"``); cut to 100
            characters (a failed login records whatever was typed).
        action: a dotted verb, e.g. ``"schedule.pause"``, ``"exception.decide"``.
        target: what was acted on, e.g. ``"robot:<name>"``, ``"exception:17"``.
        before, after: JSON-serialisable state; never secrets (pass ``"***"`` instead).
        client: the client's address, when known.
    """
    fields: dict[str, Any] = {
        "at": utcnow(),
        "actor": cap(actor, _LIMITS["actor"]),
        "action": cap(action, _LIMITS["action"]),
        "target": cap(mask(target), _LIMITS["target"]),
        # Stored as the JSON column will give it back, so the hash verifies after a read.
        "before": _json_roundtrip(before),
        "after": _json_roundtrip(after),
        "client": cap(client, _LIMITS["client"]) if client is not None else None,
    }
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last = session.execute(
        select(AuditRow.id, AuditRow.row_hash).order_by(AuditRow.id.desc()).limit(1)
    ).first()
    fields["id"] = (last.id + 1) if last else 1
    prev = (last.row_hash or GENESIS_HASH) if last else GENESIS_HASH
    session.add(AuditRow(**fields, prev_hash=prev, row_hash=row_hash(fields, prev)))
    session.flush()


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


def verify(sessions: Sessions, *, last: int | None = None) -> ChainCheck:
    """Walk the chain from the first row; report the first row that does not fit.

    ``last`` checks only the newest rows (the first of them is trusted as a starting point):
    quick enough for every view of the admin page. ``caserobot audit verify`` checks all.

    A row fits when its ``prev_hash`` is the previous row's ``row_hash`` (the first row's is
    :data:`GENESIS_HASH`) and its ``row_hash`` matches its fields. A changed row breaks its
    own hash; a deleted or inserted row breaks the next row's ``prev_hash``. Rows removed at
    the very end leave no trace in the chain: compare ``head_hash`` with one noted earlier.
    """
    prev: str | None = GENESIS_HASH
    checked = 0
    query = select(AuditRow).order_by(AuditRow.id).execution_options(yield_per=1000)
    with read_session(sessions) as session:
        if last is not None:
            newest = select(AuditRow.id).order_by(AuditRow.id.desc()).limit(last).subquery()
            query = query.where(AuditRow.id >= select(func.min(newest.c.id)).scalar_subquery())
            prev = None  # the first row checked is the starting point
        for row in session.scalars(query):
            if prev is None:
                prev = row.prev_hash
            fields = {k: getattr(row, k) for k in ("id", "at", "actor", "action", "target")}
            fields.update(before=row.before, after=row.after, client=row.client)
            if row.prev_hash != prev:
                return _broken(row.id, checked, "föregående post saknas eller är ändrad")
            if row.row_hash != row_hash(fields, prev):
                return _broken(row.id, checked, "posten är ändrad (innehållet stämmer inte)")
            prev = row.row_hash
            checked += 1
    return ChainCheck(ok=True, checked=checked, head_hash=prev if checked else None)


def _broken(row_id: int, checked: int, problem: str) -> ChainCheck:
    return ChainCheck(ok=False, checked=checked, first_broken_id=row_id, problem=problem)


def _json_roundtrip(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, ensure_ascii=False))
