"""Layout v2's changed forms in headless Chromium: its own script works; a v1 fill fails."""

from __future__ import annotations

import re

import pytest

from standins.social import build_social
from standins.world import World
from tests.fixtures.standins import Standins

pytestmark = pytest.mark.browser

# How a v1 page object fills the decision form (by the field names of layout v1).
V1_FILL = """([outcome, text]) => {
  const form = document.querySelector('form#beslutsform');
  form.elements.utfall.value = outcome;
  form.elements.motivering.value = text;
  return true;
}"""


@pytest.fixture
def page(browser, fresh_standins):  # type: ignore[no-untyped-def]
    fresh_standins.configure("case_system", layout_variant="v2")
    context = browser.new_context(base_url=fresh_standins.case_system_url)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    dialogs: list[str] = []

    def accept(dialog) -> None:  # type: ignore[no-untyped-def]
        dialogs.append(dialog.message)
        dialog.accept()

    pg.on("dialog", accept)
    pg.dialogs = dialogs
    pg.goto("/login")
    pg.fill("input[name=username]", "robot03")
    pg.fill("input[name=password]", "robot03")
    pg.click("#logga-in")
    pg.wait_for_url("**/start")
    yield pg
    context.close()


def new_case(page, pnr: str, kind: str) -> int:  # type: ignore[no-untyped-def]
    page.goto(f"/arende/ny?pnr={pnr}&typ={kind}")
    page.fill("form#registrera-arende input[name=extern_ref]", "ES-V2")
    page.click("#registrera")
    page.wait_for_url(re.compile(r"/arende/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_v2_decision_form_through_its_own_script(
        page, fresh_standins: Standins, world: World) -> None:  # type: ignore[no-untyped-def]
    case_id = new_case(page, world.children[50].pnr, "skolskjuts")
    page.goto(f"/arende/{case_id}/beslut")
    with pytest.raises(Exception, match="motivering|undefined|null"):
        page.evaluate(V1_FILL, ["bifall", "Skrivet som i v1."])
    page.select_option("form#beslutsform select[name=utfall]", "bifall")
    page.select_option("form#beslutsform select[name=delgivning]", "digitalt")
    page.fill("form#beslutsform textarea[name=beslutstext]", "Beviljas,\nv2.")
    page.click("form#beslutsform [type=submit]")
    page.wait_for_url(f"**/arende/{case_id}?sparat=1")
    assert page.dialogs == ["Registrera beslutet?"]
    [decision] = [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]
    assert decision["case_id"] == case_id and decision["motivering"] == "Beviljas,\nv2."
    assert decision["delgivning"] == "digitalt"
    cells = page.locator("table#beslutslogg tbody tr td").all_inner_texts()
    assert cells[0] == decision["diarienummer"] and cells[3] == "robot03"


def test_v2_social_forms_through_their_own_script(
        page, fresh_standins: Standins, world: World) -> None:  # type: ignore[no-untyped-def]
    hh = build_social(world).households[5]
    case_id = new_case(page, hh.applicant, "ekonomiskt_bistand")
    page.goto(f"/arende/{case_id}/beslut")
    page.select_option("form#ebbeslut select[name=utfall]", "bifall")
    page.fill("form#ebbeslut input[name=manad]", "2026-12")
    page.fill("form#ebbeslut input[name=belopp_kr]", "6 120")
    page.select_option("form#ebbeslut select[name=delgivning]", "brev")
    page.fill("form#ebbeslut textarea[name=beslutstext]", "Försörjningsstöd beviljas.")
    page.click("form#ebbeslut [type=submit]")
    page.wait_for_url(f"**/arende/{case_id}?sparat=1")
    page.goto(f"/arende/{case_id}/utbetalning")
    page.fill("form#utbetalningsform input[name=belopp]", "6120")
    page.fill("form#utbetalningsform input[name=manad]", "2026-12")
    page.fill("form#utbetalningsform input[name=mottagarkonto]", "9960-1234567")
    page.click("form#utbetalningsform [type=submit]")
    page.wait_for_url(f"**/arende/{case_id}?utbetald=1")
    assert page.dialogs == ["Registrera beslutet?", "Beställa utbetalningen?"]
    ledger = fresh_standins.ledger("case_system")
    [decision] = [e for e in ledger if e["kind"] == "decision"]
    assert (decision["belopp"], decision["manad"], decision["delgivning"]) == (
        6120, "2026-12", "brev")
    [payment] = [e for e in ledger if e["kind"] == "payment_order"]
    assert (payment["belopp"], payment["konto"]) == (6120, "9960-1234567")
