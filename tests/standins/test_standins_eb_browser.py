"""Ekonomiskt bistånd forms in headless Chromium: kontroll in JavaScript, confirm(), duplicates."""

from __future__ import annotations

import re

import pytest

from standins.social import SocialWorld, build_social
from standins.world import World

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def social(world: World) -> SocialWorld:
    return build_social(world)


def open_page(browser, base_url: str, javascript: bool = True):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base_url, java_script_enabled=javascript)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", "robot09")
    page.fill("input[name=password]", "robot09")
    page.click("#logga-in")
    page.wait_for_url("**/start")
    return context, page


def case_from_household(page, applicant: str, ref: str) -> int:  # type: ignore[no-untyped-def]
    page.fill("form#sokhushall input[name=pnr]", applicant)
    page.click("form#sokhushall [type=submit]")
    page.wait_for_url(re.compile(r"/hushall\?pnr="))
    assert page.title() == "Hushållsuppgifter"
    page.click("#nytt-arende")
    assert page.locator("select[name=arendetyp]").input_value() == "ekonomiskt_bistand"
    page.fill("input[name=extern_ref]", ref)
    page.click("#registrera")
    page.wait_for_url(re.compile(r"/arende/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def fill_decision(page, utfall: str, belopp: str, manad: str, text: str) -> None:  # type: ignore[no-untyped-def]
    page.click("#fatta-beslut")
    page.select_option("form#ebbeslut select[name=utfall]", utfall)
    page.fill("form#ebbeslut input[name=belopp]", belopp)
    page.fill("form#ebbeslut input[name=manad]", manad)
    page.fill("form#ebbeslut textarea[name=motivering]", text)
    page.click("form#ebbeslut [type=submit]")


def fill_payment(page, belopp: str, manad: str, konto: str) -> None:  # type: ignore[no-untyped-def]
    page.click("#bestall-utbetalning")
    page.fill("form#utbetalningsform input[name=belopp]", belopp)
    page.fill("form#utbetalningsform input[name=manad]", manad)
    page.fill("form#utbetalningsform input[name=konto]", konto)
    page.click("form#utbetalningsform [type=submit]")


def table(page, selector: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return page.locator(f"{selector} tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText))")


def test_decision_and_payment_order_in_a_real_browser(
        browser, fresh_standins, social: SocialWorld) -> None:  # type: ignore[no-untyped-def]
    hh = social.pools["grant_couple_children"][1]
    context, page = open_page(browser, fresh_standins.case_system_url)
    dialogs: list[str] = []

    def accept(dialog) -> None:  # type: ignore[no-untyped-def]
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    try:
        case_id = case_from_household(page, hh.applicant, "ES-EB-777")
        text = "Ni beviljas ekonomiskt bistånd för december 2026.\nNormen är 14 510 kr."
        fill_decision(page, "bifall", "8 125", "2026-12", text)
        page.wait_for_url(f"**/arende/{case_id}?sparat=1")
        diarie = page.locator("table#arendeinfo tr:has(th:text-is('Diarienummer')) td")
        first = diarie.inner_text()
        assert re.fullmatch(r"EB-\d{4}-\d{5}", first)
        fill_decision(page, "bifall", "8125", "2026-12", "Samma beslut en gång till.")
        page.wait_for_url(f"**/arende/{case_id}?sparat=1")
        decisions = table(page, "table#beslut")
        assert [(d[1], d[5], d[6]) for d in decisions] == [("Beviljas", "8125", "2026-12")] * 2
        assert decisions[0][2] == text and decisions[0][3] == first != decisions[1][3]

        fill_payment(page, "8125", "2026-12", hh.account)
        page.wait_for_url(f"**/arende/{case_id}?utbetald=1")
        fill_payment(page, "8125", "2026-12", hh.account)
        page.wait_for_url(f"**/arende/{case_id}?utbetald=1")
        assert page.locator("p#utbetald").count() == 1
        payments = table(page, "table#utbetalningar")
        assert [p[1:4] for p in payments] == [["8125", "2026-12", hh.account]] * 2
        assert dialogs == ["Vill du fatta beslutet?"] * 2 + ["Vill du beställa utbetalningen?"] * 2
    finally:
        context.close()

    ledger = fresh_standins.ledger("case_system")
    assert [e["kind"] for e in ledger] == ["case_created", "decision", "decision",
                                           "payment_order", "payment_order"]
    assert ledger[1]["motivering"] == text and ledger[1]["belopp"] == 8125
    assert ledger[1]["arendetyp"] == "ekonomiskt_bistand" and ledger[1]["user"] == "robot09"
    assert {(e["belopp"], e["manad"], e["konto"]) for e in ledger[3:]} == {
        (8125, "2026-12", hh.account)}


def test_dismissing_confirm_writes_nothing(browser, fresh_standins, social: SocialWorld) -> None:  # type: ignore[no-untyped-def]
    hh = social.pools["grant_single"][7]
    context, page = open_page(browser, fresh_standins.case_system_url)
    try:
        case_id = case_from_household(page, hh.applicant, "ES-EB-778")
        page.on("dialog", lambda dialog: dialog.dismiss())
        fill_decision(page, "bifall", "4000", "2026-12", "Ångrar mig.")
        page.wait_for_timeout(300)
        assert page.url.endswith(f"/arende/{case_id}/beslut")
    finally:
        context.close()
    assert [e["kind"] for e in fresh_standins.ledger("case_system")] == ["case_created"]


def test_without_javascript_both_forms_are_refused(
        browser, fresh_standins, social: SocialWorld) -> None:  # type: ignore[no-untyped-def]
    hh = social.pools["grant_single"][8]
    context, page = open_page(browser, fresh_standins.case_system_url, javascript=False)
    try:
        case_id = case_from_household(page, hh.applicant, "ES-EB-779")
        fill_decision(page, "bifall", "4000", "2026-12", "Utan skript.")
        page.wait_for_load_state()
        assert "Kontrollsumman" in page.locator("p.fel").inner_text()
        page.goto(f"/arende/{case_id}")
        fill_payment(page, "4000", "2026-12", hh.account)
        page.wait_for_load_state()
        assert "Kontrollsumman" in page.locator("p.fel").inner_text()
    finally:
        context.close()
    assert [e["kind"] for e in fresh_standins.ledger("case_system")] == ["case_created"]
