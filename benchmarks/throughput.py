"""Throughput of a case robot against the stand-ins with a realistic latency profile.

``--case-type`` picks the robot: any installed case type with a robot (skolskjuts by
default, ekonomiskt_bistand, komvux). A case type whose robot also reads a web system of its
own (Komvux: the school register) has that stand-in on the next port, with the same latency
and seats. Each web system then bounds the rate on its own (its S sessions each answer one
page at a time), so the limit is that of the busiest: ``S / (max over systems of
pages_sys · L_ui)``; ``pages_per_case`` is the total over the systems.

Runs the robot's engine three times over the same synthetic applications:

* caserobot's way: S seats side by side in one Chromium; read-only screens fetched through
  the browser session, only the decision form rendered; register calls overlapped;
* the classic way at equal seats: S sessions, every screen rendered;
* the classic way with one session, one case after another (``--classic-cases`` of them).

The case-system stand-in answers one request at a time per session (``session_serial``),
as a session-locked server does, so a seat does one screen at a time. The limit is then
seat-bound: ``S / (pages · L_ui)``, with the pages counted while processing (logins and
logouts left out); the old serial limit ``S / (pages · L_ui + calls · L_api)`` is printed
beside it (``serial_limit_cases_per_s``). ``speedup_vs_classic`` compares at equal seats;
``speedup_vs_classic_one_session`` with the one-session robot.

Also measured for caserobot's way: ``cpu_ms_per_case``, the CPU time of every process of the
robot (this Python process, Playwright's driver, every Chromium process; the stand-ins left
out; Chromium's start-up and the logins included) per case, split by process in
``cpu_ms_per_case_by_process`` (python, driver, chromium): this process's own time and
each child's last sampled time (every 0.1 s; until 2026-12-07 the figure was this process's
time with the children it had reaped, which missed Chromium's processes that were not reaped
up the chain: about 100 ms per case; kept as ``cpu_ms_per_case_reaped``), and ``pss_mb``, the peak
proportional set size of the same processes (sampled every 0.5 s). ``peak_rss_mb`` is kept
for comparison with earlier figures (RSS counts shared pages once per process).

Each item's steps are journaled as in a robot run (the journal log.html is made from);
``steps_p50_ms`` is the median time of each step of the decided cases: where a case's time
goes. The last line is one JSON object. The Prefect/Robot Framework start-up is not part of the
measurement: this measures the robot engine those run. Rates are over the processing
phase, after Chromium has started and the seats have logged in (printed separately). It
refuses to run when anything already listens on its ports (stand-ins left running would be
measured with whatever latency they have).

    python benchmarks/throughput.py --cases 200 --seats 4 --ui-latency-ms 150 --api-latency-ms 80
    python benchmarks/throughput.py --case-type ekonomiskt_bistand --cases 200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
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

ROOT = Path(__file__).resolve().parents[1]
PORTS = {"eservice": 8811, "case": 8812, "population": 8813, "route": 8814, "income": 8815}
FIRST_PLUGIN_PORT = 8816


def _robot_processes() -> list[psutil.Process]:
    """This process and its descendants (Chromium, Playwright's driver), not the stand-ins."""
    me = psutil.Process()
    excluded: set[int] = set()
    found = [me]
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if child.pid in excluded or "standins" in child.cmdline():
                excluded.add(child.pid)
                excluded.update(c.pid for c in child.children(recursive=True))
                continue
            found.append(child)
    return [p for p in found if p.pid not in excluded]


def _cpu_s() -> dict[int, float]:
    """CPU seconds by pid of the robot's processes, each with the children it has reaped
    (a Chromium renderer that ended is counted in the process that waited for it)."""
    out = {}
    for p in _robot_processes():
        with contextlib.suppress(psutil.Error):
            t = p.cpu_times()
            out[p.pid] = t.user + t.system + t.children_user + t.children_system
    return out


def _kind(pid: int) -> str:
    """Which part of the robot a process is: this Python process, Playwright's driver, or
    Chromium (its browser, GPU, network, zygotes and renderers)."""
    if pid == os.getpid():
        return "python"
    with contextlib.suppress(psutil.Error):
        proc = psutil.Process(pid)
        name = proc.name().lower()
        if "node" in name or "playwright" in name:
            return "driver"
        types = [a.split("=", 1)[1] for a in proc.cmdline() if a.startswith("--type=")]
        return f"chromium/{types[0] if types else 'browser'}"
    return "chromium/browser"


class Memory:
    """Samples the robot's processes: peak RSS (every 0.1 s) and peak PSS (every 0.5 s).

    The sampler's own CPU time is kept (``cpu_s``) so it can be left out of the robot's. It
    also keeps each child process's CPU time as last seen every 0.1 s (``last_cpu``: pid →
    (kind, seconds)), since Chromium and the driver have ended by the time the run is over.
    """

    def __init__(self) -> None:
        self.peak_rss = 0
        self.peak_pss = 0
        self.cpu_s = 0.0
        self.last_cpu: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = time.thread_time()
        tick = 0
        while not self._stop.wait(0.1):
            rss = pss = 0
            full = tick % 5 == 0
            for p in _robot_processes():
                with contextlib.suppress(psutil.Error):  # a process that just ended
                    if p.pid != os.getpid():
                        t = p.cpu_times()
                        kind = self.last_cpu.get(p.pid, (_kind(p.pid), 0.0))[0]
                        self.last_cpu[p.pid] = (kind, t.user + t.system)
                    if full:
                        info = p.memory_full_info()
                        rss, pss = rss + info.rss, pss + info.pss
                    else:
                        rss += p.memory_info().rss
            self.peak_rss = max(self.peak_rss, rss)
            if full:
                self.peak_pss = max(self.peak_pss, pss)
            tick += 1
        self.cpu_s = time.thread_time() - started

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _measure(
    settings,
    case_type: str,
    mode: str,
    seats: int,
    cases: int,
    seed: int,
    base: dict[str, str],
    journaled: bool = True,
) -> dict:
    from caserobot.db import open_database
    from caserobot.intake import intake
    from caserobot.queue import WorkQueue
    from caserobot.worker import RobotWorker

    for url in base.values():
        httpx.post(f"{url}/_test/reset", timeout=10).raise_for_status()
    httpx.post(
        f"{base['eservice']}/_test/generate",
        json={"count": cases, "seed": seed, "type": case_type},
        timeout=60,
    ).raise_for_status()
    db_dir = tempfile.mkdtemp(prefix=f"bench-{mode}-")
    queue = WorkQueue(open_database(f"sqlite:///{db_dir}/bench.db").sessions)
    asyncio.run(intake(settings, queue, case_type))
    before = server_counts(base)
    done = [0]

    def progress(event: str, data: dict) -> None:
        if event in {"decided", "referred", "business_exception", "application_exception"}:
            done[0] += 1
            if done[0] % 25 == 0 or done[0] == cases:
                print(f"  {mode}: {done[0]}/{cases}", file=sys.stderr, flush=True)

    # As in a robot run, every item's steps go to the journal that log.html is made from.
    extra: dict = {}
    if journaled:
        from caserobot.robotlog import JOURNAL, Journal

        journal_path = Path(db_dir) / JOURNAL
        extra["journal"] = journal = Journal(journal_path)
    worker = RobotWorker(
        settings, queue, case_type, seats=seats, mode=mode, progress=progress, **extra
    )
    cpu_before = _cpu_s()
    cpu_before_children = {}
    for p in _robot_processes():
        with contextlib.suppress(psutil.Error):
            if p.pid != os.getpid():
                t = p.cpu_times()
                cpu_before_children[p.pid] = t.user + t.system
    own_before = os.times().user + os.times().system
    with Memory() as memory:
        stats = asyncio.run(worker.run())
    cpu_after = _cpu_s()
    if journaled:
        journal.close()
    cpu_s = sum(v - cpu_before.get(pid, 0.0) for pid, v in cpu_after.items()) - memory.cpu_s
    # By process: this process's own time, and each child's as last sampled (every 0.1 s).
    # The children's times cannot be read from this process's "children" times at the end:
    # Chromium's processes are not all reaped up the chain to it (measured: that way missed
    # about 100 ms per case). What a child used in its last 0.1 s is not counted.
    own = os.times()
    by_kind = {"python": own.user + own.system - own_before - memory.cpu_s}
    chromium: dict[str, float] = {}
    for pid, (kind, seconds) in memory.last_cpu.items():
        used = seconds - cpu_before_children.get(pid, 0.0)
        if kind.startswith("chromium/"):
            part = kind.removeprefix("chromium/")
            chromium[part] = chromium.get(part, 0.0) + used
            kind = "chromium"
        by_kind[kind] = by_kind.get(kind, 0.0) + used
    reaped_s = cpu_s  # the earlier way, kept for comparison with earlier figures
    cpu_s = sum(by_kind.values())
    after = server_counts(base)
    web = [k for k in base if k not in API_SYSTEMS]  # the case system and any of its own
    logins = sum(after[f"{k}_logins"] - before[f"{k}_logins"] for k in web)
    ui = sum(after[k] - before[k] for k in web) - logins
    by_system = {
        k: (after[k] - before[k] - after[f"{k}_logins"] + before[f"{k}_logins"])
        / max(1, stats.processed)
        for k in web
    }
    api = sum(after[k] - before[k] for k in API_SYSTEMS)
    d = sorted(stats.durations_ms)
    processing_s = stats.elapsed_s - stats.startup_s
    return {
        "cases": stats.processed,
        "elapsed_s": processing_s,
        "startup_s": stats.startup_s,
        "cases_per_s": stats.processed / processing_s,
        "pages_per_case": ui / max(1, stats.processed),
        "pages_by_system": by_system,
        "login_pages": logins,
        "cpu_ms_per_case": 1000 * cpu_s / max(1, stats.processed),
        "cpu_ms_per_case_reaped": 1000 * reaped_s / max(1, stats.processed),
        "cpu_ms_per_case_by_process": {
            k: round(1000 * v / max(1, stats.processed), 1) for k, v in sorted(by_kind.items())
        },
        # Chromium's share by its processes' --type (browser, renderer, gpu-process, utility
        # for the network service, zygote).
        "cpu_ms_per_case_chromium": {
            k: round(1000 * v / max(1, stats.processed), 1) for k, v in sorted(chromium.items())
        },
        "pss_mb": memory.peak_pss / 2**20,
        "calls_per_case": api / max(1, stats.processed),
        "p50_ms": statistics.median(d),
        "p95_ms": d[min(len(d) - 1, int(0.95 * len(d)))],
        "peak_rss_mb": memory.peak_rss / 2**20,
        "errors": stats.application_errors,
        "counts": stats.as_dict(),
        "steps_p50_ms": _step_medians(journal_path) if journaled else {},
    }


def _step_medians(journal: Path) -> dict[str, float]:
    """Median time of each step of the decided items (``2. Side By Side / <step>`` for a step
    side by side),
    from the journal the engine wrote: where a case's time goes, step by step."""
    from caserobot.robotlog import read

    times: dict[str, list[float]] = {}

    def walk(steps: list[dict], prefix: str = "") -> None:
        for n, step in enumerate(steps, 1):
            name = f"{prefix}{step['name']}" if prefix else f"{n}. {step['name']}"
            times.setdefault(name, []).append(step["elapsed_ms"])
            walk(step["body"], name + " / ")

    for record in read(journal):
        if record["status"] == "PASS" and record["kind"] == "application":
            walk(record["steps"])
            times.setdefault("(the whole item)", []).append(record["elapsed_ms"])
    return {name: round(statistics.median(ms), 1) for name, ms in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from caserobot import discovery

    ap.add_argument(
        "--case-type",
        choices=sorted(n for n, p in discovery.installed().items() if p.robot is not None),
        default="skolskjuts",
        help="the robot to measure",
    )
    ap.add_argument("--cases", type=int, default=200, help="applications for caserobot's way")
    ap.add_argument("--seats", type=int, default=4, help="seat licences S of the case system")
    ap.add_argument("--ui-latency-ms", type=int, default=150, help="latency per case-system page")
    ap.add_argument("--api-latency-ms", type=int, default=80, help="latency per API call")
    ap.add_argument(
        "--classic-cases",
        type=int,
        default=None,
        help="applications for the classic run (default: same as --cases)",
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--no-journal",
        action="store_true",
        help="leave the item journal (log.html's source) out, to measure what it costs",
    )
    ap.add_argument(
        "--fast-only",
        action="store_true",
        help="profile caserobot's way alone: no classic runs, so no speed-up figures",
    )
    args = ap.parse_args()

    own = web_standins(args.case_type, FIRST_PLUGIN_PORT)
    ports = PORTS | {standin: port for standin, (_, port) in own.items()}
    if busy := [f"{name} {port}" for name, port in ports.items() if listening(port)]:
        sys.exit(
            "throughput.py: something already listens on "
            + ", ".join(busy)
            + " (stand-ins left running?). Stop it: this benchmark starts its own stand-ins "
            "with the latency asked for."
        )
    var = Path(tempfile.mkdtemp(prefix="caserobot-bench-"))
    env = {
        "CASEROBOT_VAR_DIR": str(var),
        **settings_env(PORTS, own, args.seats),
    }
    os.environ.update(env)
    from caserobot.runtime import apply_isolated_env, start_standins
    from caserobot.settings import get_settings

    settings = get_settings()
    apply_isolated_env(settings)
    base = base_urls(settings, own)
    standins = start_standins(
        settings,
        ui_latency_ms=args.ui_latency_ms,
        api_latency_ms=args.api_latency_ms,
        seats=args.seats,
    )
    try:
        print(
            f"caserobot {args.case_type}: {args.cases} cases, {args.seats} seats, "
            f"UI {args.ui_latency_ms} ms, API {args.api_latency_ms} ms",
            file=sys.stderr,
        )
        fast = _measure(
            settings,
            args.case_type,
            "fast",
            args.seats,
            args.cases,
            args.seed,
            base,
            journaled=not args.no_journal,
        )
        classic = single = fast  # --fast-only: no classic figures are printed
        if not args.fast_only:
            print(
                f"classic: {args.cases} cases, {args.seats} sessions, every screen rendered",
                file=sys.stderr,
            )
            classic = _measure(
                settings, args.case_type, "classic", args.seats, args.cases, args.seed, base
            )
            classic_n = args.classic_cases or args.cases
            print(f"classic: {classic_n} cases, 1 session, every screen rendered", file=sys.stderr)
            single = _measure(settings, args.case_type, "classic", 1, classic_n, args.seed, base)
    finally:
        if standins:
            standins.stop()

    busiest = max(fast["pages_by_system"].values())
    seat_s = busiest * args.ui_latency_ms / 1000  # the busiest system's seat time per case
    limit = args.seats / seat_s
    serial_s = (
        fast["pages_per_case"] * args.ui_latency_ms + fast["calls_per_case"] * args.api_latency_ms
    ) / 1000
    serial_limit = args.seats / serial_s
    result = {
        "case_type": args.case_type,
        "cases_per_s": round(fast["cases_per_s"], 3),
        "limit_cases_per_s": round(limit, 3),
        "efficiency": round(fast["cases_per_s"] / limit, 3),
        "serial_limit_cases_per_s": round(serial_limit, 3),
        "speedup_vs_classic": round(fast["cases_per_s"] / classic["cases_per_s"], 2),
        "speedup_vs_classic_one_session": round(fast["cases_per_s"] / single["cases_per_s"], 2),
        "pages_per_case": round(fast["pages_per_case"], 2),
        "pages_by_system": {k: round(v, 2) for k, v in fast["pages_by_system"].items()},
        "calls_per_case": round(fast["calls_per_case"], 2),
        "cpu_ms_per_case": round(fast["cpu_ms_per_case"], 1),
        "cpu_ms_per_case_by_process": fast["cpu_ms_per_case_by_process"],
        "cpu_ms_per_case_chromium": fast["cpu_ms_per_case_chromium"],
        "cpu_ms_per_case_reaped": round(fast["cpu_ms_per_case_reaped"], 1),
        "pss_mb": round(fast["pss_mb"], 1),
        "p50_ms": round(fast["p50_ms"], 1),
        "p95_ms": round(fast["p95_ms"], 1),
        "peak_rss_mb": round(max(fast["peak_rss_mb"], classic["peak_rss_mb"]), 1),
        "steps_p50_ms": fast["steps_p50_ms"],
    }
    print(
        f"caserobot: {fast['cases']} cases in {fast['elapsed_s']:.1f} s after "
        f"{fast['startup_s']:.1f} s start-up (Chromium, logins) = "
        f"{fast['cases_per_s']:.2f} cases/s; {fast['pages_per_case']:.2f} pages and "
        f"{fast['calls_per_case']:.2f} API calls per case; p50 {fast['p50_ms']:.0f} ms, "
        f"p95 {fast['p95_ms']:.0f} ms; CPU {fast['cpu_ms_per_case']:.0f} ms per case; "
        f"peak PSS {fast['pss_mb']:.0f} MB (RSS {fast['peak_rss_mb']:.0f} MB); "
        f"{fast['login_pages']} login pages left out; application errors {fast['errors']}"
    )
    print(
        f"seat-bound limit S/(pages of the busiest system·L_ui) = {args.seats}/{seat_s:.3f} s = "
        f"{limit:.2f} cases/s; efficiency {result['efficiency']:.2f} "
        f"(serial limit S/(pages·L_ui + calls·L_api) = {serial_limit:.2f} cases/s)"
    )
    print(
        "CPU per case by process: "
        + ", ".join(f"{k} {v:.0f} ms" for k, v in fast["cpu_ms_per_case_by_process"].items())
    )
    print("where a decided case's time goes (median per step, from the item journal):")
    for name, ms in fast["steps_p50_ms"].items():
        print(f"  {ms:>7.0f} ms  {name}")
    if args.fast_only:
        for key in ("speedup_vs_classic", "speedup_vs_classic_one_session"):
            result.pop(key)
        result["peak_rss_mb"] = round(fast["peak_rss_mb"], 1)
    for label, run, key in (
        ()
        if args.fast_only
        else (
            (f"classic, {args.seats} sessions", classic, "speedup_vs_classic"),
            ("classic, 1 session", single, "speedup_vs_classic_one_session"),
        )
    ):
        print(
            f"{label}: {run['cases']} cases in {run['elapsed_s']:.1f} s after "
            f"{run['startup_s']:.1f} s start-up = {run['cases_per_s']:.2f} cases/s; "
            f"{run['pages_per_case']:.2f} pages per case; CPU {run['cpu_ms_per_case']:.0f} ms "
            f"per case; peak PSS {run['pss_mb']:.0f} MB; speed-up {result[key]:.1f}x"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
