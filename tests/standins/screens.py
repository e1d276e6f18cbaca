"""Visit every screen of the case system once, as a robot would, and keep each page's HTML.

Used to pin the default layout (tests/standins/golden/, compared byte for byte after masking
what changes from run to run: form tokens, today's date, the year in numbers) and to show
what layout v2 changes. Run directly to rewrite the golden files from a stand-in process:
``python -m tests.standins.screens`` (only when the default layout is meant to change).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import httpx

from standins.sessions import kontroll, kontroll_eb, kontroll_payment
from standins.social import build_social
from standins.world import build_world

GOLDEN = Path(__file__).parent / "golden"


def mask(text: str) -> str:
    text = re.sub(r'name="formtoken" value="\w+"', 'name="formtoken" value="TOKEN"', text)
    text = re.sub(r"\d{4}-\d{2}-\d{2}", "DATE", text)
    return re.sub(r"\b(SKOL|EB|UB)-\d{4}-", r"\1-YEAR-", text)


def _token(response: httpx.Response) -> str:
    found = re.search(r'name="formtoken" value="(\w+)"', response.text)
    assert found, response.text
    return found.group(1)


def visit(base_url: str, v2: bool = False) -> dict[str, httpx.Response]:
    """Every screen, in a fixed order, for a process started with fresh id sequences.

    With ``v2`` the forms are posted with layout v2's fields.
    """
    world = build_world(1)
    hh = build_social(world).households[0]
    text, amount, account = ("beslutstext", "belopp_kr", "mottagarkonto") if v2 else (
        "motivering", "belopp", "konto")
    extra = {"delgivning": "brev"} if v2 else {}
    pages: dict[str, httpx.Response] = {}
    with httpx.Client(base_url=base_url, timeout=30) as c:
        pages["login"] = c.get("/login")
        pages["login_expired"] = c.get("/login?expired=1")
        c.post("/login", data={"username": "robot01", "password": "robot01"})
        pages["start"] = c.get("/start")
        child = world.children[11]
        pages["elev"] = c.get(f"/elev?pnr={child.pnr}")
        pages["elev_none"] = c.get("/elev?pnr=190001019999")
        pages["skolor"] = c.get("/skolor")
        r = pages["arende_ny"] = c.get(f"/arende/ny?pnr={child.pnr}")
        r = c.post("/arende/ny", data={"pnr": child.pnr, "arendetyp": "skolskjuts",
                                       "extern_ref": "ES-1", "formtoken": _token(r)})
        cid = int(r.headers["location"].rsplit("/", 1)[1])
        pages["arende_empty"] = c.get(f"/arende/{cid}")
        r = pages["beslut"] = c.get(f"/arende/{cid}/beslut")
        tok = _token(r)
        c.post(f"/arende/{cid}/beslut", data={"formtoken": tok, "utfall": "bifall", text: "M",
                                              "kontroll": kontroll(tok, "bifall", "M"), **extra})
        pages["arende"] = c.get(f"/arende/{cid}?sparat=1")
        pages["beslut_again"] = c.get(f"/arende/{cid}/beslut")
        pages["hushall_sok"] = c.get("/hushall")
        pages["hushall_sok_none"] = c.get("/hushall?pnr=190001019999")
        pages["hushall"] = c.get(f"/hushall/{hh.number}")
        pages["historik"] = c.get(f"/hushall/{hh.number}/historik")
        pages["planering"] = c.get(f"/hushall/{hh.number}/planering")
        pages["hyresnormer"] = c.get("/hyresnormer")
        r = pages["arende_ny_eb"] = c.get(f"/arende/ny?pnr={hh.applicant}&typ=ekonomiskt_bistand")
        r = c.post("/arende/ny", data={"pnr": hh.applicant, "arendetyp": "ekonomiskt_bistand",
                                       "extern_ref": "ES-2", "formtoken": _token(r)})
        eid = int(r.headers["location"].rsplit("/", 1)[1])
        r = pages["ebbeslut"] = c.get(f"/arende/{eid}/beslut")
        tok = _token(r)
        c.post(f"/arende/{eid}/beslut", data={
            "formtoken": tok, "utfall": "bifall", amount: "5000", "manad": "2026-12",
            text: "E", "kontroll": kontroll_eb(tok, "bifall", "5000", "2026-12", "E"), **extra})
        r = pages["utbetalning"] = c.get(f"/arende/{eid}/utbetalning")
        tok = _token(r)
        c.post(f"/arende/{eid}/utbetalning", data={
            "formtoken": tok, "belopp": "5000", "manad": "2026-12", account: "9960-1234567",
            "kontroll": kontroll_payment(tok, "5000", "2026-12", "9960-1234567")})
        pages["arende_eb"] = c.get(f"/arende/{eid}?sparat=1&utbetald=1")
        pages["fel_404"] = c.get("/arende/99999")
        pages["fel_form"] = c.post(f"/arende/{cid}/beslut", data={"formtoken": "x"})
        others = [httpx.Client(base_url=base_url, timeout=30) for _ in range(3)]
        for i, other in enumerate(others, start=2):
            other.post("/login", data={"username": f"robot0{i}", "password": f"robot0{i}"})
        with httpx.Client(base_url=base_url, timeout=30) as late:
            pages["nolicense"] = late.post("/login",
                                           data={"username": "robot09", "password": "robot09"})
        for other in others:
            other.close()
    return pages


def render(response: httpx.Response) -> str:
    return f"{response.status_code}\n{mask(response.text)}"


if __name__ == "__main__":  # rewrite the golden files from a fresh stand-in process
    from tests.fixtures.standins import start_standins, stop_standins

    handle = start_standins()
    try:
        for name, resp in visit(handle.case_system_url).items():
            (GOLDEN / f"{name}.html").write_text(render(resp), encoding="utf-8")
    finally:
        stop_standins(handle.process)
    sys.exit(0)
