"""Income register (SSBTEK-like JSON): contract shape, agreement with the world, faults."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from standins.social import SocialWorld, build_social
from standins.world import World


@pytest.fixture(scope="module")
def social(world: World) -> SocialWorld:
    return build_social(world)


def payments(base: str, number: str, **params: str) -> httpx.Response:
    return httpx.get(f"{base}/ssbtek/v1/personer/{number}/utbetalningar", params=params,
                     timeout=10)


def test_a_familys_payments_per_source_and_month(standins, social: SocialWorld) -> None:  # type: ignore[no-untyped-def]
    hh = next(h for h in social.pools["grant_couple_children"]
              if {i.type for i in h.incomes} >= {"barnbidrag", "salary_net"})
    r = payments(standins.income_url, hh.applicant, **{"from": "2026-11", "to": "2026-12"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["personnummer"] == hh.applicant and (body["from"], body["to"]) == (
        "2026-11", "2026-12")
    assert body["fetched_at"].startswith("20")
    fields = {"month", "source", "type", "amount", "gross", "tax_withheld", "payer", "paid_on"}
    assert body["payments"] and all(set(p) == fields for p in body["payments"])
    assert [p["month"] for p in body["payments"]] == sorted(p["month"] for p in body["payments"])
    assert body["payments"] == social.payments(hh.applicant, "2026-11", "2026-12")
    for p in body["payments"]:
        assert p["gross"] - p["tax_withheld"] == p["amount"] > 0
        assert p["paid_on"].startswith(p["month"] + "-")
        if p["type"] == "barnbidrag":
            assert (p["source"], p["payer"], p["tax_withheld"]) == (
                "forsakringskassan", "Försäkringskassan", 0)
            assert p["amount"] % 1250 == 0
        if p["type"] == "salary":
            assert p["source"] == "skatteverket" and p["tax_withheld"] > 0
            assert p["payer"].endswith(("AB", "HB"))  # the employer that declared it
    dec = {(p["type"]): p["amount"] for p in body["payments"] if p["month"] == "2026-12"}
    declared = {t if t != "salary_net" else "salary": a
                for who, t, a in hh.declared_incomes() if who == hh.applicant}
    assert dec == declared


def test_sources_cover_the_agencies_the_issue_names(social: SocialWorld) -> None:
    seen: set[tuple[str, str]] = set()
    for hh in social.households:
        for m in hh.members:
            seen |= {(p["source"], p["type"]) for p in social.payments(m.pnr, "2026-12",
                                                                        "2026-12")}
    assert seen >= {
        ("forsakringskassan", t) for t in (
            "barnbidrag", "flerbarnstillagg", "bostadsbidrag", "underhallsstod", "sjukpenning",
            "foraldrapenning", "aktivitetsstod", "etableringsersattning",
            "sjuk_aktivitetsersattning")
    } | {("csn", "studiebidrag"), ("a_kassa", "a_kassa"), ("skatteverket", "salary")}


def test_batch_query_and_childrens_own_payments(standins, social: SocialWorld) -> None:  # type: ignore[no-untyped-def]
    hh = next(h for h in social.pools["grant_child_work_income"])
    numbers = [m.pnr for m in hh.members]
    r = httpx.post(f"{standins.income_url}/ssbtek/v1/utbetalningar", timeout=10,
                   json={"personnummer": [f"{n[:8]}-{n[8:]}" for n in numbers],
                         "from": "2026-01", "to": "2026-12"})
    assert r.status_code == 200
    persons = r.json()["persons"]
    assert [p["personnummer"] for p in persons] == numbers
    teen = next(i.pnr for i in hh.incomes if i.type == "child_work_income")
    theirs = next(p["payments"] for p in persons if p["personnummer"] == teen)
    assert {p["type"] for p in theirs} >= {"salary"}
    assert all(p["month"][:4] == "2026" for p in theirs)


def test_mismatch_households_differ_from_their_declarations(social: SocialWorld) -> None:
    for hh in social.pools["register_mismatch"]:
        paid = {(p["type"], p["payer"]): p["amount"]
                for p in social.payments(hh.applicant, "2026-12", "2026-12")}
        declared = {t: a for who, t, a in hh.declared_incomes() if who == hh.applicant}
        if hh.variant == "undeclared":
            assert sum(a for (t, _), a in paid.items() if t == "salary") > declared.get(
                "salary_net", 0)
        else:
            assert any(i.declared_amount is not None and i.declared_amount < i.amount
                       for i in hh.incomes)


@pytest.mark.parametrize(("number", "params", "status", "error"), [
    ("195001019800", {"from": "2026-13"}, 422, "invalid_month"),
    ("195001019800", {"from": "2026-12", "to": "2026-01"}, 422, "invalid_period"),
    ("195001019800", {"from": "2024-01", "to": "2026-12"}, 422, "invalid_period"),
    ("195001019800", {}, 422, "invalid_month"),
    ("195001019801", {"from": "2026-12"}, 400, "invalid_personnummer"),
])
def test_bad_requests(standins, number: str, params: dict[str, str], status: int,  # type: ignore[no-untyped-def]
                      error: str) -> None:
    r = payments(standins.income_url, number, **params)
    assert r.status_code == status and r.json()["error"] == error


def test_unknown_person_and_samordningsnummer(standins, social: SocialWorld) -> None:  # type: ignore[no-untyped-def]
    r = payments(standins.income_url, "19500101-9800", **{"from": "2026-12"})
    assert r.status_code == 200 and r.json()["payments"] == [] and r.json()["to"] == "2026-12"
    samordning = next(h for h in social.pools["samordningsnummer"]
                      if any(i.paid_in("2026-12") for i in h.incomes))
    r = payments(standins.income_url, samordning.applicant, **{"from": "2026-12"})
    assert r.status_code == 200 and r.json()["payments"]
    bad = httpx.post(f"{standins.income_url}/ssbtek/v1/utbetalningar",
                     json={"personnummer": [], "from": "2026-12"}, timeout=10)
    assert bad.status_code == 422
    period = httpx.get(f"{standins.income_url}/ssbtek/v1/period", timeout=10).json()
    assert period == {"first_month": "2025-01", "last_month": "2026-12"}


def test_latency_faults_and_test_routes(fresh_standins) -> None:  # type: ignore[no-untyped-def]
    base = fresh_standins.income_url
    health = httpx.get(f"{base}/_test/health").json()
    assert health["status"] == "ok" and health["system"] == "income"
    served = health["requests"]
    fresh_standins.configure("income", latency_ms=150)
    started = time.perf_counter()
    assert payments(base, "19500101-9800", **{"from": "2026-12"}).status_code == 200
    assert time.perf_counter() - started >= 0.15
    fresh_standins.configure("income", latency_ms=0, fail_rate=1.0)
    failed = payments(base, "19500101-9800", **{"from": "2026-12"})
    assert failed.status_code == 503
    assert failed.json() == {"error": "unavailable", "system": "income"}
    stats: dict[str, Any] = httpx.get(f"{base}/_test/stats").json()
    assert stats["requests"] == served + 2 and stats["writes"] == 0
    assert fresh_standins.ledger("income") == []
    fresh_standins.reset()
    assert httpx.get(f"{base}/_test/config").json()["fail_rate"] == 0
