"""A separate process for the concurrency tests (not a test module).

Usage: ``python queue_worker.py migrate URL`` or
``python queue_worker.py claim URL CASE_TYPE OWNER BATCH``.

The worker sets itself up, prints ``ready``, waits for a line on stdin (so that all workers
start together), does its job and prints one JSON line with the result.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date


def main() -> None:
    mode, url = sys.argv[1], sys.argv[2]
    from caserobot.db import current_revision, open_database, upgrade
    from caserobot.queue import DecisionRecord, LeaseLost, WorkQueue

    if mode == "migrate":
        print("ready", flush=True)
        sys.stdin.readline()
        upgrade(url)
        print(json.dumps({"revision": current_revision(url)}), flush=True)
        return

    case_type, owner, batch = sys.argv[3], sys.argv[4], int(sys.argv[5])
    db = open_database(url, migrate=False)
    queue = WorkQueue(db.sessions)
    queue.counts()  # connect before the start signal
    print("ready", flush=True)
    sys.stdin.readline()
    claimed: list[int] = []
    lost: list[int] = []  # items this worker claimed but another took over: must not happen
    while True:
        items = queue.claim(case_type, owner, lease_seconds=300, limit=batch)
        if not items:
            break
        for item in items:
            claimed.append(item.id)
            time.sleep(0.005)  # the item's work: lets the other workers in, even on a busy CPU
            try:
                queue.mark_step(item.id, owner, "writing")
                queue.complete(
                    item.id,
                    owner,
                    DecisionRecord(outcome="granted", rule_set="test", as_of=date(2026, 8, 1)),
                )
            except LeaseLost:
                lost.append(item.id)
    db.dispose()
    print(json.dumps({"owner": owner, "claimed": claimed, "lost": lost}), flush=True)


if __name__ == "__main__":
    main()
