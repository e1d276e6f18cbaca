"""Throughput of a case robot against the stand-ins with a realistic latency profile.

``--case-type`` picks the robot: skolskjuts (default) or ekonomiskt_bistand.

Runs the robot's engine twice over the same synthetic applications:

* caserobot's way: S seats side by side in one Chromium; read-only screens fetched through
  the browser session, only the decision form rendered; register calls overlapped;
* the classic way: one session, one case after another, every screen rendered.

It prints cases/s, the legacy-bound limit S / (pages·L_ui + calls·L_api) from the pages and
calls the case-system and API stand-ins counted, their ratio (efficiency), per-case median
and p95, peak memory of the whole process tree (Chromium included) and the speed-up. The
last line is one JSON object. The Prefect/Robot Framework start-up is not part of the
measurement: this measures the robot engine those run. Rates are over the processing
phase, after Chromium has started and the seats have logged in (printed separately).

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
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
PORTS = {"eservice": 8811, "case": 8812, "population": 8813, "route": 8814, "income": 8815}
API_SYSTEMS = ("eservice", "population", "route", "income")


class PeakRss:
    """Samples the RSS of this process and all its children (Chromium, the driver)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.1):
            total = 0
            for p in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # a process that just ended
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _server_counts(base: dict[str, str]) -> dict[str, int]:
    out = {}
    for name, url in base.items():
        out[name] = httpx.get(f"{url}/_test/stats", timeout=5).json()["requests"]
    return out


def _measure(
    settings, case_type: str, mode: str, seats: int, cases: int, seed: int, base: dict[str, str]
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
    before = _server_counts(base)
    done = [0]

    def progress(event: str, data: dict) -> None:
        if event in {"decided", "referred", "business_exception", "application_exception"}:
            done[0] += 1
            if done[0] % 25 == 0 or done[0] == cases:
                print(f"  {mode}: {done[0]}/{cases}", file=sys.stderr, flush=True)

    worker = RobotWorker(settings, queue, case_type, seats=seats, mode=mode, progress=progress)
    with PeakRss() as rss:
        stats = asyncio.run(worker.run())
    after = _server_counts(base)
    ui = after["case"] - before["case"]
    api = sum(after[k] - before[k] for k in API_SYSTEMS)
    d = sorted(stats.durations_ms)
    processing_s = stats.elapsed_s - stats.startup_s
    return {
        "cases": stats.processed,
        "elapsed_s": processing_s,
        "startup_s": stats.startup_s,
        "cases_per_s": stats.processed / processing_s,
        "pages_per_case": ui / max(1, stats.processed),
        "calls_per_case": api / max(1, stats.processed),
        "p50_ms": statistics.median(d),
        "p95_ms": d[min(len(d) - 1, int(0.95 * len(d)))],
        "peak_rss_mb": rss.peak / 2**20,
        "errors": stats.application_errors,
        "counts": stats.as_dict(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--case-type",
        choices=("skolskjuts", "ekonomiskt_bistand"),
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
    args = ap.parse_args()

    var = Path(tempfile.mkdtemp(prefix="caserobot-bench-"))
    env = {
        "CASEROBOT_VAR_DIR": str(var),
        "CASEROBOT_ESERVICE__BASE_URL": f"http://127.0.0.1:{PORTS['eservice']}",
        "CASEROBOT_CASE_SYSTEM__BASE_URL": f"http://127.0.0.1:{PORTS['case']}",
        "CASEROBOT_CASE_SYSTEM__SEAT_LIMIT": str(args.seats),
        "CASEROBOT_POPULATION_REGISTER__BASE_URL": f"http://127.0.0.1:{PORTS['population']}",
        "CASEROBOT_ROUTE_SERVICE__BASE_URL": f"http://127.0.0.1:{PORTS['route']}",
        "CASEROBOT_INCOME_REGISTER__BASE_URL": f"http://127.0.0.1:{PORTS['income']}",
    }
    os.environ.update(env)
    from caserobot.runtime import apply_isolated_env, start_standins
    from caserobot.settings import get_settings

    settings = get_settings()
    apply_isolated_env(settings)
    base = {
        "eservice": settings.eservice.base_url,
        "case": settings.case_system.base_url,
        "population": settings.population_register.base_url,
        "route": settings.route_service.base_url,
        "income": settings.income_register.base_url,
    }
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
        fast = _measure(settings, args.case_type, "fast", args.seats, args.cases, args.seed, base)
        classic_n = args.classic_cases or args.cases
        print(f"classic: {classic_n} cases, 1 session, every screen rendered", file=sys.stderr)
        classic = _measure(settings, args.case_type, "classic", 1, classic_n, args.seed, base)
    finally:
        if standins:
            standins.stop()

    per_case_s = (
        fast["pages_per_case"] * args.ui_latency_ms + fast["calls_per_case"] * args.api_latency_ms
    ) / 1000
    limit = args.seats / per_case_s
    result = {
        "case_type": args.case_type,
        "cases_per_s": round(fast["cases_per_s"], 3),
        "limit_cases_per_s": round(limit, 3),
        "efficiency": round(fast["cases_per_s"] / limit, 3),
        "speedup_vs_classic": round(fast["cases_per_s"] / classic["cases_per_s"], 2),
        "p50_ms": round(fast["p50_ms"], 1),
        "p95_ms": round(fast["p95_ms"], 1),
        "peak_rss_mb": round(max(fast["peak_rss_mb"], classic["peak_rss_mb"]), 1),
    }
    print(
        f"caserobot: {fast['cases']} cases in {fast['elapsed_s']:.1f} s after "
        f"{fast['startup_s']:.1f} s start-up (Chromium, logins) = "
        f"{fast['cases_per_s']:.2f} cases/s; {fast['pages_per_case']:.2f} pages and "
        f"{fast['calls_per_case']:.2f} API calls per case; p50 {fast['p50_ms']:.0f} ms, "
        f"p95 {fast['p95_ms']:.0f} ms; peak RSS {fast['peak_rss_mb']:.0f} MB; "
        f"application errors {fast['errors']}"
    )
    print(
        f"limit S/(pages·L_ui + calls·L_api) = {args.seats}/{per_case_s:.3f} s = "
        f"{limit:.2f} cases/s; efficiency {result['efficiency']:.2f}"
    )
    print(
        f"classic: {classic['cases']} cases in {classic['elapsed_s']:.1f} s after "
        f"{classic['startup_s']:.1f} s start-up = "
        f"{classic['cases_per_s']:.2f} cases/s; {classic['pages_per_case']:.2f} pages per case; "
        f"peak RSS {classic['peak_rss_mb']:.0f} MB; speed-up {result['speedup_vs_classic']:.1f}x"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
