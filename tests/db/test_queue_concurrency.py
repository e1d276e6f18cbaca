"""Several processes on one database: claims and migrations must not collide."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from caserobot.db import Database, current_revision, head_revision
from caserobot.db.models import DecisionRow
from caserobot.queue import WorkQueue

WORKER = Path(__file__).with_name("queue_worker.py")


def run_together(argvs: list[list[str]], timeout: float = 120) -> list[dict[str, Any]]:
    """Run one worker per argument list, release them at once, return their JSON results."""
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in argvs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != "ready":
                _, err = proc.communicate(timeout=timeout)
                raise AssertionError(f"worker did not start: {line!r}\n{err}")
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, f"worker failed ({proc.returncode}):\n{err}"
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_concurrent_claimers_in_separate_processes_claim_every_item_exactly_once(
    db: Database,
) -> None:
    queue = WorkQueue(db.sessions)
    results = queue.enqueue_many("skolskjuts", [(f"ES-{n:06d}", {"n": n}) for n in range(200)])
    all_ids = {item.id for item, created in results if created}
    assert len(all_ids) == 200

    workers = run_together([["claim", db.url, "skolskjuts", f"robot-{k}", "3"] for k in range(4)])

    assert [w["lost"] for w in workers] == [[]] * 4, "a claimed item was taken over"
    claimed = [item_id for w in workers for item_id in w["claimed"]]
    duplicates = [i for i, n in Counter(claimed).items() if n > 1]
    assert duplicates == [], f"claimed by more than one worker: {duplicates}"
    assert set(claimed) == all_ids
    busy = [w["owner"] for w in workers if w["claimed"]]
    assert len(busy) >= 2, f"the workers did not overlap: {[len(w['claimed']) for w in workers]}"

    owner_of = {i: w["owner"] for w in workers for i in w["claimed"]}
    items = queue.items(case_type="skolskjuts")
    assert {item.state for item in items} == {"done"}
    assert {item.attempts for item in items} == {1}
    assert all(item.step == "writing" for item in items)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DecisionRow)) == 200
    assert set(owner_of) == all_ids


def test_concurrent_upgrades_in_separate_processes(empty_db_url: str) -> None:
    workers = run_together([["migrate", empty_db_url] for _ in range(4)])

    assert [w["revision"] for w in workers] == [head_revision()] * 4
    assert current_revision(empty_db_url) == head_revision()
