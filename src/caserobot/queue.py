"""The durable work-item queue: one item per application, claimed with a lease.

States (``WorkItem.state``)::

    new ──claim──► in_progress ──► done                    with its decisions row
                     │   ▲    ├──► business_exception      with its exception_items row
                     │   │    ├──► application_exception   claimable again after a backoff
                     │   │    └──► abandoned               attempts used up; the administrator
                     │   │                                 may send it back to new
                     └───┘ lease expired (the robot crashed): claimable again, keeps its step

Exactly-once guarantees that live here: one item per ``case_type:application_id`` (a second
enqueue is a no-op), one owner per item at a time (claims are atomic: ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), and the item's final state is
written in the same transaction as its decision or exception item. An item whose robot
crashed becomes claimable when its lease runs out and keeps its ``step``, so the next robot
knows a write may already have happened and reads the case back first.

Owners must be unique per worker process (see :func:`new_owner_id`); every call after
``claim`` names the owner and fails with :class:`LeaseLost` if the item is no longer theirs.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from caserobot.db import read_session, utcnow, write_session
from caserobot.db.models import WORK_ITEM_STATES, DecisionRow, ExceptionItemRow, WorkItemRow
from caserobot.exceptions import ApplicationException
from caserobot.records import (
    Decision,
    DecisionRecord,
    ExceptionItem,
    ExceptionRecord,
    WorkItem,
    WorkItemState,
)

__all__ = [
    "Decision",
    "DecisionRecord",
    "ExceptionItem",
    "ExceptionRecord",
    "LeaseLost",
    "WorkItem",
    "WorkQueue",
    "idempotency_key",
    "new_owner_id",
]

W = WorkItemRow
T = TypeVar("T")
_ENQUEUE_CHUNK = 500


class LeaseLost(ApplicationException):
    """The work item is no longer held by this owner (lease taken over, or item finished).

    The robot must stop working on the item: another robot may be processing it.
    """

    def __init__(
        self,
        item_id: int,
        owner: str,
        action: str,
        *,
        state: str | None = None,
        holder: str | None = None,
    ) -> None:
        self.item_id = item_id
        self.owner = owner
        self.state = state
        self.holder = holder
        if state is None:
            why = "no such work item"
        elif state != "in_progress":
            why = f"the item is {state}"
        else:
            why = f"the item is held by {holder!r}"
        super().__init__(
            f"work item {item_id}: {owner!r} cannot {action}, lease lost ({why})",
            system="work-queue",
            step=action,
        )


def idempotency_key(case_type: str, application_id: str) -> str:
    """The key that makes enqueuing an application twice a no-op."""
    return f"{case_type}:{application_id}"


def new_owner_id(name: str = "robot") -> str:
    """A lease owner id unique to this process: ``name@host:pid:random``."""
    return f"{name}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class WorkQueue:
    """The work-item queue on one database.

    Args:
        sessions: the sessionmaker of a migrated database (:func:`caserobot.db.init_db`).
        clock: returns the current aware UTC time; tests pass a fake one.
    """

    def __init__(
        self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self._sessions

    # -- producing ---------------------------------------------------------------------

    def enqueue(
        self,
        case_type: str,
        application_id: str,
        payload: Mapping[str, Any],
        *,
        run_id: int | None = None,
    ) -> tuple[WorkItem, bool]:
        """Add one application. Returns the item and whether it was created.

        If the application is already queued (in any state) the existing item is returned
        unchanged with ``created=False``.
        """
        [result] = self.enqueue_many(case_type, [(application_id, payload)], run_id=run_id)
        return result

    def enqueue_many(
        self,
        case_type: str,
        applications: Iterable[tuple[str, Mapping[str, Any]]],
        *,
        run_id: int | None = None,
    ) -> list[tuple[WorkItem, bool]]:
        """Add many applications in one transaction: ``[(application_id, payload), ...]``.

        Returns ``(item, created)`` per input, in input order. Repeats (in the database or
        within the input) are not created twice.
        """
        now = self._clock()
        wanted = [(str(app_id), to_jsonable_python(payload)) for app_id, payload in applications]
        rows: dict[str, dict[str, Any]] = {}
        for app_id, payload in wanted:
            key = idempotency_key(case_type, app_id)
            rows.setdefault(
                key,
                {
                    "case_type": case_type,
                    "idempotency_key": key,
                    "application_id": app_id,
                    "payload": payload,
                    "state": "new",
                    "attempts": 0,
                    "available_at": now,
                    "run_id": run_id,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        keys = list(rows)
        created: set[str] = set()
        found: dict[str, WorkItem] = {}
        with write_session(self._sessions) as session:
            dialect = postgresql if _is_postgres(session) else sqlite
            for start in range(0, len(keys), _ENQUEUE_CHUNK):
                chunk = [rows[k] for k in keys[start : start + _ENQUEUE_CHUNK]]
                stmt = (
                    dialect.insert(W.__table__)
                    .values(chunk)
                    .on_conflict_do_nothing(index_elements=["idempotency_key"])
                    .returning(W.__table__.c.idempotency_key)
                )
                created.update(session.execute(stmt).scalars())
            for start in range(0, len(keys), _ENQUEUE_CHUNK):
                chunk_keys = keys[start : start + _ENQUEUE_CHUNK]
                for row in session.scalars(select(W).where(W.idempotency_key.in_(chunk_keys))):
                    found[row.idempotency_key] = _item(row)
        result = []
        for app_id, _ in wanted:
            key = idempotency_key(case_type, app_id)
            result.append((found[key], key in created))
            created.discard(key)  # a repeat within the input was not created by itself
        return result

    # -- consuming ---------------------------------------------------------------------

    def claim(
        self,
        case_type: str,
        owner: str,
        *,
        lease_seconds: float,
        run_id: int | None = None,
        limit: int = 1,
        max_attempts: int | None = None,
    ) -> list[WorkItem]:
        """Take up to ``limit`` items of ``case_type`` for ``owner``.

        Claimable, in this order, each oldest first: ``in_progress`` whose lease expired
        (its robot crashed; the item keeps its ``step``); ``application_exception`` whose
        backoff is over; ``new``. Each claimed item gets ``attempts + 1`` and a lease of
        ``lease_seconds``.

        With ``max_attempts``, an item whose lease expired after its last allowed attempt
        is abandoned instead of claimed again: an application that crashes the robot every
        time must not take the robot down forever.
        """
        if limit < 1:
            return []
        now = self._clock()
        with write_session(self._sessions) as session:
            if max_attempts is not None:
                session.execute(
                    update(W)
                    .where(
                        W.case_type == case_type,
                        W.state == "in_progress",
                        W.lease_expires_at <= now,
                        W.attempts >= max_attempts,
                    )
                    .values(
                        state="abandoned",
                        lease_owner=None,
                        lease_expires_at=None,
                        finished_at=now,
                        updated_at=now,
                        last_error=(
                            f"lease expired during attempt {max_attempts} of {max_attempts}:"
                            " the robot stopped while processing the item"
                        ),
                    )
                    .execution_options(synchronize_session=False)
                )
            # Three index-served queries, each ``ORDER BY`` the index's own order with a
            # ``LIMIT``, so a claim costs the same with 25,000 items waiting as with 25
            # (``claim_queries``; ``tests/db/test_claim_plan.py`` checks the plans).
            ids: list[int] = []
            for query in claim_queries(case_type, now):
                if len(ids) >= limit:
                    break
                query = query.limit(limit - len(ids))
                if _is_postgres(session):
                    query = query.with_for_update(skip_locked=True)
                ids += session.scalars(query)
            if not ids:
                return []
            values: dict[str, Any] = {
                "state": "in_progress",
                "lease_owner": owner,
                "lease_expires_at": now + timedelta(seconds=lease_seconds),
                "attempts": W.attempts + 1,
                "started_at": now,
                "finished_at": None,
                "duration_ms": None,
                "updated_at": now,
            }
            if run_id is not None:
                values["run_id"] = run_id
            session.execute(
                update(W)
                .where(W.id.in_(ids))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            rows = {r.id: r for r in session.scalars(select(W).where(W.id.in_(ids)))}
            return [_item(rows[i]) for i in ids]

    def heartbeat(self, item_id: int, owner: str, lease_seconds: float) -> datetime:
        """Extend the lease to ``now + lease_seconds``; returns the new expiry.

        Raises:
            LeaseLost: the item is not ``in_progress`` under ``owner`` any more.
        """
        now = self._clock()
        expires = now + timedelta(seconds=lease_seconds)
        self._update_owned(item_id, owner, "heartbeat", lease_expires_at=expires, updated_at=now)
        return expires

    def mark_step(self, item_id: int, owner: str, step: str) -> None:
        """Record progress, e.g. ``"writing"`` just before writing to the case system.

        Raises:
            LeaseLost: the item is not ``in_progress`` under ``owner`` any more.
        """
        now = self._clock()
        values: dict[str, Any] = {"step": step, "updated_at": now}
        if step.startswith("writing"):  # a write begins: its outcome may later be unknown
            values["write_started_at"] = now
        self._update_owned(item_id, owner, f"mark step {step!r}", **values)

    def complete(self, item_id: int, owner: str, decision: DecisionRecord) -> Decision:
        """Mark the item done and store its decision, in one transaction.

        Raises:
            LeaseLost: the item is not ``in_progress`` under ``owner`` (e.g. already done).
        """
        with write_session(self._sessions) as session:
            row = self._lock_owned(session, item_id, owner, "complete")
            self._finish(row, "done")
            decision_row = DecisionRow(
                work_item_id=row.id,
                case_type=row.case_type,
                application_id=row.application_id,
                created_at=self._clock(),
                **_columns(decision, DecisionRecord, json_fields={"inputs", "trace", "reasons"}),
            )
            session.add(decision_row)
            session.flush()
            return Decision.model_validate(decision_row)

    def complete_with(self, item_id: int, owner: str, record: Callable[[Session], T]) -> T:
        """Mark the item done and run ``record(session)`` in the same transaction.

        For items that store their result elsewhere than ``decisions`` (a caseworker's
        decision written back: :func:`caserobot.casework.record_written`).

        Raises:
            LeaseLost: the item is not ``in_progress`` under ``owner``.
        """
        with write_session(self._sessions) as session:
            row = self._lock_owned(session, item_id, owner, "complete")
            self._finish(row, "done")
            return record(session)

    def business_exception(
        self, item_id: int, owner: str, exception: ExceptionRecord
    ) -> ExceptionItem:
        """Send the item to the caseworkers' exception queue, in one transaction.

        Also the path for a referral by the rules (with ``recommended_outcome``).

        Raises:
            LeaseLost: the item is not ``in_progress`` under ``owner``.
        """
        with write_session(self._sessions) as session:
            row = self._lock_owned(session, item_id, owner, "record a business exception")
            self._finish(row, "business_exception")
            exception_row = ExceptionItemRow(
                work_item_id=row.id,
                case_type=row.case_type,
                application_id=row.application_id,
                status="open",
                created_at=self._clock(),
                **_columns(
                    exception, ExceptionRecord, json_fields={"reason_codes", "decision_basis"}
                ),
            )
            session.add(exception_row)
            session.flush()
            return ExceptionItem.model_validate(exception_row)

    def application_exception(
        self,
        item_id: int,
        owner: str,
        error: str,
        *,
        max_attempts: int,
        backoff_s: float,
        transient: bool = False,
        max_transient: int = 50,
        max_backoff_s: float = 60.0,
    ) -> WorkItemState:
        """Record a system problem. Returns the new state.

        Below ``max_attempts`` the item waits in ``application_exception`` until
        ``now + backoff_s * 2 ** (attempts - 1)``; after that it is ``abandoned`` (failed,
        for the robot administrator; see :meth:`retry_abandoned`).

        A ``transient`` problem is the system's, not the item's (down, 5xx, no answer, a
        write still settling): it gives the claim's attempt back and counts in
        ``transient_failures`` instead, so an outage makes items wait rather than fail.
        Only after ``max_transient`` of them is the item abandoned. Backoffs are capped at
        ``max_backoff_s``.

        Raises:
            LeaseLost: the item is not ``in_progress`` under ``owner``.
        """
        with write_session(self._sessions) as session:
            row = self._lock_owned(session, item_id, owner, "record an application exception")
            row.last_error = error
            if transient:
                row.attempts = max(row.attempts - 1, 0)
                row.transient_failures = (row.transient_failures or 0) + 1
                tries, limit = row.transient_failures, max_transient
            else:
                tries, limit = row.attempts, max_attempts
            if tries >= limit:
                self._finish(row, "abandoned")
            else:
                now = self._clock()
                delay = min(backoff_s * 2 ** max(tries - 1, 0), max_backoff_s)
                row.state = "application_exception"
                row.available_at = now + timedelta(seconds=delay)
                row.lease_owner = None
                row.lease_expires_at = None
                row.updated_at = now
            return row.state  # type: ignore[return-value]

    def abandon(self, item_id: int, owner: str, error: str) -> None:
        """Give up on the item now, without further retries (for the administrator).

        Raises:
            LeaseLost: the item is not ``in_progress`` under ``owner``.
        """
        with write_session(self._sessions) as session:
            row = self._lock_owned(session, item_id, owner, "abandon")
            row.last_error = error
            self._finish(row, "abandoned")

    def retry_abandoned(self, case_type: str, item_ids: Iterable[int] | None = None) -> int:
        """The administrator's "retry failed": abandoned items back to ``new``.

        Attempts start over; ``step`` and ``last_error`` are kept (a write may have
        happened). Returns how many items were reset.
        """
        now = self._clock()
        query = update(W).where(W.case_type == case_type, W.state == "abandoned")
        if item_ids is not None:
            query = query.where(W.id.in_(list(item_ids)))
        with write_session(self._sessions) as session:
            result = session.execute(
                query.values(
                    state="new",
                    attempts=0,
                    transient_failures=0,
                    available_at=now,
                    finished_at=None,
                    duration_ms=None,
                    updated_at=now,
                ).execution_options(synchronize_session=False)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    # -- reading -----------------------------------------------------------------------

    def get(self, item_id: int) -> WorkItem | None:
        with read_session(self._sessions) as session:
            row = session.get(W, item_id)
            return _item(row) if row is not None else None

    def items(
        self,
        *,
        case_type: str | None = None,
        run_id: int | None = None,
        state: WorkItemState | None = None,
        limit: int | None = None,
    ) -> list[WorkItem]:
        """Items matching every filter given, oldest first."""
        query = _filtered(select(W), case_type, run_id)
        if state is not None:
            query = query.where(W.state == state)
        query = query.order_by(W.id).limit(limit)
        with read_session(self._sessions) as session:
            return [_item(row) for row in session.scalars(query)]

    def counts(
        self, case_type: str | None = None, run_id: int | None = None, kind: str = "application"
    ) -> dict[str, int]:
        """Number of items of ``kind`` per state (every state present, zeros included)."""
        query = _filtered(select(W.state, func.count()), case_type, run_id).where(W.kind == kind)
        query = query.group_by(W.state)
        result = dict.fromkeys(WORK_ITEM_STATES, 0)
        with read_session(self._sessions) as session:
            for state, count in session.execute(query):
                result[state] = count
        return result

    def pending(self, case_type: str) -> int:
        """Items not finished yet: ``new``, waiting for a retry, or ``in_progress``.

        Items another robot holds are counted: that robot may have crashed, and its items
        become claimable when their lease runs out (see :meth:`next_available_at`).
        """
        query = select(func.count()).where(
            W.case_type == case_type,
            W.state.in_(("new", "application_exception", "in_progress")),
        )
        with read_session(self._sessions) as session:
            return int(session.scalar(query) or 0)

    def next_available_at(self, case_type: str) -> datetime | None:
        """When the next item becomes claimable (past means now), or None if nothing waits."""
        waiting = select(func.min(W.available_at)).where(
            W.case_type == case_type, W.state.in_(("new", "application_exception"))
        )
        leased = select(func.min(W.lease_expires_at)).where(
            W.case_type == case_type, W.state == "in_progress"
        )
        with read_session(self._sessions) as session:
            times = [t for t in (session.scalar(waiting), session.scalar(leased)) if t]
        return min(times) if times else None

    def decision(self, item_id: int) -> Decision | None:
        """The decision stored for a work item, if any."""
        with read_session(self._sessions) as session:
            row = session.scalar(select(DecisionRow).where(DecisionRow.work_item_id == item_id))
            return Decision.model_validate(row) if row is not None else None

    def decisions(
        self, *, case_type: str | None = None, run_id: int | None = None
    ) -> list[Decision]:
        """Stored decisions, by work item; ``run_id`` = the run that last touched the item."""
        query = select(DecisionRow).join(W, W.id == DecisionRow.work_item_id)
        query = _filtered(query, case_type, run_id).order_by(DecisionRow.id)
        with read_session(self._sessions) as session:
            return [Decision.model_validate(row) for row in session.scalars(query)]

    def exception_item(self, item_id: int) -> ExceptionItem | None:
        """The exception item stored for a work item, if any."""
        query = select(ExceptionItemRow).where(ExceptionItemRow.work_item_id == item_id)
        with read_session(self._sessions) as session:
            row = session.scalar(query)
            return ExceptionItem.model_validate(row) if row is not None else None

    # -- internals ---------------------------------------------------------------------

    def _update_owned(self, item_id: int, owner: str, action: str, **values: Any) -> None:
        with write_session(self._sessions) as session:
            result = session.execute(
                update(W)
                .where(W.id == item_id, W.state == "in_progress", W.lease_owner == owner)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise _lease_lost(session, item_id, owner, action)

    def _lock_owned(self, session: Session, item_id: int, owner: str, action: str) -> WorkItemRow:
        row = session.scalar(select(W).where(W.id == item_id).with_for_update())
        if row is None or row.state != "in_progress" or row.lease_owner != owner:
            raise LeaseLost(
                item_id,
                owner,
                action,
                state=row.state if row else None,
                holder=row.lease_owner if row else None,
            )
        return row

    def _finish(self, row: WorkItemRow, state: str) -> None:
        now = self._clock()
        row.state = state
        row.lease_owner = None
        row.lease_expires_at = None
        row.finished_at = now
        row.updated_at = now
        if row.started_at is not None:
            row.duration_ms = int((now - row.started_at).total_seconds() * 1000)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _filtered(query: Any, case_type: str | None, run_id: int | None) -> Any:
    if case_type is not None:
        query = query.where(W.case_type == case_type)
    if run_id is not None:
        query = query.where(W.run_id == run_id)
    return query


def _lease_lost(session: Session, item_id: int, owner: str, action: str) -> LeaseLost:
    row = session.execute(select(W.state, W.lease_owner).where(W.id == item_id)).first()
    if row is None:
        return LeaseLost(item_id, owner, action)
    return LeaseLost(item_id, owner, action, state=row.state, holder=row.lease_owner)


def _columns(record: BaseModel, model: type[BaseModel], *, json_fields: set[str]) -> dict[str, Any]:
    """The fields of ``model`` from ``record``; JSON columns get JSON-ready values (dates…)."""
    fields = set(model.model_fields)
    values = record.model_dump(include=fields - json_fields)
    values.update(record.model_dump(include=fields & json_fields, mode="json"))
    return values


def claim_queries(case_type: str, now: datetime) -> list[Select[tuple[int]]]:
    """The claim's queries, in the order they are tried: expired leases, retries whose
    backoff is over, new items; each oldest first on an index that holds that order
    (``ix_work_items_leases``, ``ix_work_items_claim``: case type and state, then time and
    id), so the database reads the first rows of one index range and stops at the limit."""
    leases = (
        select(W.id)
        .where(W.case_type == case_type, W.state == "in_progress", W.lease_expires_at <= now)
        .order_by(W.lease_expires_at, W.id)
    )
    ready = [
        select(W.id)
        .where(W.case_type == case_type, W.state == state, W.available_at <= now)
        .order_by(W.available_at, W.id)
        for state in ("application_exception", "new")
    ]
    return [leases, *ready]


def _item(row: WorkItemRow) -> WorkItem:
    return WorkItem.model_validate(row)
