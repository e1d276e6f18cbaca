"""The decision form in headless Chromium: JavaScript kontroll, confirm(), duplicates."""

from __future__ import annotations

import re

import pytest

from standins.world import World

pytestmark = pytest.mark.browser

@pytest.fixture
def page(browser, fresh_standins):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=fresh_standins.case_system_url)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()


def log_in(page, user: str = "robot01") -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", user)
    page.click("#logga-in")
    page.wait_for_url("**/start")


def create_case(page, pnr: str, ref: str) -> int:  # type: ignore[no-untyped-def]
    page.goto(f"/elev?pnr={pnr}")
    page.click("#nytt-arende")
    page.select_option("select[name=arendetyp]", "skolskjuts")
    page.fill("input[name=extern_ref]", ref)
    page.click("#registrera")
    page.wait_for_url(re.compile(r"/arende/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def decide(page, case_id: int, utfall: str, motivering: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/arende/{case_id}/beslut")
    page.select_option("form#beslutsform select[name=utfall]", utfall)
    page.fill("form#beslutsform textarea[name=motivering]", motivering)
    page.click("form#beslutsform [type=submit]")


def test_decision_through_the_browser_and_a_duplicate_is_accepted(
        page, fresh_standins, world: World) -> None:  # type: ignore[no-untyped-def]
    dialogs: list[str] = []

    def accept(dialog) -> None:  # type: ignore[no-untyped-def]
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    log_in(page, "robot07")
    child = world.children[11]
    case_id = create_case(page, child.pnr, "ES-000777")

    motivering = "Gångavståndet är 3 412 m,\növer gränsen 3 km för åk 3–6."
    decide(page, case_id, "bifall", motivering)
    page.wait_for_url(f"**/arende/{case_id}?sparat=1")
    assert dialogs == ["Vill du fatta beslutet?"]
    assert page.locator("p#sparat").count() == 1
    diarie = page.locator("table#arendeinfo tr:has(th:text-is('Diarienummer')) td").inner_text()
    assert re.fullmatch(r"SKOL-\d{4}-\d{5}", diarie)

    decide(page, case_id, "avslag", "Andra beslutet i samma ärende.")
    page.wait_for_url(f"**/arende/{case_id}?sparat=1")
    cells = page.locator("table#beslut tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText))")
    assert [c[1] for c in cells] == ["Beviljas", "Avslås"]
    assert cells[0][2] == motivering
    assert cells[0][3] == diarie != cells[1][3]
    assert [c[4] for c in cells] == ["robot07", "robot07"]

    ledger = fresh_standins.ledger("case_system")
    decisions = [e for e in ledger if e["kind"] == "decision"]
    assert [(e["case_id"], e["utfall"], e["user"]) for e in decisions] == [
        (case_id, "bifall", "robot07"), (case_id, "avslag", "robot07")]
    assert decisions[0]["motivering"] == motivering
    assert decisions[0]["extern_ref"] == "ES-000777" and decisions[0]["pnr"] == child.pnr
    assert [e["kind"] for e in ledger].count("case_created") == 1


def test_dismissing_the_confirm_dialog_writes_nothing(
        page, fresh_standins, world: World) -> None:  # type: ignore[no-untyped-def]
    log_in(page)
    case_id = create_case(page, world.children[12].pnr, "ES-000778")
    page.on("dialog", lambda dialog: dialog.dismiss())
    decide(page, case_id, "bifall", "Ångrar mig.")
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/arende/{case_id}/beslut")
    assert not [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]


def test_without_javascript_the_form_is_refused(
        browser, fresh_standins, world: World) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=fresh_standins.case_system_url,
                                  java_script_enabled=False)
    try:
        pg = context.new_page()
        log_in(pg)
        case_id = create_case(pg, world.children[13].pnr, "ES-000779")
        decide(pg, case_id, "bifall", "Utan skript.")
        pg.wait_for_load_state()
        assert pg.locator("p.fel").count() == 1
        assert "Kontrollsumman" in pg.locator("p.fel").inner_text()
    finally:
        context.close()
    assert not [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]
