"""The ekonomiskt bistånd robot engine end to end: stand-ins, headless Chromium, SQL queue."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from caserobot.queue import WorkQueue
from tests.utils.e2e import case_ledger, run_engine

pytestmark = pytest.mark.browser

CASE_TYPE = "ekonomiskt_bistand"

# The stand-ins' kinds (see docs/architecture.md) and the reason code each must carry.
EXPECTED_REASON = {
    "first_application": "first_application",
    "register_mismatch": "register_mismatch",
    "change_since_previous": "changed_since_previous",
    "rent_above_cap": "rent_above_cap",
    "special_expenses": "special_expenses",
    "assets_declared": "assets_declared",
    "health_data": "health_data_decisive",
    "protected_identity": "protected_identity",
    "samordningsnummer": "samordningsnummer",
    "not_in_municipality": "not_registered_in_municipality",
    "no_labour_market_plan": "no_labour_market_plan",
    "income_exceeds_norm": "proposed_refusal",
}


def _ledger(standins, kind: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return case_ledger(standins, kind, CASE_TYPE)


def test_every_eb_application_is_decided_or_referred_and_paid_exactly_once(
    platform_settings, fresh_standins, db
):
    generated = fresh_standins.generate(30, seed=7, malformed_share=0.1, type=CASE_TYPE)
    queue = WorkQueue(db.sessions)

    stats = run_engine(platform_settings, queue, case_type=CASE_TYPE)

    assert stats.processed == 30
    assert stats.application_errors == 0
    items = {i.application_id: i for i in queue.items(case_type=CASE_TYPE, limit=1000)}
    assert sorted(items) == sorted(generated["ids"])
    states = {a: i.state for a, i in items.items()}
    assert set(states.values()) <= {"done", "business_exception"}, states
    # No retries either: a retried system error would hide a flaw the retry happens to cover.
    assert {a: i.attempts for a, i in items.items() if i.attempts != 1} == {}

    decisions = Counter(e["extern_ref"] for e in _ledger(fresh_standins, "decision"))
    payments = Counter(e["extern_ref"] for e in _ledger(fresh_standins, "payment_order"))
    done = {a for a, s in states.items() if s == "done"}
    assert done, "some applications are granted"
    assert set(decisions) == done and max(decisions.values()) == 1
    assert set(payments) == done and max(payments.values()) == 1

    ledger_decisions = {e["extern_ref"]: e for e in _ledger(fresh_standins, "decision")}
    ledger_payments = {e["extern_ref"]: e for e in _ledger(fresh_standins, "payment_order")}
    for app_id in done:
        recorded = queue.decision(items[app_id].id)
        assert recorded is not None and recorded.outcome == "granted"
        written = recorded.inputs["facts"]["beslut"]["value"]
        assert recorded.diarienummer == ledger_decisions[app_id]["diarienummer"]
        assert written["belopp"] == ledger_decisions[app_id]["belopp"] > 0
        assert ledger_payments[app_id]["belopp"] == written["belopp"]
        assert ledger_decisions[app_id]["manad"] == ledger_payments[app_id]["manad"] == "2026-12"

    # The generator tells the mix, not which application is which; each kind has exactly one
    # signal, so each kind's reason code shows up exactly as often as the kind was generated
    # (samordningsnummer holders are not folkbokförda in Nacka either).
    kinds = Counter(generated["kinds"])
    reasons: Counter[str] = Counter()
    only_estimated_norm = 0
    for item in items.values():
        if item.state == "business_exception":
            exc = queue.exception_item(item.id)
            assert exc.detail and "Traceback" not in exc.detail
            reasons.update(set(exc.reason_codes))
            if exc.reason_codes == ["norm_estimated"]:
                only_estimated_norm += 1
                assert exc.recommended_outcome == "granted"
    for kind, code in EXPECTED_REASON.items():
        extra = kinds["samordningsnummer"] if kind == "not_in_municipality" else 0
        assert reasons[code] == kinds[kind] + extra, (kind, reasons, kinds)
    schema = reasons["invalid_personnummer"] + reasons["missing_field"] + reasons["invalid_field"]
    assert schema == generated["mix"]["malformed"], (kinds, reasons)
    # A grant is written unless the estimated 2026 riksnorm (households other than a single
    # adult or a couple living alone) sends it to a caseworker, with the recommendation.
    assert len(done) + only_estimated_norm == generated["mix"]["grant"], (len(done), reasons)


class Crash(BaseException):
    pass


def _counts(standins, kind: str) -> Counter[str]:  # type: ignore[no-untyped-def]
    return Counter(e["extern_ref"] for e in _ledger(standins, kind))


def test_crash_between_decision_and_payment_writes_neither_twice(
    fresh_standins, sqlite_db, monkeypatch
):
    """The robot dies after the decision is saved, before the payment order is sent."""
    from caserobot_ekonomiskt_bistand.screens import SocialServicesScreens
    from tests.fixtures.platform import apply_standins_env

    monkeypatch.setenv("CASEROBOT_WORK__LEASE_SECONDS", "5")
    # A write that began before the crash may still land: the robot waits this long
    # (reading back) before it writes again; short here, as the test's lease.
    monkeypatch.setenv("CASEROBOT_CASE_SYSTEM__WRITE_SETTLE_S", "3")
    # One item in flight when the robot dies (one seat, one lane), so the crash lands
    # between that item's two writes.
    monkeypatch.setenv("CASEROBOT_WORK__ITEMS_PER_SEAT", "1")
    settings = apply_standins_env(fresh_standins, monkeypatch)
    fresh_standins.generate(8, seed=7, malformed_share=0.0, type=CASE_TYPE)
    queue = WorkQueue(sqlite_db.sessions)
    real_order = SocialServicesScreens.order_payment

    async def die(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise Crash("robot process died between the decision and the payment order")

    monkeypatch.setattr(SocialServicesScreens, "order_payment", die)
    with pytest.raises(Crash):
        run_engine(settings, queue, seats=1, case_type=CASE_TYPE)
    decided = _counts(fresh_standins, "decision")
    assert len(decided) == 1 and not _counts(fresh_standins, "payment_order")
    stuck = [i for i in queue.items(case_type=CASE_TYPE) if i.state == "in_progress"]
    assert [i.step for i in stuck] == ["writing_payment"]

    monkeypatch.setattr(SocialServicesScreens, "order_payment", real_order)
    time.sleep(5.5)  # the crashed robot's lease runs out
    stats = run_engine(settings, queue, case_type=CASE_TYPE)

    assert stats.application_errors == 0
    decisions, payments = (
        _counts(fresh_standins, "decision"),
        _counts(fresh_standins, "payment_order"),
    )
    assert max(decisions.values()) == 1 and max(payments.values()) == 1
    assert set(decisions) == set(payments) >= set(decided)
    done = {i.application_id for i in queue.items(case_type=CASE_TYPE) if i.state == "done"}
    assert done == set(decisions)


def test_crash_after_both_writes_is_recovered_by_reading_back(
    fresh_standins, sqlite_db, monkeypatch
):
    monkeypatch.setenv("CASEROBOT_WORK__LEASE_SECONDS", "5")
    # A write that began before the crash may still land: the robot waits this long
    # (reading back) before it writes again; short here, as the test's lease.
    monkeypatch.setenv("CASEROBOT_CASE_SYSTEM__WRITE_SETTLE_S", "3")
    monkeypatch.setenv("CASEROBOT_WORK__ITEMS_PER_SEAT", "1")  # one item in flight at the crash
    from tests.fixtures.platform import apply_standins_env

    settings = apply_standins_env(fresh_standins, monkeypatch)
    fresh_standins.generate(8, seed=7, malformed_share=0.0, type=CASE_TYPE)
    queue = WorkQueue(sqlite_db.sessions)
    real_complete = WorkQueue.complete

    def crash_on_complete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise Crash("robot process died after writing, before recording")

    monkeypatch.setattr(WorkQueue, "complete", crash_on_complete)
    with pytest.raises(Crash):
        run_engine(settings, queue, seats=1, case_type=CASE_TYPE)
    written = _ledger(fresh_standins, "decision")
    assert len(written) == 1 and len(_ledger(fresh_standins, "payment_order")) == 1

    monkeypatch.setattr(WorkQueue, "complete", real_complete)
    time.sleep(5.5)
    stats = run_engine(settings, queue, case_type=CASE_TYPE)

    assert stats.recovered == 1
    recovered = [d for d in queue.decisions(case_type=CASE_TYPE) if d.recovered]
    assert [d.application_id for d in recovered] == [written[0]["extern_ref"]]
    assert recovered[0].diarienummer == written[0]["diarienummer"]
    assert max(_counts(fresh_standins, "decision").values()) == 1
    assert max(_counts(fresh_standins, "payment_order").values()) == 1


def _break_check_digit(pnr: str) -> str:
    digits = pnr.replace("-", "")
    return f"{digits[:8]}-{digits[8:11]}{(int(digits[-1]) + 1) % 10}"


def test_bad_eb_applications_name_the_field(platform_settings, fresh_standins, sqlite_db):
    import copy

    import httpx

    generated = fresh_standins.generate(1, seed=3, malformed_share=0.0, type=CASE_TYPE)
    url = fresh_standins.eservice_url
    base = httpx.get(f"{url}/api/applications/{generated['ids'][0]}").json()
    expected: dict[str, tuple[str, str]] = {}

    def variant(reason: str, field: str, mutate) -> None:  # type: ignore[no-untyped-def]
        app = copy.deepcopy(base)
        mutate(app)
        body = {k: v for k, v in app.items() if k not in ("id", "status", "submitted_at")}
        r = httpx.post(f"{url}/api/applications", json=body, timeout=10)
        r.raise_for_status()
        expected[r.json()["id"]] = (reason, field)

    def bad_pnr(a):  # type: ignore[no-untyped-def]
        a["applicant"]["personnummer"] = _break_check_digit(a["applicant"]["personnummer"])

    variant("invalid_personnummer", "applicant.personnummer", bad_pnr)
    variant("missing_field", "month", lambda a: a.pop("month"))
    variant("invalid_field", "month", lambda a: a.update(month="2026-13"))
    variant("invalid_field", "costs.rent", lambda a: a["costs"].update(rent=-1))
    variant(
        "invalid_field",
        "incomes.0.type",
        lambda a: a["incomes"].insert(
            0, {"personnummer": a["applicant"]["personnummer"], "type": "lotto", "amount": 5}
        ),
    )
    variant(
        "invalid_field",
        "household.0.birth_date",
        lambda a: a["household"][0].update(birth_date="1990-02-30"),
    )
    queue = WorkQueue(sqlite_db.sessions)

    stats = run_engine(platform_settings, queue, case_type=CASE_TYPE)

    assert stats.application_errors == 0 and stats.processed == 1 + len(expected)
    for item in queue.items(case_type=CASE_TYPE):
        if item.application_id not in expected:
            continue
        reason, field = expected[item.application_id]
        assert item.state == "business_exception"
        exc = queue.exception_item(item.id)
        assert exc.reason_codes == [reason], exc.detail
        assert f"(fält: {field})" in exc.detail
    written = {e["extern_ref"] for e in fresh_standins.ledger("case_system")}
    assert not written & set(expected)


def test_with_refusals_automated_a_refusal_is_written_once_and_nothing_paid(
    platform_settings, fresh_standins, sqlite_db, tmp_path, monkeypatch
):
    """The municipality's policy ``policy_automate_refusals`` on: refusals are written too.

    The municipality's own copy of the package's rules in ``<config dir>/rules/<case
    type>/`` wins over the package's (docs/adding-a-case-type.md).
    """
    db = sqlite_db
    import shutil

    from caserobot.rules import get_case_type
    from caserobot.settings import PROJECT_ROOT, get_settings

    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    shutil.copytree(get_case_type(CASE_TYPE).config_dir, config / "rules" / CASE_TYPE)
    parameters = config / "rules" / CASE_TYPE / "parameters.yaml"
    text = parameters.read_text(encoding="utf-8")
    head, tail = text.split("policy_automate_refusals:", 1)
    tail = tail.replace("value: false", "value: true", 1)
    parameters.write_text(head + "policy_automate_refusals:" + tail, encoding="utf-8")
    monkeypatch.setenv("CASEROBOT_CONFIG_DIR", str(config))
    get_settings.cache_clear()
    generated = fresh_standins.generate(40, seed=11, malformed_share=0.0, type=CASE_TYPE)
    refusals_generated = Counter(generated["kinds"])["income_exceeds_norm"]
    assert refusals_generated, "seed 11 must generate households whose income exceeds the norm"
    queue = WorkQueue(db.sessions)

    run_engine(get_settings(), queue, case_type=CASE_TYPE)
    run_engine(get_settings(), queue, case_type=CASE_TYPE)  # a second run writes nothing

    items = {i.application_id: i for i in queue.items(case_type=CASE_TYPE, limit=1000)}
    denied = {a for a, i in items.items() if (d := queue.decision(i.id)) and d.outcome == "denied"}
    # A refusal is written unless another rule also refers the household (e.g. the estimated
    # norm for a household with children); then a caseworker gets it, recommended refusal.
    referred_refusals = [
        e.reason_codes
        for i in items.values()
        if (e := queue.exception_item(i.id)) and e.recommended_outcome == "denied"
    ]
    assert all(codes != ["proposed_refusal"] for codes in referred_refusals), referred_refusals
    assert denied and len(denied) + len(referred_refusals) == refusals_generated
    decisions = [e for e in _ledger(fresh_standins, "decision") if e["extern_ref"] in denied]
    assert Counter(e["extern_ref"] for e in decisions) == Counter(denied)
    assert all(e["belopp"] == 0 for e in decisions)
    assert not [e for e in _ledger(fresh_standins, "payment_order") if e["extern_ref"] in denied]
    for app_id in denied:
        recorded = queue.decision(items[app_id].id)
        assert recorded.diarienummer and "avslå" in recorded.motivering.lower()
