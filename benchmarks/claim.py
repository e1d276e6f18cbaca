"""What one claim from the work queue costs as the queue grows (issue 9: O(1) per claim).

For each size N it creates a fresh database (PostgreSQL on the local server, a new database
dropped afterwards; or a SQLite file), migrates it, fills the queue with N waiting items of
one case type and N of another (bulk insert, then ``ANALYZE``), and times ``--claims``
claims of one item each (``WorkQueue.claim`` with ``max_attempts``, as the robot engine
calls it). Prints p50 / p95 / max per size; the last line is one JSON object.

    python benchmarks/claim.py --sizes 250 25000 100000
    python benchmarks/claim.py --database sqlite

PostgreSQL: ``CASEROBOT_BENCH_POSTGRES_ADMIN_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), a role that may create databases.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, insert, make_url, text

ADMIN_URL = os.environ.get(
    "CASEROBOT_BENCH_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def _database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="claim-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    name = f"caserobot_claim_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(kind: str, size: int, claims: int) -> dict[str, float]:
    from caserobot.db import open_database
    from caserobot.db.models import WorkItemRow as W
    from caserobot.queue import WorkQueue

    with _database(kind) as url:
        db = open_database(url)
        try:
            queue = WorkQueue(db.sessions)
            queue.enqueue("komvux", "template", {})
            [template] = queue.items(case_type="komvux")
            row = {k: v for k, v in template.model_dump().items() if k in W.__table__.columns}
            row.pop("id")
            rows = [
                {**row, "case_type": case_type, "idempotency_key": f"{case_type}:A{i}",
                 "application_id": f"A{i}"}
                for case_type in ("komvux", "skolskjuts")
                for i in range(size)
            ]  # fmt: skip
            with db.sessions() as session:
                for start in range(0, len(rows), 20_000):
                    session.execute(insert(W), rows[start : start + 20_000])
                session.commit()
                session.execute(text("ANALYZE" if kind == "sqlite" else "ANALYZE work_items"))
                session.commit()
            times = []
            for _ in range(claims):
                started = time.perf_counter()
                claimed = queue.claim("komvux", "bench", lease_seconds=600, max_attempts=3)
                times.append((time.perf_counter() - started) * 1000)
                assert claimed, "the queue ran dry"
        finally:
            db.dispose()
    times.sort()
    return {
        "size": size,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "max_ms": round(times[-1], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 25_000, 100_000])
    ap.add_argument("--claims", type=int, default=200, help="claims timed per size")
    args = ap.parse_args()
    results = []
    for size in args.sizes:
        result = measure(args.database, size, args.claims)
        results.append(result)
        print(
            f"{args.database}, {size} waiting: claim p50 {result['p50_ms']} ms, "
            f"p95 {result['p95_ms']} ms, max {result['max_ms']} ms",
            flush=True,
        )
    print(json.dumps({"database": args.database, "claims": args.claims, "results": results}))


if __name__ == "__main__":
    main()
