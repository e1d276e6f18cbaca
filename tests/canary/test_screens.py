"""The page objects' screen specs: what they rely on holds on the default layout (pinned
byte for byte in tests/standins/golden/) and fails, screen by screen, on layout v2."""

from __future__ import annotations

from pathlib import Path

import pytest

from caserobot.exceptions import UnexpectedScreen
from caserobot.legacy.casesystem import pages
from caserobot.legacy.casesystem.screens import (
    ScreenSpec,
    features,
    findings,
    fingerprint,
    problems,
    structure,
)
from caserobot_ekonomiskt_bistand import pages as sp
from tests.standins.screens import visit

GOLDEN = Path(__file__).parents[1] / "standins" / "golden"

#: golden page (and the page of the v2 visit) → the spec of that screen
SCREENS: dict[str, ScreenSpec] = {
    "elev": pages.PUPIL,
    "skolor": pages.SCHOOLS,
    "arende": pages.CASE,
    "arende_ny": pages.NEW_CASE,
    "beslut": pages.DECISION,
    "hushall": sp.HOUSEHOLD,
    "historik": sp.HISTORY_SCREEN,
    "planering": sp.PLANNING_SCREEN,
    "hyresnormer": sp.RENT_CAPS_SCREEN,
    "arende_eb": sp.EB_CASE,
    "arende_ny_eb": sp.NEW_EB_CASE_SCREEN,
    "ebbeslut": sp.EB_DECISION,
    "utbetalning": sp.PAYMENT,
}


def _golden(name: str) -> str:
    return (GOLDEN / f"{name}.html").read_text(encoding="utf-8").split("\n", 1)[1]


def test_every_screen_of_both_robots_has_a_spec() -> None:
    assert set(pages.SCREENS) | set(sp.SCREENS) == set(SCREENS.values())
    for screens in (pages.SCREENS, sp.SCREENS):
        assert len({s.name for s in screens}) == len(screens), "screen names are keys"


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_the_default_layout_has_everything_the_page_objects_read(name: str) -> None:
    assert problems(SCREENS[name], structure(_golden(name))) == {}


def test_a_fingerprint_depends_on_the_layout_not_on_the_data() -> None:
    empty, decided = structure(_golden("arende_empty")), structure(_golden("arende"))
    assert fingerprint(features(empty, pages.CASE)) == fingerprint(features(decided, pages.CASE))
    again = structure(_golden("beslut_again"))  # the form with a note of earlier decisions
    first = structure(_golden("beslut"))
    assert findings(pages.DECISION, again, features(first, pages.DECISION)) == []


@pytest.fixture(scope="module")
def v2_pages(standins):  # type: ignore[no-untyped-def]
    standins.reset()
    standins.configure("case_system", layout_variant="v2")
    try:
        return {name: r.text for name, r in visit(standins.case_system_url, v2=True).items()}
    finally:
        standins.reset()


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_layout_v2_is_a_change_on_every_screen(name: str, v2_pages) -> None:  # type: ignore[no-untyped-def]
    spec = SCREENS[name]
    accepted = features(structure(_golden(name)), spec)
    found = findings(spec, structure(v2_pages[name]), accepted)
    assert found, f"{spec.title}: v2 not seen as a change"
    assert all(isinstance(f, str) and f for f in found)


def test_the_changes_are_named(v2_pages) -> None:  # type: ignore[no-untyped-def]
    def change(name: str) -> str:
        spec = SCREENS[name]
        accepted = features(structure(_golden(name)), spec)
        return "; ".join(findings(spec, structure(v2_pages[name]), accepted))

    assert "tabellen #placering saknas (sidan har tabellerna #skolplacering" in change("elev")
    decision = change("beslut")
    assert "formuläret #beslutsform saknar fältet 'motivering'" in decision
    assert "nytt obligatoriskt fält 'delgivning'" in decision
    assert "nytt fält 'beslutstext'" in decision
    assert "formuläret #utbetalningsform saknar fältet 'konto'" in change("utbetalning")
    assert "nytt fält 'mottagarkonto'" in change("utbetalning")
    assert "fältet 'Hyra' saknas" in change("hushall") or "#hushall saknas" in change("hushall")


@pytest.mark.parametrize(
    ("name", "parse"),
    [
        ("elev", lambda html: pages.parse_pupil(html, "201301019999")),
        ("skolor", pages.parse_schools),
        ("arende", pages.parse_case),
        ("hushall", sp.parse_household),
        ("historik", sp.parse_history),
        ("planering", sp.parse_planning),
        ("hyresnormer", sp.parse_rent_caps),
        ("arende_eb", sp.parse_eb_case),
    ],
)
def test_the_parsers_refuse_a_changed_screen_instead_of_reading_nothing(
    name: str, parse, v2_pages  # type: ignore[no-untyped-def]
) -> None:
    """Before the specs, v2's pupil page parsed as a pupil *without placement* (a wrong
    referral) and v2's history and plans as *empty* (wrong facts for a decision)."""
    parse(_golden(name))  # the default layout parses
    with pytest.raises(UnexpectedScreen) as raised:
        parse(v2_pages[name])
    assert SCREENS[name].title in str(raised.value)
