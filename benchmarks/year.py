"""A municipality's year of applications, end to end on the production path.

Starts the stand-ins (with the latency asked for, ``--seats`` licences in each web system),
caserobot's Prefect server (its data on PostgreSQL with ``--database postgresql``, with the
registry there too), one deployment of the case type's robot and ``--workers`` real Prefect
process workers on caserobot's work pool (each takes one flow run at a time). Then:

1. submits ``--cases`` applications to the e-service stand-in (not timed);
2. moves them into the queue with ``caserobot.intake`` (batches, bounded concurrency), the
   clock running from here;
3. starts one flow run of the deployment per worker: each run is the robot's real flow
   (intake, the Robot Framework robot in its own process with Playwright and Chromium,
   the report), its robot holding ``seats / workers`` seats, while Prefect's global
   concurrency limit ``legacy-<system>`` holds the licences to ``--seats`` in all;
4. shows a progress bar over the work items until every one has ended, then waits for the
   flow runs, and checks the case system's ledger and the queue.

A case is a work item: Komvux decides an application course by course, so one application
is one to three cases (both counts are printed). The clock stops when the last case has
ended; ``flows_done_s`` adds the robots' reports and logs after that.

Figures, the last line being one JSON object:

* ``cases_per_s``, ``limit_cases_per_s`` (seat-bound: each web system's S sessions answer
  one page at a time, ``S / (max over systems of pages per case · L_ui)``, pages counted at
  the stand-ins while processing, logins left out), ``efficiency``, and
  ``projected_minutes_for_25000`` (25,000 cases at the measured rate, intake included);
* ``cpu_ms_per_case``: CPU of every process of the robots (the Prefect workers, the flow-run
  processes, the Robot Framework processes, Playwright's drivers, every Chromium process),
  each process's time as last sampled every 0.5 s, over the processing;
  the stand-ins, Prefect's server and the databases left out (their CPU for the same cases is
  ``cpu_ms_per_case_platform``: on one machine they share its cores with the robots);
* ``pss_mb_start`` / ``pss_mb_end``: proportional set size of the same processes after the
  first 10 % of the cases and when the last case has ended; ``pss_mb_peak`` in between;
* ``lost`` (work items not ended, applications without an item, ended items whose decision
  is not in the case system) and ``duplicates`` (decisions written more than once for one
  case, from the case system's ledger).

It refuses to start if anything listens on its ports.

    python benchmarks/year.py --case-type komvux --cases 2000 --seats 8 --workers 2 \\
        --database postgresql --ui-latency-ms 150 --api-latency-ms 80
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import psutil

from standin_env import (
    API_SYSTEMS,
    base_urls,
    listening,
    server_counts,
    settings_env,
    web_standins,
)

PORTS = {"eservice": 8831, "case": 8832, "population": 8833, "route": 8834, "income": 8835}
FIRST_PLUGIN_PORT = 8836
PREFECT_PORT = 8840
TERMINAL = ("done", "business_exception", "abandoned")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class RobotProcesses:
    """Samples every process under the Prefect workers: CPU (each process's own time as
    last seen, every 0.5 s) and, when asked, the proportional set size of them all."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.peak_pss = 0
        self._pss_every = 10  # ticks (5 s) between two peak samples: smaps is not cheap
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._lock = threading.Lock()

    def processes(self) -> list[psutil.Process]:
        found = []
        for pid in self.roots:
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(pid)
                found += [root, *root.children(recursive=True)]
        return found

    def start(self) -> None:
        """The CPU each running process has used so far is not the run's."""
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                self.first[p.pid] = self.last[p.pid] = t.user + t.system
        self._thread.start()

    def cpu_s(self) -> float:
        with self._lock:
            return sum(v - self.first.get(pid, 0.0) for pid, v in self.last.items())

    def pss_mb(self) -> float:
        by_kind = self.pss_by_kind()
        total = sum(by_kind.values())
        self.peak_pss = max(self.peak_pss, total)
        return total / 2**20

    def pss_by_kind(self) -> dict[str, int]:
        """PSS in bytes by what the process is: Prefect's worker, the flow run, the Robot
        Framework robot, Playwright's driver, Chromium."""
        out: dict[str, int] = {}
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                cmd = " ".join(p.cmdline())
                if "chromium" in cmd:
                    kind = "chromium"
                elif "run-driver" in cmd:
                    kind = "driver"
                elif "-m robot" in cmd or "robot.run" in cmd or "/robot " in cmd:
                    kind = "robot"
                elif "prefect.engine" in cmd:
                    kind = "flow_run"
                elif "worker" in cmd:
                    kind = "worker"
                else:
                    kind = "other"
                out[kind] = out.get(kind, 0) + p.memory_full_info().pss
        return out

    def _run(self) -> None:
        tick = 0
        while not self._stop.wait(0.5):
            for p in self.processes():
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    with self._lock:
                        self.last[p.pid] = t.user + t.system
            tick += 1
            if tick % self._pss_every == 0:
                self.pss_mb()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _create_databases(tag: str) -> dict[str, str]:
    """Fresh PostgreSQL databases for the registry and for Prefect: their URLs."""
    from sqlalchemy import create_engine, text

    names = {"registry": f"caserobot_year_{tag}", "prefect": f"caserobot_year_{tag}_prefect"}
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return {
        "registry": f"postgresql+psycopg://postgres@127.0.0.1:5432/{names['registry']}",
        "prefect": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{names['prefect']}",
        "names": ",".join(names.values()),
    }


def _drop_databases(names: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in names.split(","):
            with contextlib.suppress(Exception):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def main() -> None:  # noqa: PLR0915 - one benchmark, read top to bottom
    from caserobot import discovery

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--case-type",
        choices=sorted(n for n, p in discovery.installed().items() if p.robot is not None),
        default="komvux",
    )
    ap.add_argument("--cases", type=int, default=2000, help="applications submitted")
    ap.add_argument("--seats", type=int, default=8, help="licences S of each web system, in all")
    ap.add_argument("--workers", type=int, default=2, help="Prefect workers W (S/W seats each)")
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    ap.add_argument("--ui-latency-ms", type=int, default=150, help="latency per web page")
    ap.add_argument("--api-latency-ms", type=int, default=80, help="latency per API call")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if args.seats % args.workers:
        sys.exit("year.py: --seats must be a multiple of --workers (each robot holds S/W)")
    if args.database == "sqlite" and args.workers > 1:
        print(
            "year.py: note: several workers on one SQLite file contend for its write lock",
            file=sys.stderr,
        )

    own = web_standins(args.case_type, FIRST_PLUGIN_PORT)
    ports = (
        PORTS | {standin: port for standin, (_, port) in own.items()} | {"prefect": PREFECT_PORT}
    )
    if busy := [f"{name} {port}" for name, port in ports.items() if listening(port)]:
        sys.exit(f"year.py: something already listens on {', '.join(busy)}; stop it first")

    var = Path(tempfile.mkdtemp(prefix="caserobot-year-"))
    env = {
        "CASEROBOT_VAR_DIR": str(var),
        "CASEROBOT_PREFECT__PORT": str(PREFECT_PORT),
        **settings_env(PORTS, own, args.seats),
    }
    databases: dict[str, str] = {}
    if args.database == "postgresql":
        databases = _create_databases(f"{os.getpid()}_{uuid.uuid4().hex[:6]}")
        env["CASEROBOT_DATABASE__URL"] = databases["registry"]
        env["CASEROBOT_PREFECT__DATABASE_URL"] = databases["prefect"]
    os.environ.update(env)

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from caserobot import robots, runtime, scheduling
    from caserobot.db import init_db
    from caserobot.intake import intake
    from caserobot.queue import WorkQueue
    from caserobot.settings import get_settings

    settings = get_settings()
    runtime.apply_isolated_env(settings)
    base = base_urls(settings, own)
    manifest = robots.read_manifest(discovery.package(args.case_type).robot)
    robot = manifest.name
    started: list = []  # the stand-ins
    workers: list = []
    server = None
    out: dict = {}
    try:
        standins = runtime.start_standins(
            settings,
            ui_latency_ms=args.ui_latency_ms,
            api_latency_ms=args.api_latency_ms,
            seats=args.seats,
        )
        if standins:
            started.append(standins)
        server = runtime.start_prefect_server(settings, port=PREFECT_PORT)
        queue = WorkQueue(init_db(settings).sessions)
        print(
            f"year.py: {args.cases} {args.case_type} applications, {args.seats} seats, "
            f"{args.workers} workers, {args.database}, UI {args.ui_latency_ms} ms, "
            f"API {args.api_latency_ms} ms; var {var}",
            file=sys.stderr,
        )
        for offset in range(0, args.cases, 5000):
            httpx.post(
                f"{base['eservice']}/_test/generate",
                json={
                    "count": min(5000, args.cases - offset),
                    "seed": args.seed + offset,
                    "type": args.case_type,
                    "malformed_share": 0.02,
                },
                timeout=600,
            ).raise_for_status()
        schedule = scheduling.create_schedule(
            robot,
            "0 3 1 1 *",  # a deployment to start by hand; its schedule is not reached here
            actor="benchmark",
            name=f"year-{args.case_type}",
            parameters={"seats": args.seats // args.workers},
        )
        for i in range(args.workers):
            worker = runtime.start_worker(settings, reuse=False, name=f"year-{i + 1}", limit=1)
            if worker is not None:
                workers.append(worker)
        sampler = RobotProcesses([p.proc.pid for p in workers if p.proc])
        # The rest of the machine's work for the same cases, reported beside the robots':
        # the stand-ins (the legacy systems), Prefect's server and PostgreSQL.
        platform = RobotProcesses(
            [p.proc.pid for p in (*started, server) if p is not None and p.proc] + _postmasters()
        )

        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), transient=False) as progress:
            bar = progress.add_task("intake: ansökningar", total=args.cases)
            t0 = time.monotonic()
            result = asyncio.run(
                intake(
                    settings,
                    queue,
                    args.case_type,
                    progress=lambda done, listed: progress.update(
                        bar, completed=done, total=listed
                    ),
                )
            )
            intake_s = time.monotonic() - t0
            total = sum(queue.counts(args.case_type).values())
            before = server_counts(base)
            sampler.start()
            platform.start()
            flow_runs = [
                scheduling.run_now(schedule.name, actor="benchmark") for _ in range(args.workers)
            ]
            cases = progress.add_task("robotar: ärenden", total=total)
            pss_start = None
            t_start_cpu = time.monotonic()
            while True:
                counts = queue.counts(args.case_type)
                ended = sum(counts.get(s, 0) for s in TERMINAL)
                progress.update(cases, completed=ended)
                if pss_start is None and ended >= total / 10:
                    pss_start = sampler.pss_mb()
                if ended >= total:
                    break
                if _all_final(flow_runs) and ended < total:
                    break  # the robots stopped with cases left: counted as lost below
                time.sleep(1.0)
            processing_s = time.monotonic() - t_start_cpu
            elapsed_s = time.monotonic() - t0
            pss_end_by_kind = sampler.pss_by_kind()
            pss_end = sampler.pss_mb()
            cpu_s = sampler.cpu_s()
            platform_cpu_s = platform.cpu_s()
            after = server_counts(base)
            states = _wait_final(flow_runs, timeout_s=1800)
            flows_done_s = time.monotonic() - t0
        sampler.stop()
        platform.stop()

        web = [k for k in base if k not in API_SYSTEMS]
        pages = {
            k: (after[k] - before[k] - after[f"{k}_logins"] + before[f"{k}_logins"]) / max(1, ended)
            for k in web
        }
        limit = args.seats / (max(pages.values()) * args.ui_latency_ms / 1000)
        rate = ended / elapsed_s
        lost, duplicates = _check(base, queue, args.case_type, manifest.case_type)
        out = {
            "case_type": args.case_type,
            "applications": result.listed,
            "cases": ended,
            "seats": args.seats,
            "workers": args.workers,
            "database": args.database,
            "ui_latency_ms": args.ui_latency_ms,
            "api_latency_ms": args.api_latency_ms,
            "intake_s": round(intake_s, 1),
            "processing_s": round(processing_s, 1),
            "elapsed_s": round(elapsed_s, 1),
            "flows_done_s": round(flows_done_s, 1),
            "cases_per_s": round(rate, 3),
            "limit_cases_per_s": round(limit, 3),
            "efficiency": round(rate / limit, 3),
            "projected_minutes_for_25000": round(25000 / rate / 60, 1),
            "pages_per_case": {k: round(v, 2) for k, v in pages.items()},
            "cpu_ms_per_case": round(1000 * cpu_s / max(1, ended), 1),
            "cpu_ms_per_case_platform": round(1000 * platform_cpu_s / max(1, ended), 1),
            "pss_mb_start": round(pss_start or 0.0, 1),
            "pss_mb_end": round(pss_end, 1),
            "pss_mb_peak": round(sampler.peak_pss / 2**20, 1),
            "pss_mb_end_by_process": {
                k: round(v / 2**20, 1) for k, v in sorted(pss_end_by_kind.items())
            },
            "flow_runs": states,
            "lost": lost,
            "duplicates": duplicates,
        }
    finally:
        for proc in workers:
            proc.stop()
        if server is not None:
            server.stop()
        for proc in started:
            proc.stop()
        if databases:
            _drop_databases(databases["names"])
    print(json.dumps(out))


def _postmasters() -> list[int]:
    """PostgreSQL's server processes on this machine (their children are the backends)."""
    found = []
    for p in psutil.process_iter(["name"]):
        with contextlib.suppress(psutil.Error):
            if p.info["name"] == "postgres" and p.parent().name() != "postgres":
                found.append(p.pid)
    return found


def _all_final(flow_runs: list[str]) -> bool:
    final = ("Completed", "Failed", "Crashed", "Cancelled")
    return all(state in final for state in _states(flow_runs))


def _states(flow_runs: list[str]) -> list[str]:
    from uuid import UUID

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return [
            (client.read_flow_run(UUID(r)).state or type("S", (), {"name": "?"})).name
            for r in flow_runs
        ]


def _wait_final(flow_runs: list[str], timeout_s: float) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while not _all_final(flow_runs) and time.monotonic() < deadline:
        time.sleep(2)
    return _states(flow_runs)


def _check(base: dict[str, str], queue, case_type: str, ledger_type: str) -> tuple[int, int]:
    """``lost``: items not ended, submitted applications with no item, decisions the
    registry holds that the case system does not, and decisions in the case system the
    registry does not know; ``duplicates``: decisions written more than once for a case."""
    items = queue.items(case_type=case_type, limit=10_000_000)
    not_ended = sum(1 for i in items if i.state not in TERMINAL)
    submitted = httpx.get(
        f"{base['eservice']}/api/applications",
        params={"type": case_type, "limit": 1, "status": "submitted"},
        timeout=30,
    ).json()["total"]
    ledger = httpx.get(f"{base['case']}/_test/ledger", timeout=120).json()
    written = Counter(
        e["extern_ref"]
        for e in ledger
        if e["kind"] == "decision" and e.get("arendetyp", ledger_type) == ledger_type
    )
    recorded = {d.application_id for d in queue.decisions(case_type=case_type)}
    missing = len(recorded ^ set(written))
    duplicates = sum(n - 1 for n in written.values() if n > 1)
    return not_ended + submitted + missing, duplicates


if __name__ == "__main__":
    main()
