"""A whole system down: its port closes every connection, counted; back with its data."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import httpx
import pytest

from standins.world import World
from tests.fixtures.standins import SRC, Standins, start_standins, stop_standins
from tests.standins.test_standins_faults import case_client, new_case


def attempt(url: str) -> str:
    """One request on a new connection: "ok", "closed" (accepted, then closed without an
    answer) or "refused" (nothing listening)."""
    try:
        httpx.get(url, timeout=5)
    except httpx.ConnectError:
        return "refused"
    except (httpx.RemoteProtocolError, httpx.ReadError):
        return "closed"
    return "ok"


def test_outage_closes_every_connection_counts_them_and_keeps_the_data(
        fresh_standins: Standins, world: World) -> None:
    base = fresh_standins.case_system_url
    client = case_client(fresh_standins)
    case_id = new_case(client, world.children[30].pnr)
    before = fresh_standins.ledger("case_system")
    r = httpx.post(f"{base}/_test/outage", json={"seconds": 3})
    assert r.status_code == 200 and r.json()["seconds"] == 3
    started = time.monotonic()
    while (outcome := attempt(f"{base}/_test/health")) == "ok":  # not down yet
        assert time.monotonic() - started < 5
        time.sleep(0.02)
    outcomes = [outcome]
    while (outcome := attempt(f"{base}/_test/health")) != "ok":  # every call until it is back
        outcomes.append(outcome)
        assert time.monotonic() - started < 20
        time.sleep(0.1)
    down_s = time.monotonic() - started
    assert "closed" in outcomes and 2.5 <= down_s < 10, (outcomes, down_s)
    stats = fresh_standins.stats("case_system")
    assert stats["outage_connections"] == outcomes.count("closed")
    assert stats["faults"]["outage"] == 1
    # back with its data: cases and ledger kept; sessions dropped, as after a restart
    assert fresh_standins.ledger("case_system") == before
    r = client.get("/start")
    assert r.status_code == 303 and r.headers["location"] == "/login?expired=1"
    client.close()
    again = case_client(fresh_standins)
    assert f"<h1>Ärende {case_id}</h1>" in again.get(f"/arende/{case_id}").text
    again.close()


def test_outage_via_the_handle_and_an_open_connection_is_cut(
        fresh_standins: Standins) -> None:
    url = fresh_standins.eservice_url
    with httpx.Client(base_url=url, timeout=5) as pooled:
        assert pooled.post("/api/applications", json={"type": "skolskjuts"}).status_code == 201
        fresh_standins.outage("eservice", 1.5)
        with pytest.raises(httpx.TransportError):  # the kept-alive connection is gone too
            pooled.get("/api/applications")
    fresh_standins.wait_up("eservice")
    assert httpx.get(f"{url}/api/applications").json()["total"] == 1
    assert fresh_standins.stats("eservice")["outage_connections"] >= 1


def test_outage_needs_a_duration(fresh_standins: Standins) -> None:
    r = httpx.post(f"{fresh_standins.route_url}/_test/outage", json={"seconds": "soon"})
    assert r.status_code == 422 and r.json()["field"] == "seconds"
    assert attempt(f"{fresh_standins.route_url}/_test/health") == "ok"


def run_serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "standins", "serve", *args],
                          capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})


def test_serve_flags_set_faults_per_system_and_schedule_outages() -> None:
    handle = start_standins(
        "--lost-answer-rate", "0.2", "--fault-seed", "3", "--hang-s", "9",
        "--set", "case_system.layout_variant=v2", "--set", "eservice.hang_s=7",
        "--set", "population.maintenance_s=30",
        "--outage", "route:1:4", "--outage", "income:0.5:60")
    try:
        case = httpx.get(f"{handle.case_system_url}/_test/config").json()
        assert case["layout_variant"] == "v2" and case["lost_answer_rate"] == 0.2
        assert case["fault_seed"] == 3 and case["hang_s"] == 9
        eservice = httpx.get(f"{handle.eservice_url}/_test/config").json()
        assert eservice["hang_s"] == 7 and eservice["lost_answer_rate"] == 0.2
        r = httpx.get(f"{handle.population_url}/navet/personpost/201501019808")
        assert r.status_code == 503 and 0 < int(r.headers["retry-after"]) <= 30
        time.sleep(2)  # the route service went down at 1 s, for 4 s
        assert attempt(f"{handle.route_url}/_test/health") == "closed"
        assert attempt(f"{handle.eservice_url}/_test/health") == "ok"
        deadline = time.monotonic() + 15
        while attempt(f"{handle.route_url}/_test/health") != "ok":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert httpx.get(f"{handle.route_url}/_test/stats").json()["outage_connections"] >= 2
        assert attempt(f"{handle.income_url}/_test/health") == "closed"
    finally:
        started = time.monotonic()
        code = stop_standins(handle.process)
    assert code == 0 and time.monotonic() - started < 5  # stops cleanly while income is down


@pytest.mark.parametrize("args, named", [
    (("--outage", "nowhere:1:2"), "--outage"),
    (("--outage", "route:1"), "--outage"),
    (("--set", "case_system.no_such=1"), "no_such"),
    (("--set", "eservice.seats_taken=2"), "seats_taken"),
    (("--set", "route.fail_rate=2"), "fail_rate"),
])
def test_serve_refuses_bad_fault_flags_naming_them(args: tuple[str, ...], named: str) -> None:
    result = run_serve("--eservice-port", "0", "--case-port", "0", "--population-port", "0",
                       "--route-port", "0", "--income-port", "0", *args)
    assert result.returncode == 2
    assert named in result.stderr and "Traceback" not in result.stderr


def test_an_outage_cuts_a_hung_request(fresh_standins: Standins) -> None:
    fresh_standins.configure("route", hang_rate=1.0, hang_s=120)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            httpx.get(f"{fresh_standins.route_url}/api/walking-distance",
                      params={"from": "x", "to": "y"}, timeout=60)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    started = time.monotonic()
    caller.start()
    time.sleep(0.5)
    fresh_standins.outage("route", 1.0)
    caller.join(timeout=30)
    assert outcome and isinstance(outcome[0], httpx.RemoteProtocolError | httpx.ReadError)
    assert time.monotonic() - started < 10
    fresh_standins.wait_up("route")
