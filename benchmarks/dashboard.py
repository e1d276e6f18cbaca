"""Time to compute the manager's dashboard over 25 000 applications on SQLite.

Fills a temporary, migrated SQLite database with ``--items`` applications of both case
types spread over ``--days`` days (two thirds decided by the robot with realistic decision
inputs, the rest referred, faulty, failed or open; some decided by a caseworker), then
computes :func:`caserobot.dashboard.metrics` for the whole period ``--repeat`` times and
prints the times. The last line is one JSON object.

    python benchmarks/dashboard.py --items 25000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from caserobot import dashboard
from caserobot.db import open_database, write_session
from caserobot.db.models import (
    CaseworkerActionRow,
    DecisionRow,
    ExceptionItemRow,
    RobotRow,
    WorkItemRow,
)

START = date(2026, 9, 1)
CASE_TYPES = ("skolskjuts", "ekonomiskt_bistand")


def _facts(rng: random.Random, case_type: str) -> dict[str, Any]:
    fetched = "2026-09-01T08:00:00+00:00"
    facts = {
        f"fakta_{i}": {"value": rng.randint(0, 10**6), "source": "test", "fetched_at": fetched}
        for i in range(12)
    }
    if case_type == "ekonomiskt_bistand":
        facts["utbetalning"] = {"value": {"belopp": rng.randint(1000, 15000)}, "source": "test"}
    return {"facts": facts}


def fill(sessions: Any, items: int, days: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    base = datetime.combine(START, datetime.min.time(), tzinfo=UTC)
    work, decisions, exceptions, actions = [], [], [], []
    for i in range(1, items + 1):
        case_type = CASE_TYPES[i % 2]
        submitted = base + timedelta(seconds=rng.randint(0, days * 86400 - 1))
        created = submitted + timedelta(minutes=rng.randint(1, 600))
        fate = rng.random()
        state = (
            "done"
            if fate < 0.66
            else "business_exception"
            if fate < 0.93
            else ("abandoned" if fate < 0.96 else "new")
        )
        work.append(
            {
                "id": i,
                "case_type": case_type,
                "kind": "application",
                "idempotency_key": f"{case_type}:A{i}",
                "application_id": f"A{i}",
                "payload": {
                    "application": {
                        "id": f"A{i}",
                        "submitted_at": submitted.isoformat(),
                        "free_text": "x" * 400,
                    }
                },
                "state": state,
                "attempts": 1,
                "available_at": created,
                "created_at": created,
                "updated_at": created,
            }
        )
        decided = created + timedelta(hours=rng.uniform(0.1, 30))
        if state == "done":
            decisions.append(
                {
                    "work_item_id": i,
                    "case_type": case_type,
                    "application_id": f"A{i}",
                    "outcome": rng.choice(("granted", "denied")),
                    "rule_set": "bench",
                    "as_of": decided.date(),
                    "inputs": _facts(rng, case_type),
                    "trace": [],
                    "reasons": [],
                    "motivering": "",
                    "written_at": decided,
                    "created_at": decided,
                }
            )
        elif state == "business_exception":
            exceptions.append(
                {
                    "id": len(exceptions) + 1,
                    "work_item_id": i,
                    "case_type": case_type,
                    "application_id": f"A{i}",
                    "reason_codes": [
                        rng.choice(
                            (
                                "medical_certificate",
                                "taxi_requested",
                                "first_application",
                                "rent_above_cap",
                                "invalid_personnummer",
                            )
                        )
                    ],
                    "recommended_outcome": rng.choice(("granted", "denied", None)),
                    "status": "open",
                    "created_at": decided,
                    "due_at": submitted + timedelta(days=7),
                    "decision_basis": {},
                }
            )
            if rng.random() < 0.5:
                actions.append(
                    {
                        "exception_item_id": len(exceptions),
                        "action": "decide",
                        "outcome": "granted",
                        "actor": "bench",
                        "state": "written",
                        "motivering": "",
                        "created_at": decided,
                        "written_at": decided + timedelta(days=rng.uniform(0.5, 12)),
                    }
                )
    with write_session(sessions) as s:
        for name, case_type in (("skolskjuts", "skolskjuts"), ("eb", "ekonomiskt_bistand")):
            s.add(RobotRow(name=name, version="1", owner="bench", case_type=case_type))
        for table, rows in (
            (WorkItemRow, work),
            (DecisionRow, decisions),
            (ExceptionItemRow, exceptions),
            (CaseworkerActionRow, actions),
        ):
            for chunk in range(0, len(rows), 2000):
                s.execute(insert(table), rows[chunk : chunk + 2000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=25_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            t0 = time.perf_counter()
            fill(db.sessions, args.items, args.days)
            print(f"filled {args.items} applications in {time.perf_counter() - t0:.1f} s")
            end = START + timedelta(days=args.days - 1)
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                m = dashboard.metrics(db.sessions, start=START, end=end)
                times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            dashboard.write_excel(m, Path(tmp) / "dashboard.xlsx")
            excel_s = time.perf_counter() - t0
        finally:
            db.dispose()
    print(
        f"metrics over {m.applications} applications: median {statistics.median(times):.3f} s"
        f" (min {min(times):.3f}, max {max(times):.3f}); automation {m.automation_share:.0%};"
        f" Excel {excel_s:.3f} s"
    )
    print(
        json.dumps(
            {
                "items": m.applications,
                "metrics_median_s": round(statistics.median(times), 4),
                "metrics_max_s": round(max(times), 4),
                "excel_s": round(excel_s, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
