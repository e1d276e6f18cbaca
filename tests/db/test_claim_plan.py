"""The queue's claim reads one index range per query, in order, whatever the queue's length.

With thousands of items waiting, each of the claim's queries (:func:`caserobot.queue.
claim_queries`) must be served by an index that holds its order, so the database stops at
the limit instead of reading and sorting every waiting row. Checked with each backend's own
``EXPLAIN`` on a queue of 5,000 items, statistics gathered as in production.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from caserobot.db import Database
from caserobot.db.models import WorkItemRow as W
from caserobot.queue import WorkQueue, claim_queries

NOW = datetime(2026, 8, 3, 8, 0, tzinfo=UTC)
INDEXES = ["ix_work_items_leases", "ix_work_items_claim", "ix_work_items_claim"]


def _fill(db: Database, n: int) -> None:
    queue = WorkQueue(db.sessions, clock=lambda: NOW - timedelta(hours=1))
    queue.enqueue("komvux", "first", {})
    [template] = queue.items(case_type="komvux")
    row = template.model_dump(exclude={"id"})
    rows = [
        {
            **{k: v for k, v in row.items() if k in W.__table__.columns},
            "idempotency_key": f"komvux:A{i}",
            "application_id": f"A{i}",
            "state": ("new", "application_exception", "in_progress")[i % 3],
            "available_at": NOW - timedelta(seconds=i),
            "lease_expires_at": NOW - timedelta(seconds=i) if i % 3 == 2 else None,
        }
        for i in range(n)
    ]
    other = [{**r, "case_type": "skolskjuts", "idempotency_key": "s" + r["idempotency_key"]}
             for r in rows]  # fmt: skip
    with db.sessions() as session:
        session.execute(insert(W), rows + other)
        session.commit()
        sqlite = db.engine.dialect.name == "sqlite"
        session.execute(text("ANALYZE" if sqlite else "ANALYZE work_items"))
        session.commit()


def _plan(db: Database, query: Any) -> str:
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
            compiled = query.compile(db.engine)
            [[plan]] = conn.exec_driver_sql(
                f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params
            ).fetchall()
            return json.dumps(plan)
        compiled = query.compile(db.engine)
        params = tuple(str(compiled.params[k]) for k in compiled.positiontup or ())
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
        return " | ".join(str(r[-1]) for r in rows)


def test_each_claim_query_reads_its_index_in_order_and_stops(db: Database) -> None:
    _fill(db, 5000)
    for query, index in zip(claim_queries("komvux", NOW), INDEXES, strict=True):
        plan = _plan(db, query.limit(1))
        if db.engine.dialect.name == "postgresql":
            assert '"Index Name": "' + index + '"' in plan, plan
            assert 'Sort"' not in plan, plan  # no Sort, no Incremental Sort node
            assert "Seq Scan" not in plan, plan
            assert '"Node Type": "Limit"' in plan, plan
        else:
            assert f"INDEX {index} " in plan, plan  # (covering or not)
            assert "TEMP B-TREE" not in plan, plan  # no sort of the rows found


def test_a_claim_takes_expired_leases_then_retries_then_new_each_oldest_first(
    db: Database,
) -> None:
    _fill(db, 30)
    queue = WorkQueue(db.sessions, clock=lambda: NOW)
    claimed = queue.claim("komvux", "robot", lease_seconds=60, limit=30)
    ids = [c.application_id for c in claimed]
    # i % 3: 2 = lease expired, 1 = retry due, 0 = new; a larger i is older.
    expected = (
        [f"A{i}" for i in range(29, -1, -1) if i % 3 == 2]
        + [f"A{i}" for i in range(29, -1, -1) if i % 3 == 1]
        + ["first"]  # enqueued an hour before NOW: older than every new A-item
        + [f"A{i}" for i in range(29, -1, -1) if i % 3 == 0]
    )
    assert ids == expected[:30]
    assert all(c.case_type == "komvux" for c in claimed)
