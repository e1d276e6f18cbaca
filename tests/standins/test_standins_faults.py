"""Fault injection over real HTTP: each fault kind and what it really does to a client.

Writes go to the e-service (``POST /api/applications``) and to the case system (a decision
posted with its form token and ``kontroll``, as the browser would); the ledger is the truth.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from standins.sessions import kontroll
from standins.world import World
from tests.fixtures.standins import Standins

APPLICATION = {"type": "skolskjuts", "child": {"personnummer": "201501019808"}}


def submitted(standins: Standins) -> list[dict[str, Any]]:
    return [e for e in standins.ledger("eservice") if e["kind"] == "application_submitted"]


def case_client(standins: Standins, user: str = "robot01") -> httpx.Client:
    client = httpx.Client(base_url=standins.case_system_url, timeout=10)
    r = client.post("/login", data={"username": user, "password": user})
    assert r.status_code == 303, r.text
    return client


def new_case(client: httpx.Client, child_pnr: str) -> int:
    r = client.get(f"/arende/ny?pnr={child_pnr}")
    token = re.search(r'name="formtoken" value="(\w+)"', r.text)
    assert token, r.text
    r = client.post("/arende/ny", data={"pnr": child_pnr, "arendetyp": "skolskjuts",
                                        "extern_ref": "ES-F", "formtoken": token.group(1)})
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def decision_form(client: httpx.Client, case_id: int, text: str = "Motivering.") -> dict[str, str]:
    r = client.get(f"/arende/{case_id}/beslut")
    found = re.search(r'name="formtoken" value="(\w+)"', r.text)
    assert found, r.text
    token = found.group(1)
    return {"formtoken": token, "utfall": "bifall", "motivering": text,
            "kontroll": kontroll(token, "bifall", text)}


def test_config_is_validated_shown_and_reset(fresh_standins: Standins) -> None:
    url = fresh_standins.eservice_url
    config = fresh_standins.config("eservice")
    assert config["lost_answer_rate"] == 0 and config["hang_s"] == 120
    assert config["fault_seed"] == 2 and config["maintenance_s"] == 0  # world seed 1 + 1
    assert "seats" not in config and "layout_variant" not in config  # case system only
    assert fresh_standins.config("case_system")["layout_variant"] == "v1"
    for body, field in (({"no_such": 1}, "no_such"), ({"fail_rate": 1.5}, "fail_rate"),
                        ({"hang_s": "long"}, "hang_s"), ({"seats_taken": 1}, "seats_taken"),
                        ({"lost_answer_mode": "404"}, "lost_answer_mode"),
                        ({"maintenance_until": "2026-12-01T10:00"}, "maintenance_until"),
                        ({"latency_ms": True}, "latency_ms")):
        r = httpx.post(f"{url}/_test/config", json=body)
        assert r.status_code == 422, body
        assert r.json()["field"] == field and "known" in r.json()
    # a refused body changes nothing, not even its valid keys
    r = httpx.post(f"{url}/_test/config", json={"fail_rate": 0.5, "hang_rate": 2})
    assert r.status_code == 422 and fresh_standins.config("eservice")["fail_rate"] == 0
    changed = fresh_standins.configure("eservice", lost_answer_rate=0.25, slow_write_s=2,
                                       fault_seed=99)
    assert changed["lost_answer_rate"] == 0.25 and changed["fault_seed"] == 99
    fresh_standins.reset()
    assert fresh_standins.config("eservice") == config


def test_error_rate_answers_503_before_the_handler_and_writes_nothing(
        fresh_standins: Standins) -> None:
    fresh_standins.configure("eservice", fail_rate=1.0)
    r = httpx.post(f"{fresh_standins.eservice_url}/api/applications", json=APPLICATION)
    assert r.status_code == 503 and r.json()["error"] == "unavailable"
    assert submitted(fresh_standins) == []
    assert fresh_standins.faults("eservice")["error"] == 1


@pytest.mark.parametrize("mode", ["500", "502", "503"])
def test_lost_answer_the_write_is_made_and_the_client_sees_5xx(
        fresh_standins: Standins, mode: str) -> None:
    fresh_standins.configure("eservice", lost_answer_rate=1.0, lost_answer_mode=mode)
    r = httpx.post(f"{fresh_standins.eservice_url}/api/applications", json=APPLICATION)
    assert r.status_code == int(mode)
    if mode == "502":
        assert "502 Bad Gateway" in r.text  # the proxy in front speaks, not the e-service
    [entry] = submitted(fresh_standins)
    assert entry["child_personnummer"] == "201501019808"
    listed = httpx.get(f"{fresh_standins.eservice_url}/api/applications").json()
    assert listed["total"] == 1  # the application exists although the client saw an error
    assert fresh_standins.faults("eservice")["lost_answer"] == 1


def test_lost_answer_by_a_dropped_connection(fresh_standins: Standins) -> None:
    fresh_standins.configure("eservice", lost_answer_rate=1.0, lost_answer_mode="drop")
    with pytest.raises(httpx.RemoteProtocolError):  # closed without a single byte
        httpx.post(f"{fresh_standins.eservice_url}/api/applications", json=APPLICATION)
    assert len(submitted(fresh_standins)) == 1
    assert fresh_standins.faults("eservice")["lost_answer"] == 1


def test_lost_answer_on_a_case_system_decision_and_a_refused_form_keeps_its_answer(
        fresh_standins: Standins, world: World) -> None:
    client = case_client(fresh_standins)
    case_id = new_case(client, world.children[20].pnr)
    fresh_standins.configure("case_system", lost_answer_rate=1.0, lost_answer_mode="503")
    form = decision_form(client, case_id)
    r = client.post(f"/arende/{case_id}/beslut", data=form)
    assert r.status_code == 503 and "tillfälligt otillgänglig" in r.text
    decisions = [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]
    assert [(d["case_id"], d["utfall"]) for d in decisions] == [(case_id, "bifall")]
    page = client.get(f"/arende/{case_id}").text
    assert decisions[0]["diarienummer"] in page  # reading back shows the decision
    # nothing written → nothing to lose: the refusal (bad kontroll) comes through as it is
    form = decision_form(client, case_id) | {"kontroll": "00000000"}
    r = client.post(f"/arende/{case_id}/beslut", data=form)
    assert r.status_code == 400 and "Kontrollsumman" in r.text
    assert fresh_standins.faults("case_system")["lost_answer"] == 1
    client.close()


def test_slow_write_lands_after_the_client_gave_up(
        fresh_standins: Standins, world: World) -> None:
    client = case_client(fresh_standins)
    case_id = new_case(client, world.children[21].pnr)
    fresh_standins.configure("case_system", slow_write_rate=1.0, slow_write_s=3.0)
    form = decision_form(client, case_id, "Sparas sent.")
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):  # the client waits 1 s, then closes its socket
        client.post(f"/arende/{case_id}/beslut", data=form, timeout=1.0)
    client.close()  # the connection is gone for good: a real disconnect
    assert fresh_standins.stats("case_system")["pending_writes"] == 1
    assert not [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]
    fresh_standins.wait_settled("case_system", timeout_s=20)
    landed = time.monotonic() - started
    [decision] = [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]
    assert decision["case_id"] == case_id and decision["motivering"] == "Sparas sent."
    assert 2.5 <= landed < 10, landed
    assert fresh_standins.faults("case_system")["slow_write"] == 1


def test_slow_write_answers_late_to_a_patient_client(fresh_standins: Standins) -> None:
    fresh_standins.configure("eservice", slow_write_rate=1.0, slow_write_s=1.0)
    started = time.monotonic()
    r = httpx.post(f"{fresh_standins.eservice_url}/api/applications", json=APPLICATION,
                   timeout=10)
    assert r.status_code == 201 and time.monotonic() - started >= 1.0
    assert submitted(fresh_standins)[0]["application_id"] == r.json()["id"]


def test_hang_gives_no_answer_and_writes_nothing(fresh_standins: Standins) -> None:
    url = fresh_standins.eservice_url
    fresh_standins.configure("eservice", hang_rate=1.0, hang_s=2.0)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{url}/api/applications", json=APPLICATION, timeout=1.0)
    with pytest.raises(httpx.RemoteProtocolError):  # waited past hang_s: closed, no answer
        httpx.get(f"{url}/api/applications", timeout=10)
    time.sleep(1.5)  # the first request's hang_s is over too
    assert submitted(fresh_standins) == []
    assert fresh_standins.faults("eservice")["hang"] == 2


def test_slow_pages_delay_reads_only(fresh_standins: Standins) -> None:
    url = fresh_standins.route_url
    fresh_standins.configure("route", slow_page_rate=1.0, slow_page_ms=1200)
    started = time.monotonic()
    r = httpx.get(f"{url}/api/walking-distance", params={"from": "x", "to": "y"}, timeout=10)
    assert r.status_code == 404 and time.monotonic() - started >= 1.2
    fresh_standins.configure("eservice", slow_page_rate=1.0, slow_page_ms=1200)
    started = time.monotonic()
    httpx.post(f"{fresh_standins.eservice_url}/api/applications", json=APPLICATION)
    assert time.monotonic() - started < 1.0  # a POST is not a page
    assert fresh_standins.faults("route")["slow_page"] == 1
    assert fresh_standins.faults("eservice")["slow_page"] == 0


def test_maintenance_window_answers_503_with_retry_after(fresh_standins: Standins) -> None:
    fresh_standins.configure("case_system", maintenance_s=40)
    fresh_standins.configure("population", maintenance_s=40)
    r = httpx.get(f"{fresh_standins.case_system_url}/login")
    assert r.status_code == 503 and 30 <= int(r.headers["retry-after"]) <= 40
    assert 'id="underhall"' in r.text and "<title>Planerat underhåll</title>" in r.text
    r = httpx.get(f"{fresh_standins.population_url}/navet/personpost/201501019808")
    assert r.status_code == 503 and "<Kod>UNDERHALL</Kod>" in r.text
    assert int(r.headers["retry-after"]) > 0
    assert 30 <= fresh_standins.config("case_system")["maintenance_s"] <= 40
    assert httpx.get(f"{fresh_standins.case_system_url}/_test/health").status_code == 200
    fresh_standins.configure("case_system", maintenance_s=0)  # the window ends early
    assert httpx.get(f"{fresh_standins.case_system_url}/login").status_code == 200
    past = "2020-01-01T00:00:00+01:00"
    fresh_standins.configure("population", maintenance_until=past)
    assert httpx.get(f"{fresh_standins.population_url}/navet/personpost/1").status_code == 404
    assert fresh_standins.faults("case_system")["maintenance"] == 1


def test_expire_sessions_sends_everyone_to_the_login(fresh_standins: Standins) -> None:
    clients = [case_client(fresh_standins, f"robot0{i}") for i in (1, 2)]
    assert fresh_standins.expire_sessions() == 2
    for client in clients:
        r = client.get("/start")
        assert r.status_code == 303 and r.headers["location"] == "/login?expired=1"
        client.close()
    assert httpx.get(f"{fresh_standins.case_system_url}/_test/sessions").json()["active"] == 0
    assert fresh_standins.faults("case_system")["session_expiry"] == 2


def test_session_expiry_rate_ends_sessions_at_random(fresh_standins: Standins) -> None:
    fresh_standins.configure("case_system", session_expiry_rate=0.5, fault_seed=11)
    client = case_client(fresh_standins)
    ended = 0
    for _ in range(20):
        r = client.get("/start")
        if r.status_code == 303:
            assert r.headers["location"] == "/login?expired=1"
            ended += 1
            client.post("/login", data={"username": "robot01", "password": "robot01"})
    client.close()
    assert 3 <= ended <= 17
    assert fresh_standins.faults("case_system")["session_expiry"] == ended


def test_seats_taken_by_others_leave_fewer_free(fresh_standins: Standins) -> None:
    fresh_standins.configure("case_system", seats=4, seats_taken=3)
    first = case_client(fresh_standins, "robot01")
    with httpx.Client(base_url=fresh_standins.case_system_url) as second:
        r = second.post("/login", data={"username": "robot02", "password": "robot02"})
        assert "<title>Ingen ledig licens</title>" in r.text
    seats = httpx.get(f"{fresh_standins.case_system_url}/_test/sessions").json()
    assert seats["taken_by_others"] == 3 and seats["active"] == 1 and seats["free"] == 0
    assert fresh_standins.faults("case_system")["seat_taken"] == 1
    fresh_standins.configure("case_system", seats_taken=0)  # the humans log out
    assert case_client(fresh_standins, "robot02").get("/start").status_code == 200
    first.close()


def test_test_and_static_routes_are_never_faulted(fresh_standins: Standins) -> None:
    fresh_standins.configure("case_system", fail_rate=1.0, maintenance_s=60)
    base = fresh_standins.case_system_url
    assert httpx.get(f"{base}/login").status_code == 503
    assert httpx.get(f"{base}/static/style.css").status_code == 200
    assert httpx.get(f"{base}/_test/health").status_code == 200
    assert httpx.get(f"{base}/_test/ledger").status_code == 200


def test_same_seed_same_faults(fresh_standins: Standins) -> None:
    url = f"{fresh_standins.route_url}/api/walking-distance"

    def pattern() -> list[int]:
        return [httpx.get(url, params={"from": "x", "to": "y"}).status_code for _ in range(30)]

    fresh_standins.configure("route", fail_rate=0.5, fault_seed=42)
    first = pattern()
    assert set(first) == {404, 503}
    fresh_standins.configure("route", fault_seed=42)  # setting the seed restarts the sequence
    assert pattern() == first
    fresh_standins.configure("route", fault_seed=43)
    third = pattern()
    assert third != first
    stats = fresh_standins.stats("route")
    assert stats["faults"]["error"] == 2 * first.count(503) + third.count(503)
    assert set(stats["faults"]) == {"error", "lost_answer", "slow_write", "hang", "slow_page",
                                    "maintenance", "session_expiry", "seat_taken", "outage"}


def test_slow_write_and_lost_answer_together(fresh_standins: Standins) -> None:
    fresh_standins.configure("eservice", slow_write_rate=1.0, slow_write_s=1.0,
                             lost_answer_rate=1.0, lost_answer_mode="502")
    started = time.monotonic()
    r = httpx.post(f"{fresh_standins.eservice_url}/api/applications", json=APPLICATION,
                   timeout=10)
    assert r.status_code == 502 and time.monotonic() - started >= 1.0
    assert len(submitted(fresh_standins)) == 1
    faults = fresh_standins.faults("eservice")
    assert faults["slow_write"] == 1 and faults["lost_answer"] == 1
