"""The robot engine under faults of the legacy systems (issue 13), end to end.

Real stand-ins with their fault injection (src/standins/README.md, "Fault injection"), real
headless Chromium, the SQL queue. Each test checks the case system's own ledger: nothing
lost, nothing written twice, nothing recorded that did not happen.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import httpx
import pytest

from caserobot import registry
from caserobot.exceptions import BusinessException, ReasonCode
from caserobot.intake import intake
from caserobot.legacy import browser as chromium
from caserobot.legacy.casesystem import CaseSystemSession
from caserobot.queue import WorkQueue
from caserobot_ekonomiskt_bistand.screens import SocialServicesScreens
from tests.fixtures.platform import apply_standins_env
from tests.utils.e2e import (
    assert_nothing_lost_nothing_twice,
    case_ledger,
    decisions_by_application,
    run_engine,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EB = "ekonomiskt_bistand"


def _settings(standins, monkeypatch, **env):  # type: ignore[no-untyped-def]
    for key, value in env.items():
        monkeypatch.setenv(f"CASEROBOT_{key}", str(value))
    return apply_standins_env(standins, monkeypatch)


def test_slow_saves_and_lost_answers_are_written_exactly_once(
    fresh_standins, sqlite_db, monkeypatch
):
    """The save lands after the robot gave up, or lands and its answer is lost: the robot
    reads back until the write shows and never writes it again blind."""
    settings = _settings(
        fresh_standins,
        monkeypatch,
        CASE_SYSTEM__TIMEOUT_S=2,  # the robot gives up on a page after 2 s
        CASE_SYSTEM__WRITE_SETTLE_S=12,
    )
    generated = fresh_standins.generate(16, seed=31, malformed_share=0.0)
    fresh_standins.configure(
        "case_system",
        slow_write_rate=0.35,
        slow_write_s=4,  # lands 2 s after the robot stopped waiting
        lost_answer_rate=0.2,
        fault_seed=7,
    )
    queue = WorkQueue(sqlite_db.sessions)

    stats = run_engine(settings, queue)
    fresh_standins.wait_settled("case_system")

    faults = fresh_standins.faults("case_system")
    assert faults.get("slow_write", 0) >= 2 and faults.get("lost_answer", 0) >= 2, faults
    assert_nothing_lost_nothing_twice(fresh_standins, queue, generated["ids"])
    assert stats.application_errors == 0
    created = Counter(e["extern_ref"] for e in fresh_standins.ledger("case_system")
                      if e["kind"] == "case_created")
    assert max(created.values()) == 1, "no case created twice either"


def test_an_outage_makes_items_wait_and_the_robot_resumes_by_itself(
    fresh_standins, sqlite_db, monkeypatch
):
    settings = _settings(
        fresh_standins,
        monkeypatch,
        WORK__BREAKER_MAX_PROBE_S=2,
        CASE_SYSTEM__TIMEOUT_S=3,
        WORK__RETRY_BACKOFF_S=0.2,  # items wait out the outage in short backoffs
        WORK__MAX_BACKOFF_S=3,
        # An item cut off at the decision step reads back for the settle time before it may
        # save again; a refused connection never saves, so 8 s is ample here.
        CASE_SYSTEM__WRITE_SETTLE_S=8,
    )
    generated = fresh_standins.generate(16, seed=41, malformed_share=0.0)
    fresh_standins.configure("case_system", latency_ms=60)
    queue = WorkQueue(sqlite_db.sessions)
    registry.register_legacy_system(
        sqlite_db.sessions, "arendesystem", "web_ui", fresh_standins.case_system_url
    )
    result: dict[str, object] = {}
    robot = threading.Thread(target=lambda: result.update(stats=run_engine(settings, queue)))
    robot.start()
    deadline = time.monotonic() + 120
    while sum(decisions_by_application(fresh_standins).values()) < 3:
        assert time.monotonic() < deadline and robot.is_alive()
        time.sleep(0.05)
    fresh_standins.outage("case_system", 10)
    seen_down = None
    while seen_down is None and time.monotonic() < deadline:
        seen_down = registry.get_legacy_system(sqlite_db.sessions, "arendesystem").down_since  # type: ignore[union-attr]
        time.sleep(0.2)
    robot.join(300)
    assert not robot.is_alive()

    stats = result["stats"]
    assert_nothing_lost_nothing_twice(fresh_standins, queue, generated["ids"])
    assert queue.counts("skolskjuts")["abandoned"] == 0
    [breaker] = [b for b in stats.breakers if b["system"] == "ärendesystemet"]  # type: ignore[attr-defined]
    assert breaker["state"] == "closed" and breaker["rejected"] > 0
    # The administrator saw it down while it was, and sees it back now.
    assert seen_down is not None
    system = registry.get_legacy_system(sqlite_db.sessions, "arendesystem")
    assert system is not None and system.down_since is None and system.health_at is not None
    # Bounded calls while it was down: the seats' calls in flight and a probe per back-off.
    calls = fresh_standins.stats("case_system")["outage_connections"]
    assert calls <= 40, calls


def test_a_fifth_of_requests_failing_abandons_nothing_and_pays_once(
    fresh_standins, sqlite_db, monkeypatch
):
    # Short backoffs: an item meets several failures before all its calls get through.
    # A save answered 503 may or may not have landed: the robot reads back for the settle time
    # before it may save again. The stand-in saves at once or never: 5 s is ample here.
    settings = _settings(
        fresh_standins,
        monkeypatch,
        WORK__RETRY_BACKOFF_S=0.1,
        WORK__MAX_BACKOFF_S=2,
        CASE_SYSTEM__WRITE_SETTLE_S=5,
    )
    generated = fresh_standins.generate(20, seed=7, malformed_share=0.0, type=EB)
    fresh_standins.configure_all(fail_rate=0.2, fault_seed=3)
    queue = WorkQueue(sqlite_db.sessions)

    stats = run_engine(settings, queue, case_type=EB)

    assert sum(fresh_standins.faults(s).get("error", 0) for s in ("case_system", "income")) > 10
    items = {i.application_id: i for i in queue.items(case_type=EB)}
    assert sorted(items) == sorted(generated["ids"])
    assert {i.state for i in items.values()} <= {"done", "business_exception"}, Counter(
        i.state for i in items.values()
    )
    assert stats.application_errors == 0
    decisions = Counter(e["extern_ref"] for e in case_ledger(fresh_standins, "decision", EB))
    payments = Counter(e["extern_ref"] for e in case_ledger(fresh_standins, "payment_order", EB))
    done = {a for a, i in items.items() if i.state == "done"}
    assert done and set(decisions) == set(payments) == done
    assert max(decisions.values()) == max(payments.values()) == 1


async def _decide_as_caseworker(settings, applications: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """A caseworker creates each application's case by hand and refuses it, in the UI."""
    worker = settings.case_system.model_copy(update={"username": "handlaggare"})
    worker.password = type(worker.password)("handlaggare")
    pw, browser = await chromium.launch(settings.browser)
    try:
        async with CaseSystemSession(browser, worker) as session:
            for app in applications:
                case = await session.create_case(
                    app["child"]["personnummer"].replace("-", ""), "skolskjuts", app["id"]
                )
                await session.write_decision(case.case_id, "denied", "Avslås av handläggaren.")
    finally:
        await chromium.shutdown(pw, browser)


def test_a_decision_already_in_the_case_system_is_never_taken_for_the_robots(
    fresh_standins, sqlite_db, monkeypatch
):
    settings = _settings(fresh_standins, monkeypatch)
    generated = fresh_standins.generate(8, seed=5, malformed_share=0.0)
    apps = [
        httpx.get(f"{fresh_standins.eservice_url}/api/applications/{a}").json()
        for a in generated["ids"]
    ]
    asyncio.run(_decide_as_caseworker(settings, apps))
    by_caseworker = {e["extern_ref"]: e for e in fresh_standins.ledger("case_system")
                     if e["kind"] == "decision"}
    assert len(by_caseworker) == 8
    queue = WorkQueue(sqlite_db.sessions)

    stats = run_engine(settings, queue)

    assert stats.decided == 0 and queue.decisions(case_type="skolskjuts") == []
    assert decisions_by_application(fresh_standins) == Counter(generated["ids"])  # nothing new
    conflicts = [
        queue.exception_item(i.id) for i in queue.items(case_type="skolskjuts")
        if i.state == "business_exception"
    ]
    flagged = [x for x in conflicts if x and "decision_conflict" in x.reason_codes]
    assert flagged, "the robot would have decided some of them: those are conflicts"
    for x in flagged:
        basis = x.decision_basis["facts"]
        [found] = basis["beslut_i_ärendesystemet"]["value"]
        assert found["beslutsfattare"] == "handlaggare"
        assert found["diarienummer"] == by_caseworker[x.application_id]["diarienummer"]
        assert basis["robotens_beslut"]["value"]["utfall"] in ("granted", "denied")
        assert x.recommended_outcome in ("granted", "denied")


def test_a_refused_amount_goes_to_a_caseworker_not_to_retries(fresh_standins, monkeypatch):
    """The case system says no to the values: trying again cannot help."""
    settings = _settings(fresh_standins, monkeypatch)
    generated = fresh_standins.generate(1, seed=7, malformed_share=0.0, type=EB)
    app = httpx.get(
        f"{fresh_standins.eservice_url}/api/applications/{generated['ids'][0]}"
    ).json()
    pnr = app["applicant"]["personnummer"].replace("-", "")

    async def write_zero_grant() -> None:
        pw, browser = await chromium.launch(settings.browser)
        try:
            async with CaseSystemSession(browser, settings.case_system) as session:
                case = await session.create_case(pnr, EB, app["id"])
                await SocialServicesScreens(session).write_decision(
                    case.case_id, "granted", 0, app["month"], "Beviljas."
                )
        finally:
            await chromium.shutdown(pw, browser)

    with pytest.raises(BusinessException) as refused:
        asyncio.run(write_zero_grant())
    assert refused.value.reason == ReasonCode.CASE_SYSTEM_REFUSED
    assert "belopp" in refused.value.detail
    assert not case_ledger(fresh_standins, "decision", EB)


def test_start_up_survives_maintenance_taken_seats_and_a_crashed_robots_lease(
    fresh_standins, sqlite_db, monkeypatch
):
    """The case system is in maintenance when the robot starts (503 on the login page), three
    of four licences are taken by people, and a crashed robot still holds an item's lease."""
    settings = _settings(fresh_standins, monkeypatch, WORK__LEASE_SECONDS=6)
    generated = fresh_standins.generate(30, seed=23, malformed_share=0.0)
    queue = WorkQueue(sqlite_db.sessions)
    asyncio.run(intake(settings, queue, "skolskjuts"))
    [held] = queue.claim("skolskjuts", "crashed-robot", lease_seconds=6)
    fresh_standins.configure("case_system", maintenance_s=12, seats_taken=3, latency_ms=40)

    def people_log_out() -> None:
        time.sleep(16)
        fresh_standins.configure("case_system", seats_taken=0)

    threading.Thread(target=people_log_out, daemon=True).start()
    stats = run_engine(settings, queue)

    assert fresh_standins.faults("case_system").get("maintenance", 0) >= 1
    assert_nothing_lost_nothing_twice(fresh_standins, queue, generated["ids"])
    assert queue.get(held.id).state in ("done", "business_exception")  # type: ignore[union-attr]
    assert stats.seats_opened >= 2, "seats freed during the run are taken up"
    assert stats.seat_failures == []
    sessions = httpx.get(f"{fresh_standins.case_system_url}/_test/sessions").json()
    assert sessions["active"] == 0, "every seat opened was logged out"


def test_one_poisonous_item_stays_inside_its_item(fresh_standins, sqlite_db, monkeypatch):
    """An item whose due date cannot even be computed (year 9999) must not stop the seats."""
    settings = _settings(fresh_standins, monkeypatch)
    generated = fresh_standins.generate(6, seed=5, malformed_share=0.0)
    queue = WorkQueue(sqlite_db.sessions)
    poison = {
        "application": {"id": "ES-POISON-1", "type": "skolskjuts",
                        "submitted_at": "9999-12-31T23:59:59+00:00"},
    }
    queue.enqueue("skolskjuts", "ES-POISON-1", poison)

    stats = run_engine(settings, queue, seats=2)

    assert stats.seat_failures == []
    items = {i.application_id: i for i in queue.items(case_type="skolskjuts")}
    assert items["ES-POISON-1"].state == "business_exception"
    assert {items[a].state for a in generated["ids"]} <= {"done", "business_exception"}
