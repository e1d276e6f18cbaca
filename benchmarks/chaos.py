"""Chaos harness: the real path (Prefect, Robot Framework, Chromium) under injected faults.

Starts its own stand-ins (free ports), its own Prefect server (basic auth, in a temporary
``var`` directory), a Prefect process worker and a deployment of each robot's flow on the
``caserobot`` pool. It submits ``--cases`` applications, injects the faults on every
stand-in (5xx, hangs, slow saves, lost answers), and keeps triggering flow runs ("run now",
as the schedule would) until every work item is terminal or the time limit passes. Meanwhile
it kills the robot's process tree (the ``robot`` process the flow starts, its Chromium and
driver) ``--kill-robot`` times, kills the Prefect worker with everything under it
``--kill-worker`` times (then starts a new worker, marks the dead flow run Crashed and
re-triggers the deployment, as an operator would), and takes the case system down for
``--outage-s`` seconds.

Then it reads the stand-ins' ledgers and the registry's queue. The last line is one JSON
object: ``cases``, ``lost``, ``duplicates``, ``wrong_writes``, ``terminal``,
``calls_during_outage``, ``elapsed_s`` and breakdowns (see docs/benchmarks.md, "Chaos").
``--layout-change`` switches the case system to layout v2 first: the UI-drift canary must
pause the robot before any write (``writes_after_layout_change`` 0, ``robot_paused``).

    python benchmarks/chaos.py --cases 40 --seed 1
    python benchmarks/chaos.py --cases 1000 --error-rate 0.1 --hang-rate 0.05 \\
        --slow-write-rate 0.05 --kill-robot 1 --kill-worker 1 --outage-s 300
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
SYSTEMS = ("eservice", "case_system", "population", "route", "income")
CASE_TYPES = ("skolskjuts", "ekonomiskt_bistand")
RUNNING = ("new", "in_progress", "application_exception")
OUTCOME_UTFALL = {"granted": "bifall", "denied": "avslag"}


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text}: a share between 0 and 1")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text}: 0 or more")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", type=int, default=40, help="applications submitted")
    ap.add_argument("--case-type", choices=(*CASE_TYPES, "both"), default="skolskjuts")
    ap.add_argument("--error-rate", type=_rate, default=0.1, help="share of requests answered 503")
    ap.add_argument("--hang-rate", type=_rate, default=0.02,
                    help="share of requests never answered")
    ap.add_argument("--slow-write-rate", type=_rate, default=0.05,
                    help="share of writes that land after the robot gave up waiting")
    ap.add_argument("--lost-answer-rate", type=_rate, default=0.05,
                    help="share of writes made whose answer is lost")
    ap.add_argument("--kill-robot", type=_count, default=1, help="robot process trees killed")
    ap.add_argument("--kill-worker", type=_count, default=0, help="Prefect workers killed")
    ap.add_argument("--outage-s", type=float, default=20, help="case system down for S s (0: none)")
    ap.add_argument("--layout-change", action="store_true",
                    help="case system on layout v2 before the run (the canary must pause)")
    ap.add_argument("--seed", type=int, default=1, help="applications and fault RNG")
    ap.add_argument("--seats", type=int, default=4, help="case-system seat licences")
    ap.add_argument("--ui-latency-ms", type=_count, default=150,
                    help="latency of every case-system page (as in throughput.py)")
    ap.add_argument("--api-latency-ms", type=_count, default=80,
                    help="latency of every register and e-service call")
    ap.add_argument("--lease-s", type=int, default=30, help="work-item lease (a killed robot's "
                    "items are taken again after it)")
    ap.add_argument("--time-limit-s", type=float, default=None,
                    help="give up after this long (default from the cases and the faults)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary var directory")
    args = ap.parse_args(argv)
    if args.cases < 1:
        ap.error("--cases: at least 1")
    if args.seats < 1:
        ap.error("--seats: at least 1")
    if args.outage_s < 0:
        ap.error("--outage-s: 0 or more")
    if args.time_limit_s is None:
        # Measured on 2 busy cores: 0.2-0.5 cases/s under the 1000-case fault profile; a
        # killed worker costs about 5 minutes (Prefect's concurrency lease), a robot 1-2.
        args.time_limit_s = (240 + 6 * args.cases + 3 * args.outage_s
                             + 420 * args.kill_worker + 120 * args.kill_robot)
    return args


def robot_env(args: argparse.Namespace) -> dict[str, str]:
    """The settings that make a robot chaos-proof; printed, and in the JSON.

    A ``CASEROBOT_*`` variable already set in the environment wins (to try other values).
    """
    chosen = {
        "CASEROBOT_CASE_SYSTEM__TIMEOUT_S": "5",
        "CASEROBOT_CASE_SYSTEM__WRITE_SETTLE_S": "30",  # > slow_write_s 8: a slow save shows
        "CASEROBOT_CASE_SYSTEM__SEAT_WAIT_S": "120",
        "CASEROBOT_CASE_SYSTEM__SEAT_LIMIT": str(args.seats),
        "CASEROBOT_ESERVICE__TIMEOUT_S": "5",
        "CASEROBOT_POPULATION_REGISTER__TIMEOUT_S": "5",
        "CASEROBOT_ROUTE_SERVICE__TIMEOUT_S": "5",
        "CASEROBOT_INCOME_REGISTER__TIMEOUT_S": "5",
        "CASEROBOT_WORK__LEASE_SECONDS": str(args.lease_s),
        "CASEROBOT_WORK__RETRY_BACKOFF_S": "1",
        "CASEROBOT_WORK__MAX_BACKOFF_S": "10",
        "CASEROBOT_WORK__BREAKER_MAX_PROBE_S": "5",
        "CASEROBOT_WORK__OUTAGE_WAIT_S": str(int(max(60, 2 * args.outage_s))),
    }
    return {key: os.environ.get(key, value) for key, value in chosen.items()}


# Stand-in knobs (src/standins/README.md, "Fault injection").
def fault_knobs(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "fail_rate": args.error_rate,
        "hang_rate": args.hang_rate,
        "hang_s": 15,
        "slow_write_rate": args.slow_write_rate,
        "slow_write_s": 8,  # the robot gives up after 5 s: the save lands 3 s later
        "lost_answer_rate": args.lost_answer_rate,
        "fault_seed": args.seed,
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Standins:
    """The stand-ins' ``/_test`` API."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.http = httpx.Client(timeout=60)

    def get(self, system: str, path: str) -> Any:
        r = self.http.get(f"{self.urls[system]}/_test/{path}")
        r.raise_for_status()
        return r.json()

    def post(self, system: str, path: str, body: dict[str, Any]) -> Any:
        r = self.http.post(f"{self.urls[system]}/_test/{path}", json=body)
        r.raise_for_status()
        return r.json()

    def up(self, system: str) -> bool:
        try:
            return httpx.get(f"{self.urls[system]}/_test/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_up_and_settled(self, timeout_s: float = 120) -> None:
        """Every system answers and no slow write is still in flight."""
        deadline = time.monotonic() + timeout_s
        for system in SYSTEMS:
            while not self.up(system) or self.get(system, "stats")["pending_writes"]:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{system} not up and settled after {timeout_s} s")
                time.sleep(0.2)


class Prefect:
    """Flow runs this harness triggered, and the processes under the worker."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.worker: Any = None
        self.runs: dict[str, list[str]] = {}  # robot -> flow run ids
        self.killed_runs: set[str] = set()

    def start_worker(self) -> None:
        from caserobot import runtime

        self.worker = runtime.start_worker(self.settings, reuse=False)

    def trigger(self, robot: str) -> str:
        from caserobot import scheduling

        run_id = scheduling.run_now(robot, actor="chaos")
        self.runs.setdefault(robot, []).append(run_id)
        return run_id

    def states(self) -> dict[str, str]:
        from uuid import UUID

        from prefect.client.orchestration import get_client

        out = {}
        with get_client(sync_client=True) as client:
            for ids in self.runs.values():
                for run_id in ids:
                    state = client.read_flow_run(UUID(run_id)).state
                    out[run_id] = state.name if state else "Unknown"
        return out

    def active(self, robot: str) -> bool:
        from uuid import UUID

        from prefect.client.orchestration import get_client

        ids = [i for i in self.runs.get(robot, []) if i not in self.killed_runs]
        if not ids:
            return False
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(UUID(ids[-1])).state
        return state is None or not state.is_final()

    def processes(self) -> list[psutil.Process]:
        if self.worker is None or self.worker.proc is None:
            return []
        try:
            root = psutil.Process(self.worker.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def robot_processes(self) -> list[psutil.Process]:
        """The ``python -m robot`` processes the flow runs started, under this worker."""
        found = []
        for proc in self.processes():
            try:
                cmd = proc.cmdline()
            except psutil.Error:
                continue
            if "-m" in cmd and "robot" in cmd and "--rpa" in cmd:
                found.append(proc)
        return found

    def kill_robot(self) -> int:
        """SIGKILL one robot process (the oldest) and everything under it (Chromium, the
        driver); the flow run's process lives on and Prefect retries its robot task."""
        robots = sorted(self.robot_processes(), key=_created)
        if not robots:
            return 0
        family = [robots[0]]
        with _suppress():
            family += robots[0].children(recursive=True)
        killed = 0
        for proc in family:
            with _suppress():
                proc.send_signal(signal.SIGKILL)
                killed += 1
        return killed

    def kill_worker(self) -> int:
        """SIGKILL the worker and everything under it (flow runs, robots, Chromium).

        Prefect would mark the dead flow run Crashed only through a heartbeat automation
        (none is installed); the harness marks it, as an operator would, and re-triggers.
        """
        from uuid import UUID

        from prefect.client.orchestration import get_client
        from prefect.states import Crashed

        family = self.processes()
        for proc in family:
            with _suppress():
                proc.send_signal(signal.SIGKILL)
        psutil.wait_procs(family, timeout=10)
        if self.worker and self.worker.proc:
            with _suppress():
                self.worker.proc.wait(5)
        with get_client(sync_client=True) as client:
            for ids in self.runs.values():
                for run_id in ids:
                    state = client.read_flow_run(UUID(run_id)).state
                    if state is not None and not state.is_final():
                        client.set_flow_run_state(
                            UUID(run_id), Crashed(message="the worker was killed"), force=True
                        )
                        self.killed_runs.add(run_id)
        self.worker = None
        return len(family)


def _created(proc: psutil.Process) -> float:
    try:
        return float(proc.create_time())
    except psutil.Error:
        return float("inf")


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        return kind is not None and issubclass(kind, (psutil.Error, OSError))


def schedule_thresholds(kills: int, lo: float, hi: float) -> list[float]:
    """Progress shares (terminal items / cases) at which the kills happen."""
    return [lo + (hi - lo) * (i + 1) / (kills + 1) for i in range(kills)]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    var = Path(tempfile.mkdtemp(prefix="caserobot-chaos-"))
    ports = {s: _free_port() for s in SYSTEMS}
    env = {
        "CASEROBOT_VAR_DIR": str(var),
        "CASEROBOT_ESERVICE__BASE_URL": f"http://127.0.0.1:{ports['eservice']}",
        "CASEROBOT_CASE_SYSTEM__BASE_URL": f"http://127.0.0.1:{ports['case_system']}",
        "CASEROBOT_POPULATION_REGISTER__BASE_URL": f"http://127.0.0.1:{ports['population']}",
        "CASEROBOT_ROUTE_SERVICE__BASE_URL": f"http://127.0.0.1:{ports['route']}",
        "CASEROBOT_INCOME_REGISTER__BASE_URL": f"http://127.0.0.1:{ports['income']}",
        **robot_env(args),
    }
    for key in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING", "CASEROBOT_DATABASE__URL"):
        os.environ.pop(key, None)  # this harness's own server and registry, never another's
    os.environ.update(env)
    from caserobot.runtime import apply_isolated_env, start_prefect_server, start_standins
    from caserobot.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    apply_isolated_env(settings)
    log("settings: " + " ".join(f"{k}={v}" for k, v in robot_env(args).items()))
    started = time.monotonic()
    prefect = Prefect(settings)
    handles: dict[str, Any] = {}
    try:
        # Both take tens of seconds on a busy machine: side by side.
        with ThreadPoolExecutor(2) as pool:
            futures = {
                "standins": pool.submit(
                    start_standins, settings, seats=args.seats,
                    ui_latency_ms=args.ui_latency_ms, api_latency_ms=args.api_latency_ms,
                ),
                "server": pool.submit(start_prefect_server, settings, port=_free_port()),
            }
            errors = []
            for name, future in futures.items():
                try:
                    handles[name] = future.result()
                except BaseException as exc:  # noqa: BLE001 - raised below, after both ended
                    errors.append(exc)
        if errors:
            raise errors[0]
        urls = {
            "eservice": settings.eservice.base_url,
            "case_system": settings.case_system.base_url,
            "population": settings.population_register.base_url,
            "route": settings.route_service.base_url,
            "income": settings.income_register.base_url,
        }
        standins = Standins(urls)
        log(f"stand-ins on {ports}; Prefect server {os.environ['PREFECT_API_URL']}")
        result = _run(args, settings, standins, prefect, started)
    finally:
        # Flow runs live in process groups of their own: a stopped worker may leave them.
        leftovers = prefect.processes()[1:]
        if prefect.worker is not None:
            prefect.worker.stop()
        for proc in leftovers:
            with _suppress():
                proc.send_signal(signal.SIGKILL)
        if handles.get("server") is not None:
            handles["server"].stop()
        if handles.get("standins") is not None:
            handles["standins"].stop()
        if not args.keep:
            shutil.rmtree(var, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return result


def _robots(case_type: str) -> list[str]:
    return list(CASE_TYPES) if case_type == "both" else [case_type]


def _run(args: argparse.Namespace, settings: Any, standins: Standins, prefect: Prefect,
         started: float) -> dict[str, Any]:
    from caserobot import registry, scheduling
    from caserobot.db import init_db
    from caserobot.queue import WorkQueue

    robots = _robots(args.case_type)
    pool = ThreadPoolExecutor(1)
    worker = pool.submit(prefect.start_worker)
    submitted: dict[str, list[str]] = {}
    for n, robot in enumerate(robots):
        count = args.cases // len(robots) + (1 if n < args.cases % len(robots) else 0)
        generated = standins.post("eservice", "generate",
                                  {"count": count, "seed": args.seed, "type": robot})
        submitted[robot] = list(generated["ids"])
    db = init_db(settings)
    queue = WorkQueue(db.sessions)
    seats = max(1, args.seats // len(robots))
    for robot in robots:
        scheduling.create_schedule(robot, "0 3 1 1 *", actor="chaos",
                                   parameters={"seats": seats})
        scheduling.pause(robot, actor="chaos")  # the harness triggers the runs itself
    worker.result()
    pool.shutdown()
    knobs = fault_knobs(args)
    for system in SYSTEMS:
        standins.post(system, "config", knobs)
    case_knobs: dict[str, Any] = {"session_timeout_s": 30}
    if args.layout_change:
        case_knobs["layout_variant"] = "v2"
    standins.post("case_system", "config", case_knobs)
    ledger_mark = max((e["seq"] for e in standins.get("case_system", "ledger")), default=0)
    startup_s = time.monotonic() - started
    log(f"{args.cases} applications ({', '.join(robots)}); faults {knobs}; "
        f"start-up {startup_s:.0f} s; time limit {args.time_limit_s:.0f} s")

    total = sum(len(v) for v in submitted.values())
    robot_kills = schedule_thresholds(args.kill_robot, 0.05, 0.45)
    worker_kills = schedule_thresholds(args.kill_worker, 0.5, 0.9)
    outage_at = 0.45 if args.outage_s else None
    done: dict[str, Any] = {"robot_kills": 0, "worker_kills": 0, "triggers": 0,
                            "outage_started_s": None, "events": []}
    t0 = time.monotonic()
    paused = False
    finished_at: float | None = None
    last_report = 0.0
    while time.monotonic() - t0 < args.time_limit_s:
        counts = _counts(queue, robots)
        terminal_n = sum(n for s, n in counts.items() if s not in RUNNING)
        paused = any(_paused(registry, db, r) for r in robots)
        if terminal_n >= total and sum(counts.values()) >= total:
            finished_at = finished_at or time.monotonic()
            if not any(prefect.active(r) for r in robots) or time.monotonic() - finished_at > 60:
                break
        elif paused:
            if not any(prefect.active(r) for r in robots):
                break
        else:
            for robot in robots:
                if not prefect.active(robot) and _unfinished(queue, robot):
                    prefect.trigger(robot)
                    done["triggers"] += 1
                    log(f"run now: {robot} (run {done['triggers']})")
            share = terminal_n / total
            progress = (t0, terminal_n, total)
            mid_run = counts.get("in_progress", 0) > 0 and bool(prefect.robot_processes())
            if outage_at is not None and share >= outage_at and done["outage_started_s"] is None:
                standins.post("case_system", "outage", {"seconds": args.outage_s})
                done["outage_started_s"] = round(time.monotonic() - t0, 1)
                _event(done, progress, f"case system down for {args.outage_s:g} s")
            n = done["robot_kills"]
            due = n < len(robot_kills) and share >= robot_kills[n] and mid_run
            if due and prefect.kill_robot():
                done["robot_kills"] += 1
                _event(done, progress, f"killed a robot's process tree ({n + 1}/{args.kill_robot})")
            n = done["worker_kills"]
            if n < len(worker_kills) and share >= worker_kills[n] and mid_run:
                gone = prefect.kill_worker()
                done["worker_kills"] += 1
                _event(done, progress, f"killed the worker and {gone - 1} processes under it "
                       f"({n + 1}/{args.kill_worker}); starting a new worker")
                prefect.start_worker()
        if time.monotonic() - last_report > 15:
            last_report = time.monotonic()
            log(f"items {dict((k, v) for k, v in counts.items() if v)}")
        time.sleep(0.3)
    elapsed = (finished_at or time.monotonic()) - t0
    standins.wait_up_and_settled()
    result = check(args, standins, queue, submitted, ledger_mark)
    stats = {s: standins.get(s, "stats") for s in SYSTEMS}
    faults: Counter[str] = Counter()
    for s in stats.values():
        faults.update({k: v for k, v in s["faults"].items() if v})
    run_states = Counter(prefect.states().values())
    result.update({
        "calls_during_outage": stats["case_system"]["outage_connections"],
        "elapsed_s": round(elapsed, 1),
        "startup_s": round(startup_s, 1),
        "faults": dict(faults),
        "faults_by_system": {k: {f: n for f, n in s["faults"].items() if n}
                             for k, s in stats.items()},
        "robot_kills": done["robot_kills"],
        "worker_kills": done["worker_kills"],
        "flow_runs": done["triggers"],
        "flow_run_states": dict(run_states),
        "outage_started_s": done["outage_started_s"],
        "events": done["events"],
        "robot_paused": paused,
        "timed_out": finished_at is None and not paused,
        "args": {k: v for k, v in vars(args).items() if k != "keep"},
        "settings": robot_env(args),
    })
    return result


def _event(done: dict[str, Any], progress: tuple[float, int, int], what: str) -> None:
    t0, terminal_n, total = progress
    done["events"].append({"what": what, "at_s": round(time.monotonic() - t0, 1),
                           "terminal_share": round(terminal_n / total, 3)})
    log(f"{what} ({terminal_n}/{total} terminal)")


def _counts(queue: Any, robots: list[str]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for robot in robots:
        total.update(queue.counts(robot))
    return dict(total)


def _unfinished(queue: Any, robot: str) -> bool:
    counts = queue.counts(robot)
    return sum(counts.values()) == 0 or any(counts[s] for s in RUNNING)


def _paused(registry: Any, db: Any, robot: str) -> bool:
    row = registry.get_robot(db.sessions, robot)
    return row is not None and row.status == "paused"


def check(args: argparse.Namespace, standins: Standins, queue: Any,
          submitted: dict[str, list[str]], ledger_mark: int) -> dict[str, Any]:
    """Compare what the case system holds with what the registry recorded."""
    ledger = standins.get("case_system", "ledger")
    from caserobot.settings import get_settings

    robot_user = get_settings().case_system.username
    lost: list[str] = []
    dupes: list[dict[str, Any]] = []
    wrong: list[dict[str, Any]] = []
    states: Counter[str] = Counter()
    not_terminal: list[str] = []
    for robot, ids in submitted.items():
        items = {i.application_id: i for i in queue.items(case_type=robot, limit=1_000_000)}
        entries: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for e in ledger:
            if e.get("arendetyp") == robot and e["kind"] in ("decision", "payment_order",
                                                             "case_created"):
                entries.setdefault(e["extern_ref"], {}).setdefault(e["kind"], []).append(e)
        for app_id in ids:
            item = items.get(app_id)
            written = entries.get(app_id, {})
            for kind, found in written.items():
                if len(found) > 1:
                    dupes.append({"application": app_id, "kind": kind, "count": len(found)})
            if item is None:
                lost.append(app_id)
                continue
            states[item.state] += 1
            if item.state in RUNNING:
                lost.append(app_id)
            if not _terminal_with_reason(queue, item):
                not_terminal.append(app_id)
            wrong += _wrong_writes(queue, robot, item, written, robot_user)
    writes_after = [e for e in ledger if e["seq"] > ledger_mark
                    and e["kind"] in ("decision", "payment_order", "case_created")]
    result: dict[str, Any] = {
        "cases": sum(len(v) for v in submitted.values()),
        "lost": len(lost),
        "duplicates": len(dupes),
        "wrong_writes": len(wrong),
        "terminal": not not_terminal,
        "items_by_state": dict(states),
        # Items still in the queue (new or waiting for a retry): behind a paused robot they
        # wait for an administrator, which the JSON shows with robot_paused.
        "waiting": sum(states[s] for s in ("new", "application_exception")),
        "lost_applications": lost[:20],
        "duplicate_writes": dupes[:20],
        "wrong_write_details": wrong[:20],
        "not_terminal": not_terminal[:20],
    }
    if args.layout_change:
        result["writes_after_layout_change"] = len(writes_after)
    return result


def _terminal_with_reason(queue: Any, item: Any) -> bool:
    if item.state == "done":
        return queue.decision(item.id) is not None
    if item.state == "business_exception":
        exc = queue.exception_item(item.id)
        return exc is not None and bool(exc.reason_codes)
    if item.state == "abandoned":
        return bool(item.last_error)
    return False


def _wrong_writes(queue: Any, robot: str, item: Any, written: dict[str, list[dict[str, Any]]],
                  robot_user: str) -> list[dict[str, Any]]:
    """Every way the case system's record of this application disagrees with the registry."""
    app = item.application_id
    decisions = written.get("decision", [])
    payments = written.get("payment_order", [])

    def wrong(why: str, **extra: Any) -> dict[str, Any]:
        return {"application": app, "state": item.state, "why": why, **extra}

    if item.state != "done":
        out = []
        if decisions:
            out.append(wrong("decision in the case system, none recorded",
                             diarienummer=[d["diarienummer"] for d in decisions]))
        if payments:
            out.append(wrong("payment order in the case system, no decision recorded"))
        return out
    recorded = queue.decision(item.id)
    if recorded is None:
        return [wrong("done without a decision row")]
    if not decisions:
        return [wrong("decision recorded, none in the case system")]
    out = []
    last = decisions[-1]
    if last.get("user") != robot_user:
        out.append(wrong("recorded as the robot's, written by another", user=last.get("user")))
    if OUTCOME_UTFALL.get(recorded.outcome, recorded.outcome) != last["utfall"]:
        out.append(wrong("outcome differs", recorded=recorded.outcome, written=last["utfall"]))
    if recorded.diarienummer != last["diarienummer"]:
        out.append(wrong("diarienummer differs", recorded=recorded.diarienummer,
                         written=last["diarienummer"]))
    if robot == "ekonomiskt_bistand":
        value = ((recorded.inputs.get("facts") or {}).get("beslut") or {}).get("value") or {}
        if value.get("belopp") != last.get("belopp"):
            out.append(wrong("amount differs", recorded=value.get("belopp"),
                             written=last.get("belopp")))
        if recorded.outcome == "granted" and not payments:
            out.append(wrong("granted without a payment order"))
        for p in payments:
            if p.get("belopp") != last.get("belopp"):
                out.append(wrong("payment differs from the decision", paid=p.get("belopp")))
    elif payments:
        out.append(wrong("payment order on a skolskjuts case"))
    return out


if __name__ == "__main__":
    main()
