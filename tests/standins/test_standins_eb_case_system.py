"""Case system, social-services screens over plain HTTP: household, history, plans, rent caps,
ekonomiskt bistånd cases, the decision and payment-order forms and their refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from standins import pnr
from standins.sessions import kontroll, kontroll_eb, kontroll_payment
from standins.social import Household, SocialWorld, build_social
from standins.social_money import RENT_CAPS
from standins.world import World

EB = "ekonomiskt_bistand"


@pytest.fixture(scope="module")
def social(world: World) -> SocialWorld:
    return build_social(world)


@pytest.fixture
def client(fresh_standins) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=fresh_standins.case_system_url, timeout=10) as c:
        assert c.post("/login", data={"username": "robot04",
                                      "password": "robot04"}).status_code == 303
        yield c


def tree(r: httpx.Response) -> HTMLParser:
    return HTMLParser(r.text)


def kv(r: httpx.Response, table: str) -> dict[str, str]:
    return {tr.css_first("th").text(strip=True): tr.css_first("td").text(strip=True)
            for tr in tree(r).css(f"table#{table} tr")}


def rows(r: httpx.Response, table: str) -> list[list[str]]:
    return [[td.text(strip=True) for td in tr.css("td")]
            for tr in tree(r).css(f"table#{table} tbody tr")]


def title(r: httpx.Response) -> str:
    return tree(r).css_first("title").text(strip=True)


def token(r: httpx.Response, form: str) -> str:
    node = tree(r).css_first(f"form#{form} input[name=formtoken]")
    assert node is not None, r.text
    return node.attributes["value"] or ""


def new_case(c: httpx.Client, number: str, ref: str, kind: str = EB) -> httpx.Response:
    t = token(c.get(f"/arende/ny?pnr={number}&typ={kind}"), "nyttarende")
    return c.post("/arende/ny", data={"pnr": number, "arendetyp": kind, "extern_ref": ref,
                                      "formtoken": t})


def eb_case(c: httpx.Client, hh: Household, ref: str = "ES-EB-1") -> int:
    r = new_case(c, hh.applicant, ref)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def decide(c: httpx.Client, case_id: int, utfall: str, belopp: str, manad: str,
           motivering: str, check: str | None = "ok") -> httpx.Response:
    t = token(c.get(f"/arende/{case_id}/beslut"), "ebbeslut")
    data = {"formtoken": t, "utfall": utfall, "belopp": belopp, "manad": manad,
            "motivering": motivering}
    data["kontroll"] = kontroll_eb(t, utfall, belopp, manad, motivering) if check == "ok" \
        else (check or "")
    return c.post(f"/arende/{case_id}/beslut", data=data)


def pay(c: httpx.Client, case_id: int, belopp: str, manad: str, konto: str,
        check: str | None = "ok") -> httpx.Response:
    t = token(c.get(f"/arende/{case_id}/utbetalning"), "utbetalningsform")
    data = {"formtoken": t, "belopp": belopp, "manad": manad, "konto": konto}
    data["kontroll"] = kontroll_payment(t, belopp, manad, konto) if check == "ok" else (
        check or "")
    return c.post(f"/arende/{case_id}/utbetalning", data=data)


def test_household_page_shows_the_latest_application_on_record(
        client: httpx.Client, social: SocialWorld, world: World) -> None:
    hh = next(h for h in social.pools["change_since_previous"] if h.variant == "address")
    assert hh.record is not None
    r = client.get(f"/hushall?pnr={pnr.hyphenated(hh.applicant)}")
    assert r.status_code == 200 and title(r) == "Hushållsuppgifter"
    info = kv(r, "hushall")
    applicant = social.people[hh.applicant]
    assert info == {
        "Hushållsnummer": str(hh.number), "Sökande": applicant.name,
        "Personnummer": pnr.hyphenated(hh.applicant),
        "Adress": hh.record.address.one_line(),  # where they lived: they have moved since
        "Kommun": world.municipality_name(hh.record.address.municipality),
        "Senaste ansökan": "2026-11", "Hyra": str(hh.record.costs["rent"]),
        "Hushållsel": str(hh.record.costs["household_electricity"]),
        "Hemförsäkring": str(hh.record.costs["home_insurance"]),
        "Arbetsresor": str(hh.record.costs["work_travel"]),
        "Fackavgift": str(hh.record.costs["union_fee"]),
        "A-kasseavgift": str(hh.record.costs["a_kassa_fee"]),
        "Utbetalningskonto": hh.account,
    }
    assert hh.record.address != applicant.address
    members = tree(r).css("table#medlemmar tbody tr")
    assert [(m.css("td")[0].text(), m.css("td")[2].attributes["data-roll"]) for m in members] \
        == [(pnr.hyphenated(m.pnr), m.role) for m in hh.record.members]
    assert rows(r, "medlemmar")[0][2:4] == ["Sökande", applicant.birth_date.isoformat()]
    incomes = tree(r).css("table#inkomster tbody tr")
    assert sorted((i.css("td")[0].text(), i.css("td")[1].attributes["data-typ"],
                   int(i.css("td")[2].text())) for i in incomes) == sorted(
        (pnr.hyphenated(p), t, a) for p, t, a in hh.record.incomes)
    by_number = client.get(f"/hushall/{hh.number}")
    assert kv(by_number, "hushall") == info
    partner_or_child = hh.members[-1].pnr
    assert kv(client.get(f"/hushall?pnr={partner_or_child}"), "hushall") == info


def test_new_applicant_protected_household_and_no_match(
        client: httpx.Client, social: SocialWorld) -> None:
    first = social.pools["first_application"][0]
    r = client.get(f"/hushall?pnr={first.applicant}")
    assert tree(r).css_first("#ingen-tidigare-ansokan") is not None
    assert kv(r, "hushall")["Senaste ansökan"] == "" and kv(r, "hushall")["Hyra"] == ""
    assert rows(r, "inkomster") == [] and len(rows(r, "medlemmar")) == len(first.members)
    history = client.get(f"/hushall/{first.number}/historik")
    assert rows(history, "tidigare-beslut") == [] and "inga-beslut" in history.text
    protected = social.pools["protected_identity"][0]
    r = client.get(f"/hushall?pnr={protected.applicant}")
    assert tree(r).css_first("p#skyddad") is not None
    assert kv(r, "hushall")["Adress"] == "Skyddade personuppgifter"
    assert protected.address.street not in r.text
    missing = client.get("/hushall?pnr=195001019800")
    assert title(missing) == "Sök hushåll" and tree(missing).css_first("p.fel#ingen-traff")
    assert client.get("/hushall/99999").status_code == 404


def test_history_and_labour_market_plans(client: httpx.Client, social: SocialWorld) -> None:
    hh = next(h for h in social.households if any(d.utfall == "avslag" for d in h.history))
    r = client.get(f"/hushall/{hh.number}/historik")
    assert title(r) == "Beslutshistorik"
    assert rows(r, "tidigare-beslut") == [
        [d.month, d.date, "Beviljas" if d.utfall == "bifall" else "Avslås", str(d.amount),
         d.diarienummer, ""] for d in hh.history]
    utfall = [td.attributes["data-utfall"] for td in tree(r).css(
        "table#tidigare-beslut tbody td[data-utfall]")]
    assert "avslag" in utfall and utfall[-1] == "bifall"
    assert all(re.fullmatch(r"EB-\d{4}-\d{5}", d.diarienummer) for d in hh.history)
    ended = next(h for h in social.pools["no_labour_market_plan"] if h.variant == "ended")
    plans = rows(client.get(f"/hushall/{ended.number}/planering"), "planering")
    assert [pnr.hyphenated(ended.applicant), social.people[ended.applicant].name, "Avslutad",
            ended.plans[0].start, "2026-09-30"] in plans
    assert not any(p[0] == pnr.hyphenated(ended.applicant) and p[2] == "Aktiv" for p in plans)
    missing = next(h for h in social.pools["no_labour_market_plan"] if h.variant == "missing"
                   and len([m for m in h.members if m.role != "child"]) == 1)
    r = client.get(f"/hushall/{missing.number}/planering")
    assert title(r) == "Arbetsmarknadsplanering" and "ingen-planering" in r.text
    active = social.pools["grant_couple"][0]
    plans = rows(client.get(f"/hushall/{active.number}/planering"), "planering")
    assert {p[0] for p in plans if p[2] == "Aktiv"} == {
        pnr.hyphenated(m.pnr) for m in active.members if m.role != "child"}


def test_rent_caps_table(client: httpx.Client) -> None:
    r = client.get("/hyresnormer")
    assert title(r) == "Hyresnormer"
    table = rows(r, "hyresnormer")
    assert len(table) == 15
    assert table[0] == ["1", "0", str(RENT_CAPS[1, 0]), "2026-01-01"]
    assert ["3+", "4+", str(RENT_CAPS[3, 4]), "2026-01-01"] in table
    caps = [int(t[2]) for t in table if t[0] == "2"]
    assert caps == sorted(caps)


def test_eb_case_decision_payment_and_duplicates(
        client: httpx.Client, social: SocialWorld, fresh_standins) -> None:  # type: ignore[no-untyped-def]
    hh = social.pools["grant_single_parent"][3]
    case_id = eb_case(client, hh, "ES-EB-42")
    page = client.get(f"/arende/{case_id}")
    info = kv(page, "arendeinfo")
    assert info["Typ"] == EB and info["Status"] == "Registrerat" and info["Diarienummer"] == ""
    assert info["Hushållsnummer"] == str(hh.number)
    assert rows(page, "beslut") == [] and rows(page, "utbetalningar") == []
    listed = rows(client.get(f"/hushall/{hh.number}"), "arenden")
    assert listed == [[str(case_id), EB, "ES-EB-42", "Registrerat", ""]]

    refused = pay(client, case_id, "5000", "2026-12", hh.account)  # no grant yet
    assert refused.status_code == 400 and "beviljat" in refused.text
    text = "Du beviljas ekonomiskt bistånd.\r\nNormen är 12 000 kr."
    ok = decide(client, case_id, "bifall", "7 432", "2026-12", text)
    assert ok.status_code == 303 and ok.headers["location"] == f"/arende/{case_id}?sparat=1"
    again = decide(client, case_id, "bifall", "7432", "2026-12", "Samma beslut igen.")
    assert again.status_code == 303  # a duplicate is accepted, as in the real system
    page = client.get(f"/arende/{case_id}?sparat=1")
    decisions = rows(page, "beslut")
    assert [d[1] for d in decisions] == ["Beviljas", "Beviljas"]
    assert decisions[0][2] == text.replace("\r\n", "\n") and decisions[0][4] == "robot04"
    assert [d[5:] for d in decisions] == [["7432", "2026-12"]] * 2
    first, second = decisions[0][3], decisions[1][3]
    year = first[3:7]
    assert re.fullmatch(r"EB-\d{4}-\d{5}", first) and int(second[-5:]) == int(first[-5:]) + 1
    if year == "2026":  # the diarium continues after the households' earlier decisions
        assert int(first[-5:]) > social.diarie_counts[2026]
    assert kv(page, "arendeinfo")["Diarienummer"] == second

    assert pay(client, case_id, "7432", "2026-12", hh.account).status_code == 303
    assert pay(client, case_id, "7432", "2026-12", hh.account).status_code == 303  # duplicate
    page = client.get(f"/arende/{case_id}?utbetald=1")
    assert tree(page).css_first("p#utbetald") is not None
    assert kv(page, "arendeinfo")["Status"] == "Utbetalning beställd"
    payments = rows(page, "utbetalningar")
    assert [p[1:4] for p in payments] == [["7432", "2026-12", hh.account]] * 2
    assert [p[5] for p in payments] == ["robot04"] * 2
    assert re.fullmatch(r"UB-\d{4}-\d{5}", payments[0][4]) and payments[0][4] != payments[1][4]
    history = rows(client.get(f"/hushall/{hh.number}/historik"), "tidigare-beslut")
    assert history[-1][:1] == ["2026-12"] and history[-1][5] == str(case_id)

    ledger = fresh_standins.ledger("case_system")
    assert [e["kind"] for e in ledger] == ["case_created", "decision", "decision",
                                           "payment_order", "payment_order"]
    d = ledger[1]
    assert (d["arendetyp"], d["case_id"], d["extern_ref"], d["pnr"], d["utfall"], d["belopp"],
            d["manad"], d["diarienummer"], d["user"]) == (
        EB, case_id, "ES-EB-42", hh.applicant, "bifall", 7432, "2026-12", first, "robot04")
    p = ledger[3]
    assert (p["arendetyp"], p["case_id"], p["belopp"], p["manad"], p["konto"], p["pnr"]) == (
        EB, case_id, 7432, "2026-12", hh.account, hh.applicant)
    assert p["utbetalningsnummer"] == payments[0][4]


@pytest.mark.parametrize(("utfall", "belopp", "manad", "motivering", "check"), [
    ("bifall", "7432", "2026-12", "Motivering.", None),  # no kontroll
    ("bifall", "7432", "2026-12", "Motivering.", "00000000"),  # a guessed one
    ("", "7432", "2026-12", "Motivering.", "ok"),
    ("bifall", "0", "2026-12", "Motivering.", "ok"),
    ("bifall", "7432 kr", "2026-12", "Motivering.", "ok"),
    ("avslag", "100", "2026-12", "Motivering.", "ok"),
    ("bifall", "7432", "2026-13", "Motivering.", "ok"),
    ("bifall", "7432", "2026-12", "  ", "ok"),
])
def test_decision_form_refusals(client: httpx.Client, social: SocialWorld, fresh_standins,  # type: ignore[no-untyped-def]
                                utfall: str, belopp: str, manad: str, motivering: str,
                                check: str | None) -> None:
    case_id = eb_case(client, social.pools["grant_single"][5])
    r = decide(client, case_id, utfall, belopp, manad, motivering, check)
    assert r.status_code == 400 and tree(r).css_first("p.fel") is not None
    assert not [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]


def test_refusal_with_zero_and_payment_form_refusals(
        client: httpx.Client, social: SocialWorld, fresh_standins) -> None:  # type: ignore[no-untyped-def]
    hh = social.pools["income_exceeds_norm"][0]
    case_id = eb_case(client, hh)
    assert decide(client, case_id, "avslag", "", "2026-12", "Inkomsten överstiger normen."
                  ).status_code == 303
    assert pay(client, case_id, "100", "2026-12", hh.account).status_code == 400  # no grant
    assert decide(client, case_id, "bifall", "500", "2026-12", "Ändrat.").status_code == 303
    for belopp, manad, konto, check in [("100", "2026-12", hh.account, None),
                                        ("0", "2026-12", hh.account, "ok"),
                                        ("100", "12/2026", hh.account, "ok"),
                                        ("100", "2026-12", "123", "ok"),
                                        ("100", "2026-12", "1234 5678901", "ok")]:
        r = pay(client, case_id, belopp, manad, konto, check)
        assert r.status_code == 400 and tree(r).css_first("p.fel") is not None, konto
    assert [e["belopp"] for e in fresh_standins.ledger("case_system")
            if e["kind"] == "decision"] == [0, 500]
    assert not [e for e in fresh_standins.ledger("case_system") if e["kind"] == "payment_order"]
    # a payment token is single-use and tied to its case and session
    t = token(client.get(f"/arende/{case_id}/utbetalning"), "utbetalningsform")
    data = {"formtoken": t, "belopp": "500", "manad": "2026-12", "konto": hh.account,
            "kontroll": kontroll_payment(t, "500", "2026-12", hh.account)}
    assert client.post(f"/arende/{case_id}/utbetalning", data=data).status_code == 303
    assert client.post(f"/arende/{case_id}/utbetalning", data=data).status_code == 400


def test_case_creation_rules_and_skolskjuts_untouched(
        client: httpx.Client, social: SocialWorld, world: World, fresh_standins) -> None:  # type: ignore[no-untyped-def]
    form = client.get(f"/arende/ny?pnr={world.children[3].pnr}")
    selected = tree(form).css_first("select[name=arendetyp] option[selected]")
    assert selected.attributes["value"] == "skolskjuts"  # still the first, default option
    options = [o.attributes["value"] for o in tree(form).css("select[name=arendetyp] option")]
    assert options == ["skolskjuts", EB]
    child = next(m.pnr for h in social.households for m in h.members if m.role == "child")
    assert new_case(client, child, "ES-X").status_code == 400  # a child cannot apply
    assert new_case(client, world.guardians[0].pnr, "ES-X").status_code == 400  # no household
    assert new_case(client, social.households[0].applicant, "ES-X", "skolskjuts"
                    ).status_code == 400  # not a pupil
    samordning = social.pools["samordningsnummer"][0].applicant
    assert new_case(client, samordning, "ES-S").status_code == 303
    r = new_case(client, world.children[3].pnr, "ES-SK", "skolskjuts")
    skol = int(r.headers["location"].rsplit("/", 1)[1])
    assert tree(client.get(f"/arende/{skol}")).css_first("table#utbetalningar") is None
    assert client.get(f"/arende/{skol}/utbetalning").status_code == 400
    t = token(client.get(f"/arende/{skol}/beslut"), "beslutsform")
    client.post(f"/arende/{skol}/beslut", data={
        "formtoken": t, "utfall": "bifall", "motivering": "m", "kontroll": kontroll(
            t, "bifall", "m")})
    decision = next(e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision")
    assert decision["arendetyp"] == "skolskjuts" and "belopp" not in decision
    assert decision["diarienummer"].startswith("SKOL-")
