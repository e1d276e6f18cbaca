"""Layout variants of the case system: v1 stays byte for byte; v2 changes every screen."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from standins.sessions import kontroll
from tests.fixtures.standins import Standins, start_standins, stop_standins
from tests.standins.screens import GOLDEN, render, visit
from tests.standins.test_standins_faults import case_client, decision_form, new_case

# What the robot's page objects read, by screen: gone (or renamed) in v2.
V1_ONLY = {
    "elev": ["table#placering", "table#arenden"],
    "skolor": ["table#skolor"],
    "arende_ny": ["form#nyttarende"],
    "arende": ["table#arendeinfo", "table#beslut"],
    "beslut": ["form#beslutsform textarea[name=motivering]"],
    "hushall": ["table#hushall", "table#medlemmar", "table#arenden"],
    "historik": ["table#tidigare-beslut"],
    "planering": ["table#planering"],
    "hyresnormer": ["table#hyresnormer"],
    "arende_eb": ["table#arendeinfo", "table#beslut", "table#utbetalningar"],
    "ebbeslut": ["form#ebbeslut [name=belopp]", "form#ebbeslut [name=motivering]"],
    "utbetalning": ["form#utbetalningsform [name=konto]"],
}
V2_HAS = {
    "elev": ["table#skolplacering", "table#elevens-arenden"],
    "skolor": ["table#skolenheter"],
    "arende_ny": ["form#registrera-arende"],
    "arende": ["table#arendeuppgifter", "table#beslutslogg"],
    "beslut": ["form#beslutsform textarea[name=beslutstext]",
               "form#beslutsform select[name=delgivning][required]"],
    "hushall": ["table#hushallsuppgifter", "table#hushallsmedlemmar"],
    "historik": ["table#beslutshistorik"],
    "planering": ["table#planer"],
    "hyresnormer": ["table#normer"],
    "arende_eb": ["table#arendeuppgifter", "table#beslutslogg", "table#utbetalningslogg"],
    "ebbeslut": ["form#ebbeslut [name=belopp_kr]", "form#ebbeslut [name=beslutstext]",
                 "form#ebbeslut select[name=delgivning][required]"],
    "utbetalning": ["form#utbetalningsform [name=mottagarkonto]"],
}


def labels(response: httpx.Response, table: str) -> list[str]:
    tree = HTMLParser(response.text)
    return [th.text(strip=True) for th in tree.css(f"table#{table} th")]


@pytest.fixture(scope="module")
def own_standins() -> Iterator[Standins]:
    """A process of its own: case ids start at 1, as in the golden files."""
    handle = start_standins()
    try:
        yield handle
    finally:
        stop_standins(handle.process)


def test_default_layout_is_unchanged_byte_for_byte(own_standins: Standins) -> None:
    pages = visit(own_standins.case_system_url)
    golden = sorted(p.stem for p in GOLDEN.glob("*.html"))
    assert sorted(pages) == golden
    for name, response in pages.items():
        expected = (GOLDEN / f"{name}.html").read_text(encoding="utf-8")
        assert render(response) == expected, f"{name} changed"


def test_layout_v2_changes_every_screen_and_its_forms_work(own_standins: Standins) -> None:
    own_standins.reset()  # the sessions of the test before
    own_standins.configure("case_system", layout_variant="v2")
    try:
        pages = visit(own_standins.case_system_url, v2=True)
    finally:
        own_standins.configure("case_system", layout_variant="v1")
    for name, response in pages.items():
        expected = (GOLDEN / f"{name}.html").read_text(encoding="utf-8")
        assert response.status_code == int(expected.split("\n", 1)[0]), name
        assert render(response) != expected, f"{name} is the same in v2"
    for name, selectors in V1_ONLY.items():
        tree = HTMLParser(pages[name].text)
        assert all(tree.css_first(s) is None for s in selectors), name
        assert all(tree.css_first(s) is not None for s in V2_HAS[name]), name
    placement = labels(pages["elev"], "skolplacering")
    assert "Enhetskod" in placement and "Skolenhetskod" not in placement
    assert "Ärendenummer" in labels(pages["arende"], "arendeuppgifter")
    household = labels(pages["hushall"], "hushallsuppgifter")
    assert "Boendekostnad" in household and "Hyra" not in household
    assert "<title>Ingen ledig licens</title>" in pages["nolicense"].text  # title kept
    # the v2 forms wrote, with the new required field
    ledger = own_standins.ledger("case_system")
    decisions = [e for e in ledger if e["kind"] == "decision"][-2:]
    assert [d.get("delgivning") for d in decisions] == ["brev", "brev"]
    assert decisions[1]["belopp"] == 5000
    assert [e for e in ledger if e["kind"] == "payment_order"][-1]["konto"] == "9960-1234567"


def test_a_v1_form_posted_to_v2_is_refused_and_writes_nothing(
        fresh_standins: Standins, world) -> None:  # type: ignore[no-untyped-def]
    client = case_client(fresh_standins)
    case_id = new_case(client, world.children[40].pnr)
    form = decision_form(client, case_id)  # a v1 form, read before the upgrade
    fresh_standins.configure("case_system", layout_variant="v2")
    r = client.post(f"/arende/{case_id}/beslut", data=form)
    assert r.status_code == 400 and 'class="fel"' in r.text
    # v2's fields without its new required one
    page = client.get(f"/arende/{case_id}/beslut").text
    token = HTMLParser(page).css_first("form#beslutsform input[name=formtoken]")
    assert token is not None
    value = token.attributes["value"] or ""
    r = client.post(f"/arende/{case_id}/beslut", data={
        "formtoken": value, "utfall": "bifall", "beslutstext": "Text.",
        "kontroll": kontroll(value, "bifall", "Text.")})
    assert r.status_code == 400 and "Välj delgivningssätt." in r.text
    assert not [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]
    client.close()
