"""What one log.html entry per work item costs: Robot executing the steps vs. a journal.

Two ways of getting a log.html with one entry per application (about 8 steps each, each with
start time, duration, status and 2 messages):

* **A, Robot executes the steps.** One Robot process per seat, each running a FOR loop over
  its items and calling real user keywords, all seats sharing one Chromium through
  ``connect_over_cdp``. Measured:

  - ``memory``: Chromium (``--headless=new``, CDP on port 9333, profile under /tmp/rbench) is
    started; an "engine" process (Python with robot and Playwright imported, connected over
    CDP, one context and one page) is started and then opens ``--contexts`` more contexts
    and pages (today's way: a seat is one more context): Chromium's PSS delta and the
    engine's per context. Then ``--seats`` seat processes (each the same as the engine:
    its own Python and Playwright driver, one context and one page) are started: the PSS and
    USS of each (the Python process and its children, i.e. Playwright's node driver) and
    Chromium's PSS delta per seat. PSS is summed over the processes
    (``memory_full_info().pss``, the mean of 3 samples after settling).
  - ``robot``: a generated suite (one task, ``FOR`` over ``--robot-items`` items, each a user
    keyword of 8 steps, each step a Python keyword logging 2 messages) is run as a
    subprocess with ``--log NONE --report NONE``; its CPU time (user+sys from ``wait4``,
    i.e. that child's ``RUSAGE_CHILDREN``), wall time and peak RSS per item, and the
    output.xml size. Then log/report are written from that output.xml with
    ``robot.rebot(...)`` in a subprocess (what ``robot`` itself does after the run: it reads
    output.xml from disk), without and with ``--splitlog``.

* **B, the engine journals each item and the journal is injected afterwards.** A synthetic
  JSON-lines journal of ``--items`` items (one line per item: steps, timestamps, statuses,
  messages, tags such as ``utfall:granted``; the first item also has an HTML message with an
  ``<img>``) is written into the output.xml of a one-task run with Robot's result API
  (``ExecutionResult`` → ``suite.suites.create`` → ``tests.create`` →
  ``body.create_keyword`` → ``body.create_message`` → ``result.save``) in a subprocess (time
  and ``ru_maxrss``), then ``robot.rebot(...)`` writes log/report without and with
  ``splitlog`` (time, CPU, peak RSS, sizes, number and size of the split ``log-N.js``).
  Also checked: the items count in the report's totals and their tags in "by tag".

* ``listener``: which listener ``output_file`` calls happen, in which order relative to
  log.html/report.html, and whether output.xml changed in a global listener's
  ``output_file`` (or by a ``--prerebotmodifier``) shows in log.html.

Prints a table; ``--json`` prints one JSON object instead. Nothing listens anywhere but on
9333 (Chromium's CDP, only during ``memory``; it refuses to run if 9333 is taken); the
Chromium it starts is ended and its profile removed.

    python benchmarks/robot_log.py --items 1000 25000 --robot-items 1000 5000
    python benchmarks/robot_log.py --parts inject --items 1000 --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

CDP_PORT = 9333
CHROMIUM = "/usr/bin/chromium"
PROFILE_ROOT = Path("/tmp/rbench")
STEPS = 8
MESSAGES = 2
PARTS = ("memory", "robot", "inject", "listener")
STEP_NAMES = (
    "Läs ansökan",
    "Hämta folkbokföring",
    "Beräkna avstånd",
    "Kontrollera inkomst",
    "Pröva rätt",
    "Fyll i beslut",
    "Spara beslut",
    "Meddela sökande",
)
SEAT_PAGE = (
    "<html><body><h1>Ärende</h1><form>"
    + "".join(f"<label>Fält {i}<input name='f{i}' value='{i}'></label>" for i in range(30))
    + "<button>Spara</button></form></body></html>"
)

# A seat process (design A) and, run the same way, the "engine" process (today's design).
SEAT_WORKER = r"""
import sys
import robot, robot.api, robot.running, robot.result, robot.reporting
import robot.libraries.BuiltIn
from playwright.sync_api import sync_playwright

pw = sync_playwright().start()
browser = pw.chromium.connect_over_cdp(sys.argv[1])
pages = []

def add():
    context = browser.new_context()
    page = context.new_page()
    page.set_content(sys.argv[2])
    pages.append(page)

add()
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() != "add":
        break
    add()
    print("ok", flush=True)
for page in pages:
    page.context.close()
pw.stop()
"""

REBOT_WORKER = r"""
import json, sys
from robot import rebot
source, outdir, split = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
rc = rebot(source, outputdir=outdir, log="log.html", report="report.html", output="NONE",
           splitlog=split, console="none", stdout=open("/dev/null", "w"))
print(json.dumps({"rc": rc}))
"""


# --------------------------------------------------------------------------- helpers


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _mb(n: float) -> float:
    return n / 2**20


def _run(cmd: list[str], cwd: Path | None = None) -> dict:
    """Runs ``cmd`` to its end; wall time, CPU (user+sys) and peak RSS of that child alone.

    ``os.wait4`` gives the child's own rusage (what ``RUSAGE_CHILDREN`` would add)."""
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out_f, stderr=err_f, text=True)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    if proc.returncode not in (0, 1):  # 1: rebot/robot's count of failed tasks
        raise RuntimeError(f"{cmd[:4]} exited {proc.returncode}:\n{err[-3000:]}\n{out[-2000:]}")
    return {
        "wall_s": wall,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "maxrss_mb": ru.ru_maxrss / 1024,  # KiB on Linux
        "rc": proc.returncode,
        "stdout": out,
    }


def _rebot(source: Path, outdir: Path, split: bool) -> dict:
    outdir.mkdir(parents=True, exist_ok=True)
    run = _run(
        [sys.executable, "-c", REBOT_WORKER, str(source), str(outdir), "1" if split else "0"]
    )
    splits = sorted(outdir.glob("log-*.js"))
    return {
        "wall_s": run["wall_s"],
        "cpu_s": run["cpu_s"],
        "maxrss_mb": run["maxrss_mb"],
        "log_mb": _mb((outdir / "log.html").stat().st_size),
        "report_mb": _mb((outdir / "report.html").stat().st_size),
        "split_files": len(splits),
        "split_mb": _mb(sum(p.stat().st_size for p in splits)),
        "split_max_kb": max((p.stat().st_size for p in splits), default=0) / 1024,
    }


# --------------------------------------------------------------------------- A: memory


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _mem(pid: int) -> dict[str, float]:
    """PSS and USS (MB) of a process and its descendants, the mean of 3 samples."""
    samples = []
    for i in range(3):
        if i:
            time.sleep(0.5)
        pss = uss = 0
        for p in _tree(pid):
            with contextlib.suppress(psutil.Error):
                info = p.memory_full_info()
                pss, uss = pss + info.pss, uss + info.uss
        samples.append((pss, uss))
    return {
        "pss": _mb(sum(s[0] for s in samples) / 3),
        "uss": _mb(sum(s[1] for s in samples) / 3),
    }


def _mem_split(pid: int) -> dict[str, float]:
    """PSS (MB) of a seat process itself and of its children (Playwright's node driver)."""
    own = kids = 0
    for p in _tree(pid):
        with contextlib.suppress(psutil.Error):
            pss = p.memory_full_info().pss
            if p.pid == pid:
                own += pss
            else:
                kids += pss
    return {"python_pss": _mb(own), "driver_pss": _mb(kids)}


class _Chromium:
    def __init__(self) -> None:
        PROFILE_ROOT.mkdir(parents=True, exist_ok=True)
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=PROFILE_ROOT))
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> _Chromium:
        if _listening(CDP_PORT):
            raise SystemExit(f"port {CDP_PORT} is already in use; not starting Chromium")
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless=new",
                f"--remote-debugging-port={CDP_PORT}",
                "--no-sandbox",
                f"--user-data-dir={self.profile}",
                "--no-first-run",
                "--no-default-browser-check",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, ended as a whole below
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            url = f"http://127.0.0.1:{CDP_PORT}/json/version"
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2):
                return self
            time.sleep(0.3)
        raise RuntimeError("Chromium did not open its CDP port")

    def __exit__(self, *exc: object) -> None:
        if self.proc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        shutil.rmtree(self.profile, ignore_errors=True)


class _Seat:
    """A Python process with robot and Playwright, connected over CDP, 1 context + page."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SEAT_WORKER, f"http://127.0.0.1:{CDP_PORT}", SEAT_PAGE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._expect("ready")

    def _expect(self, word: str) -> None:
        line = self.proc.stdout.readline().strip()
        if line != word:
            raise RuntimeError(f"seat process said {line!r}, expected {word!r}")

    def add_context(self) -> None:
        self.proc.stdin.write("add\n")
        self.proc.stdin.flush()
        self._expect("ok")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            for p in reversed(_tree(self.proc.pid)):
                with contextlib.suppress(psutil.Error):
                    p.kill()
            self.proc.wait(5)


def measure_memory(contexts: int, seats: int, settle_s: float) -> dict:
    with _Chromium() as chromium:
        cpid = chromium.proc.pid
        engine = _Seat()
        opened: list[_Seat] = []
        try:
            time.sleep(settle_s)
            c0, e0 = _mem(cpid), _mem(engine.proc.pid)
            for _ in range(contexts):
                engine.add_context()
            time.sleep(settle_s)
            c1, e1 = _mem(cpid), _mem(engine.proc.pid)
            for _ in range(seats):
                opened.append(_Seat())
            time.sleep(settle_s)
            c2 = _mem(cpid)
            per_seat = [_mem(s.proc.pid) | _mem_split(s.proc.pid) for s in opened]
        finally:
            for seat in [*opened, engine]:
                seat.close()
    mean = {k: sum(s[k] for s in per_seat) / len(per_seat) for k in per_seat[0]}
    return {
        "chromium_base_pss_mb": c0["pss"],
        "engine_process_pss_mb": e0["pss"],
        "in_process_chromium_pss_mb_per_context": (c1["pss"] - c0["pss"]) / contexts,
        "in_process_engine_pss_mb_per_context": (e1["pss"] - e0["pss"]) / contexts,
        "seat_process_pss_mb": mean["pss"],
        "seat_process_uss_mb": mean["uss"],
        "seat_python_pss_mb": mean["python_pss"],
        "seat_driver_pss_mb": mean["driver_pss"],
        "seat_chromium_pss_mb_per_seat": (c2["pss"] - c1["pss"]) / seats,
        "contexts": contexts,
        "seats": seats,
    }


# --------------------------------------------------------------------------- A: Robot runs


def _write_robot_suite(folder: Path, shape: str, items: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lib = ["from robot.api import logger", ""]
    for s in range(1, STEPS + 1):
        lib += [
            f"def step_{s}(item):",
            f"    logger.info(f'Steg {s}, ärende {{item}}: fakta avstånd 4,2 km (gräns 4 km)')",
            f"    logger.info(f'Steg {s}, ärende {{item}}: klart, utfall beviljat')",
            "",
        ]
    (folder / "steps.py").write_text("\n".join(lib), encoding="utf-8")
    steps = "".join(f"    Step {s}    ${{item}}\n" for s in range(1, STEPS + 1))
    if shape == "for":
        tasks = (
            "Process Items\n"
            "    FOR    ${item}    IN RANGE    ${ITEMS}\n"
            "        Handle Item    ${item}\n"
            "    END\n"
        )
    else:  # one task per item: counts in the statistics, has tags
        tasks = "".join(
            f"Ärende {i}\n    [Tags]    utfall:granted\n    Handle Item    {i}\n"
            for i in range(items)
        )
    suite = folder / "items.robot"
    suite.write_text(
        "*** Settings ***\nLibrary    steps.py\n\n"
        f"*** Tasks ***\n{tasks}\n"
        f"*** Keywords ***\nHandle Item\n    [Arguments]    ${{item}}\n{steps}",
        encoding="utf-8",
    )
    return suite


def measure_robot(out: Path, items: int, shape: str) -> dict:
    folder = out / f"a_{shape}_{items}"
    suite = _write_robot_suite(folder, shape, items)
    run = _run(
        [
            sys.executable, "-m", "robot",
            "--outputdir", str(folder), "--output", "output.xml",
            "--log", "NONE", "--report", "NONE", "--console", "dotted",
            "--variable", f"ITEMS:{items}",
            str(suite),
        ]
    )  # fmt: skip
    xml = folder / "output.xml"
    plain = _rebot(xml, folder / "log", split=False)
    split = _rebot(xml, folder / "splitlog", split=True)
    return {
        "design": "A",
        "shape": shape,
        "items": items,
        "run_wall_s": run["wall_s"],
        "run_cpu_s": run["cpu_s"],
        "run_cpu_ms_per_item": run["cpu_s"] / items * 1000,
        "run_cpu_us_per_step": run["cpu_s"] / (items * STEPS) * 1e6,
        "run_maxrss_mb": run["maxrss_mb"],
        "output_xml_mb": _mb(xml.stat().st_size),
        "rebot": plain,
        "rebot_split": split,
    }


# --------------------------------------------------------------------------- B: journal


def write_journal(path: Path, items: int, seed: int) -> dict:
    """A journal as the engine writes it: each item's steps recorded with
    :class:`caserobot.itemlog.ItemLog` (the facts as messages) and appended as one JSON
    line by :class:`caserobot.robotlog.Journal`; the time per item is what the engine pays
    during a run."""
    from caserobot.itemlog import ItemLog, item_record
    from caserobot.robotlog import Journal

    rnd = random.Random(seed)
    outcomes = ("granted",) * 7 + ("denied",) * 2 + ("selection",)
    journal = Journal(path)
    t0 = time.perf_counter()
    for i in range(items):
        log = ItemLog()
        failed = rnd.random() < 0.03
        for s, name in enumerate(STEP_NAMES):
            try:
                with log.step(name):
                    for m in range(MESSAGES):
                        log.fact(
                            f"fakta_{m + 1}",
                            {"ärende": i, "avstånd_km": round(rnd.uniform(0.5, 9), 1)},
                            "ärendesystemet",
                        )
                    if failed and s == STEPS - 1:
                        raise RuntimeError("sparandet misslyckades")
            except RuntimeError:
                break
        outcome = rnd.choice(outcomes)
        journal(
            item_record(
                log,
                name=f"Ansökan A-{i:06d}",
                item_id=i + 1,
                application_id=f"A-{i:06d}",
                kind="application",
                status="FAIL" if failed else "PASS",
                message="Systemfel: sparandet misslyckades" if failed else f"Beslut: {outcome}",
                tags=["systemfel"] if failed else [f"utfall:{outcome}"],
                screenshots=["skarm-1-1-sida.png"] if failed else [],
            )
        )
    journal.close()
    return {"write_us_per_item": (time.perf_counter() - t0) / items * 1e6}


def inject(journal: Path, source: Path, target: Path) -> dict:
    """Writes the journal's items into a copy of ``source`` (an output.xml) with
    :func:`caserobot.robotlog.add_to_output`, what the listener does after a run.

    Runs in a subprocess of its own (``--inject-worker``), so ``ru_maxrss`` is its peak."""
    import shutil

    from robot.api import ExecutionResult

    from caserobot.robotlog import add_to_output

    shutil.copyfile(source, target)
    t0 = time.perf_counter()
    add_to_output(target, journal)
    t1 = time.perf_counter()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stats = ExecutionResult(str(target)).statistics
    tags = {t.name: t.total for t in stats.tags}
    return {
        "inject_s": t1 - t0,  # read, add and save, as the listener does
        "maxrss_mb": maxrss,
        "total": stats.total.total,
        "passed": stats.total.passed,
        "failed": stats.total.failed,
        "tag_granted": tags.get("utfall:granted", 0),
    }


def _base_output(out: Path) -> Path:
    """The output.xml of a one-task run standing in for the engine's run."""
    folder = out / "b_base"
    folder.mkdir(parents=True, exist_ok=True)
    suite = folder / "engine.robot"
    suite.write_text(
        "*** Tasks ***\nProcess Applications\n    Log    Engine processed the applications\n",
        encoding="utf-8",
    )
    _run(
        [sys.executable, "-m", "robot", "--outputdir", str(folder), "--log", "NONE",
         "--report", "NONE", "--console", "none", str(suite)]
    )  # fmt: skip
    return folder / "output.xml"


def measure_inject(out: Path, base: Path, items: int, seed: int) -> dict:
    folder = out / f"b_{items}"
    folder.mkdir(parents=True, exist_ok=True)
    journal = folder / "journal.jsonl"
    written = write_journal(journal, items, seed)
    target = folder / "output.xml"
    run = _run([sys.executable, __file__, "--inject-worker", str(journal), str(base), str(target)])
    got = json.loads(run["stdout"].strip().splitlines()[-1])
    plain = _rebot(target, folder / "log", split=False)
    split = _rebot(target, folder / "splitlog", split=True)
    report = (folder / "log" / "report.html").read_text(encoding="utf-8")
    parts = (folder / "splitlog").glob("log-*.js")
    img = '<img src=\\"skarm-1-1-sida.png\\"'  # as it stands in the embedded JS strings
    plain_log = (folder / "log" / "log.html").read_text(encoding="utf-8")
    return {
        "design": "B",
        "items": items,
        "journal_mb": _mb(journal.stat().st_size),
        "journal_write_us_per_item": written["write_us_per_item"],
        "inject_wall_s": run["wall_s"],
        "inject_cpu_s": run["cpu_s"],
        **{f"inject_{k}": v for k, v in got.items()},
        "output_xml_mb": _mb(target.stat().st_size),
        "rebot": plain,
        "rebot_split": split,
        "report_has_tag_stat": "utfall:granted" in report,
        "html_img_unescaped": img in plain_log
        and any(img in p.read_text(encoding="utf-8") for p in parts),
    }


# --------------------------------------------------------------------------- listeners

_LISTENER_NOTE = """
import json, os
from pathlib import Path

def note(event, path=None):
    log = Path(path).with_name("log.html") if path else None
    with open(os.environ["RBENCH_EVENTS"], "a", encoding="utf-8") as f:
        f.write(json.dumps([event, type(path).__name__,
                            bool(log and log.exists())]) + "\\n")
"""

_LIBRARY = (
    _LISTENER_NOTE
    + """
class {name}:
    ROBOT_LIBRARY_SCOPE = "{scope}"
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self):
        self.ROBOT_LIBRARY_LISTENER = self

    def {kw}(self):
        pass

    def end_suite(self, data, result):
        note("{name}.end_suite")

    def output_file(self, path):
        note("{name}.output_file", path)

    def log_file(self, path):
        note("{name}.log_file", path)

    def close(self):
        note("{name}.close")
"""
)

_GLOBAL_LISTENER = (
    _LISTENER_NOTE
    + """
ROBOT_LISTENER_API_VERSION = 3

def output_file(path):
    note("global.output_file", path)
    from robot.api import ExecutionResult
    result = ExecutionResult(str(path))
    result.suite.tests.create(name="Injected by output_file listener", status="PASS")
    result.save()

def log_file(path):
    note("global.log_file", path)

def report_file(path):
    note("global.report_file", path)

def close():
    note("global.close")
"""
)

_MODIFIER = """
from robot.api import SuiteVisitor

class Modifier(SuiteVisitor):
    def start_suite(self, suite):
        if suite.parent is None:
            suite.tests.create(name="Injected by prerebotmodifier", status="PASS")
"""


def check_listeners(out: Path) -> dict:
    folder = out / "listener"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "GlobalScopeLib.py").write_text(
        _LIBRARY.format(name="GlobalScopeLib", scope="GLOBAL", kw="global_noop"), "utf-8"
    )
    (folder / "SuiteScopeLib.py").write_text(
        _LIBRARY.format(name="SuiteScopeLib", scope="SUITE", kw="suite_noop"), "utf-8"
    )
    (folder / "global_listener.py").write_text(_GLOBAL_LISTENER, "utf-8")
    (folder / "Modifier.py").write_text(_MODIFIER, "utf-8")
    suite = folder / "engine.robot"
    suite.write_text(
        "*** Settings ***\nLibrary    GlobalScopeLib.py\nLibrary    SuiteScopeLib.py\n\n"
        "*** Tasks ***\nProcess Applications\n    Global Noop\n    Suite Noop\n",
        "utf-8",
    )
    events = folder / "events.jsonl"
    events.unlink(missing_ok=True)
    os.environ["RBENCH_EVENTS"] = str(events)
    try:
        _run(
            [sys.executable, "-m", "robot", "--outputdir", str(folder / "out"),
             "--listener", str(folder / "global_listener.py"),
             "--prerebotmodifier", str(folder / "Modifier.py"),
             "--console", "none", str(suite)]
        )  # fmt: skip
    finally:
        os.environ.pop("RBENCH_EVENTS", None)
    order = [json.loads(line) for line in events.read_text("utf-8").splitlines()]
    log = (folder / "out" / "log.html").read_text("utf-8")
    xml = (folder / "out" / "output.xml").read_text("utf-8")
    return {
        "order": [e[0] + ("(log.html existed)" if e[2] else "") for e in order],
        "output_file_arg_type": next((e[1] for e in order if e[0].endswith("output_file")), None),
        "library_output_file_called": any(
            e[0].endswith("output_file") and not e[0].startswith("global") for e in order
        ),
        "listener_change_in_log": "Injected by output_file listener" in log,
        "modifier_change_in_log": "Injected by prerebotmodifier" in log,
        "modifier_change_in_output_xml": "Injected by prerebotmodifier" in xml,
    }


# --------------------------------------------------------------------------- output


def _table(result: dict) -> str:
    lines = []
    mem = result.get("memory")
    if mem:
        lines += [
            "Memory (MB, PSS unless said):",
            f"  Chromium base {mem['chromium_base_pss_mb']:.0f}; engine process (Python + "
            f"driver, 1 context) {mem['engine_process_pss_mb']:.0f}",
            f"  one more context+page in the same process: Chromium "
            f"+{mem['in_process_chromium_pss_mb_per_context']:.1f}, engine "
            f"+{mem['in_process_engine_pss_mb_per_context']:.1f} "
            f"(mean of {mem['contexts']})",
            f"  one more seat process: process {mem['seat_process_pss_mb']:.1f} "
            f"(Python {mem['seat_python_pss_mb']:.1f} + driver {mem['seat_driver_pss_mb']:.1f}; "
            f"USS {mem['seat_process_uss_mb']:.1f}) + Chromium "
            f"+{mem['seat_chromium_pss_mb_per_seat']:.1f} (mean of {mem['seats']})",
        ]
    head = (
        f"{'run':<14}{'items':>7}{'make s':>8}{'cpu s':>8}{'ms/item':>8}{'maxrss':>8}"
        f"{'xml MB':>8}{'rebot s':>8}{'cpu s':>7}{'rss MB':>7}{'log MB':>7}"
        f"{'split':>7}{'cpu s':>7}{'log MB':>7}{'files':>7}{'js MB':>7}"
    )
    rows = []
    for r in result.get("robot", []):
        rows.append(
            (f"A robot {r['shape']}", r, r["run_wall_s"], r["run_cpu_s"], r["run_maxrss_mb"])
        )
    for r in result.get("inject", []):
        rows.append(("B journal", r, r["inject_wall_s"], r["inject_cpu_s"], r["inject_maxrss_mb"]))
    if rows:
        lines += [
            "",
            "make = robot run (A) or inject+save (B), wall s; rebot/split = log+report, wall s",
            head,
        ]
    for label, r, make, cpu, rss in rows:
        p, s = r["rebot"], r["rebot_split"]
        lines.append(
            f"{label:<14}{r['items']:>7}{make:>8.1f}{cpu:>8.1f}{cpu / r['items'] * 1000:>8.2f}"
            f"{rss:>8.0f}{r['output_xml_mb']:>8.1f}{p['wall_s']:>8.1f}{p['cpu_s']:>7.1f}"
            f"{p['maxrss_mb']:>7.0f}{p['log_mb']:>7.1f}{s['wall_s']:>7.1f}{s['cpu_s']:>7.1f}"
            f"{s['log_mb']:>7.1f}"
            f"{s['split_files']:>7}{s['split_mb']:>7.1f}"
        )
    for r in result.get("inject", []):
        lines.append(
            f"  B {r['items']}: read, add and save {r['inject_inject_s']:.1f} s"
            f"; journal {r['journal_mb']:.1f} MB "
            f"({r['journal_write_us_per_item']:.0f} µs/item to write); report totals "
            f"{r['inject_total']} (pass {r['inject_passed']}, fail {r['inject_failed']}), "
            f"tag utfall:granted {r['inject_tag_granted']}, in report.html "
            f"{r['report_has_tag_stat']}; html <img> kept {r['html_img_unescaped']}"
        )
    lst = result.get("listener")
    if lst:
        lines += [
            "",
            "Listener order: " + " → ".join(lst["order"]),
            f"  output_file(path) gets {lst['output_file_arg_type']}; library listener's "
            f"output_file called: {lst['library_output_file_called']}; change of output.xml in "
            f"global output_file shows in log: {lst['listener_change_in_log']}; "
            f"prerebotmodifier in log: {lst['modifier_change_in_log']}, in output.xml: "
            f"{lst['modifier_change_in_output_xml']}",
        ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--items", type=int, nargs="+", default=[1000, 25000],
                    help="journal sizes for B (default 1000 25000)")  # fmt: skip
    ap.add_argument("--robot-items", type=int, nargs="+", default=[1000, 5000],
                    help="items of A's Robot-executed suite (default 1000 5000)")  # fmt: skip
    ap.add_argument("--robot-shape", nargs="+", choices=("for", "tasks"), default=["for"],
                    help="for: one task, a FOR loop (default); tasks: a task per item")  # fmt: skip
    ap.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    ap.add_argument("--contexts", type=int, default=3, help="extra contexts in the engine")
    ap.add_argument("--seats", type=int, default=3, help="seat processes to start")
    ap.add_argument("--settle-s", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, help="output folder (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--inject-worker", nargs=3, metavar=("JOURNAL", "SOURCE", "TARGET"),
                    help=argparse.SUPPRESS)  # fmt: skip
    args = ap.parse_args()

    if args.inject_worker:
        print(json.dumps(inject(*map(Path, args.inject_worker))))
        return

    out = args.out or Path(tempfile.mkdtemp(prefix="robot_log-"))
    out.mkdir(parents=True, exist_ok=True)
    result: dict = {"out": str(out)}

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        if "listener" in args.parts:
            say("listener order ...")
            result["listener"] = check_listeners(out)
        if "memory" in args.parts:
            say("memory: Chromium on 9333, engine + contexts, seat processes ...")
            result["memory"] = measure_memory(args.contexts, args.seats, args.settle_s)
        if "robot" in args.parts:
            result["robot"] = []
            for shape in args.robot_shape:
                for n in args.robot_items:
                    say(f"A: Robot runs {n} items ({shape}) ...")
                    result["robot"].append(measure_robot(out, n, shape))
        if "inject" in args.parts:
            base = _base_output(out)
            result["inject"] = []
            for n in args.items:
                say(f"B: journal of {n} items ...")
                result["inject"].append(measure_inject(out, base, n, args.seed))
    finally:
        if not args.out and not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    print(json.dumps(result, indent=1) if args.json else _table(result))


if __name__ == "__main__":
    main()
