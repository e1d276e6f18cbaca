"""The skolskjuts robot engine end to end: stand-ins, headless Chromium, SQL queue."""

from __future__ import annotations

import copy
import time

import httpx
import pytest

from caserobot.queue import WorkQueue
from caserobot.rules import decide
from tests.utils.e2e import assert_nothing_lost_nothing_twice, run_engine

pytestmark = pytest.mark.browser


def _settings_for(standins, monkeypatch):  # type: ignore[no-untyped-def]
    # platform_settings reads the environment once; this variant lets a test change it first.
    from tests.fixtures.platform import apply_standins_env

    return apply_standins_env(standins, monkeypatch)


def test_every_application_is_decided_or_excepted_exactly_once(
    platform_settings, fresh_standins, db
):
    generated = fresh_standins.generate(40, seed=11, malformed_share=0.1)
    queue = WorkQueue(db.sessions)

    stats = run_engine(platform_settings, queue)

    assert stats.processed == 40
    assert stats.application_errors == 0
    assert_nothing_lost_nothing_twice(fresh_standins, queue, generated["ids"])
    assert stats.decided >= 10 and stats.referred >= 5


def test_written_decision_matches_the_rules_and_carries_its_trace(
    platform_settings, fresh_standins, sqlite_db
):
    fresh_standins.generate(12, seed=5, malformed_share=0.0)
    queue = WorkQueue(sqlite_db.sessions)
    run_engine(platform_settings, queue)

    decisions = queue.decisions(case_type="skolskjuts")
    assert decisions
    ledger = {
        e["extern_ref"]: e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"
    }
    for d in decisions:
        # Re-deciding from the recorded inputs gives the same outcome: the record is complete.
        again = decide("skolskjuts", d.inputs["rules"], d.as_of)
        assert again.outcome == d.outcome
        assert {step["rule_id"] for step in d.trace} >= {"distance", "placement"}
        assert all(step["legal_reference"] for step in d.trace)
        entry = ledger[d.application_id]
        assert entry["utfall"] == {"granted": "bifall", "denied": "avslag"}[d.outcome]
        assert "överklagas" in entry["motivering"]
        assert d.inputs["facts"]["gångavstånd_m"]["source"] == "vägtjänsten"


def _submit(standins, application: dict) -> str:
    body = {k: v for k, v in application.items() if k not in ("id", "status", "submitted_at")}
    r = httpx.post(f"{standins.eservice_url}/api/applications", json=body, timeout=10)
    r.raise_for_status()
    return r.json()["id"]


def _break_check_digit(pnr: str) -> str:
    digits = pnr.replace("-", "")
    return digits[:-1] + str((int(digits[-1]) + 1) % 10)


def test_bad_applications_reach_the_exception_queue_with_specific_reasons(
    platform_settings, fresh_standins, sqlite_db
):
    generated = fresh_standins.generate(6, seed=21, malformed_share=0.0)
    base = httpx.get(f"{fresh_standins.eservice_url}/api/applications/{generated['ids'][0]}").json()
    other = httpx.get(
        f"{fresh_standins.eservice_url}/api/applications/{generated['ids'][1]}"
    ).json()
    variants = {}

    def variant(reason: str, mutate) -> None:  # type: ignore[no-untyped-def]
        app = copy.deepcopy(base)
        mutate(app)
        variants[_submit(fresh_standins, app)] = reason

    variant(
        "invalid_personnummer",
        lambda a: a["child"].update(personnummer=_break_check_digit(a["child"]["personnummer"])),
    )
    variant("missing_field", lambda a: a.pop("grade"))
    variant("missing_field", lambda a: a.pop("child"))
    variant("unknown_school", lambda a: a["school"].update(unit_code="SK9999"))
    variant("absurd_distance", lambda a: a.update(declared_distance_m=-40))
    variant("absurd_distance", lambda a: a.update(declared_distance_m=12_000_000))
    variant("invalid_field", lambda a: a.update(grade="12"))
    variant(
        "not_guardian",
        lambda a: a["applicant"].update(personnummer=other["applicant"]["personnummer"]),
    )
    queue = WorkQueue(sqlite_db.sessions)

    stats = run_engine(platform_settings, queue)

    assert stats.application_errors == 0
    assert stats.processed == 6 + len(variants)  # the run went on past every bad one
    for app_id, reason in variants.items():
        item = next(i for i in queue.items(case_type="skolskjuts") if i.application_id == app_id)
        assert item.state == "business_exception", app_id
        exc = queue.exception_item(item.id)
        assert exc.reason_codes == [reason], (app_id, exc.detail)
        assert exc.detail and "Traceback" not in exc.detail
    assert not set(variants) & {
        e["extern_ref"] for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"
    }


def test_crash_between_write_and_record_does_not_write_twice(
    fresh_standins, sqlite_db, monkeypatch
):
    """The window the read-back closes: the decision is in the case system, not in our DB."""
    monkeypatch.setenv("CASEROBOT_WORK__LEASE_SECONDS", "5")
    monkeypatch.setenv("CASEROBOT_WORK__ITEMS_PER_SEAT", "1")  # one item in flight at the crash
    settings = _settings_for(fresh_standins, monkeypatch)
    fresh_standins.generate(8, seed=5, malformed_share=0.0)
    queue = WorkQueue(sqlite_db.sessions)

    class Crash(BaseException):
        pass

    real_complete = WorkQueue.complete

    def crash_on_complete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise Crash("robot process died after writing, before recording")

    monkeypatch.setattr(WorkQueue, "complete", crash_on_complete)
    with pytest.raises(Crash):
        run_engine(settings, queue, seats=1)
    written_before = [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]
    assert len(written_before) == 1
    stuck = [i for i in queue.items(case_type="skolskjuts") if i.state == "in_progress"]
    assert [i.step for i in stuck] == ["writing"]

    monkeypatch.setattr(WorkQueue, "complete", real_complete)
    time.sleep(5.5)  # the crashed robot's lease runs out
    stats = run_engine(settings, queue)

    assert stats.recovered == 1
    recovered = [d for d in queue.decisions(case_type="skolskjuts") if d.recovered]
    assert [d.application_id for d in recovered] == [written_before[0]["extern_ref"]]
    assert recovered[0].diarienummer == written_before[0]["diarienummer"]
    counts = {}
    for e in fresh_standins.ledger("case_system"):
        if e["kind"] == "decision":
            counts[e["extern_ref"]] = counts.get(e["extern_ref"], 0) + 1
    assert max(counts.values()) == 1
