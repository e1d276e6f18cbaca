"""Ekonomiskt bistånd end to end over HTTP: a generated batch, judged only through the contract.

A robot that reads the e-service, the population register, the income register and the case
system exactly as docs/architecture.md describes must find, for every application, the one
situation the generator built it for: about a third clean grants, the rest for a caseworker.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from lxml import etree
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from standins import pnr
from tests.standins.eb_checks import Facts, conclude, malformed

GRANT_KINDS = {"grant_single", "grant_single_parent", "grant_couple", "grant_couple_children",
               "grant_pupil_19_20", "grant_other_adult", "grant_jobbstimulans",
               "grant_child_work_income"}
MALFORMED_KINDS = {"wrong_check_digit", "missing_field", "negative_amount",
                   "unknown_income_type", "bad_month", "bad_birth_date"}


def _kv(tree: HTMLParser, table: str) -> dict[str, str]:
    return {tr.css_first("th").text(strip=True): tr.css_first("td").text(strip=True)
            for tr in tree.css(f"table#{table} tr")}


def _rows(tree: HTMLParser, table: str) -> list[list[Any]]:
    return [tr.css("td") for tr in tree.css(f"table#{table} tbody tr")]


class Robot:
    """Reads what the contract offers; one case-system session."""

    def __init__(self, standins: Any) -> None:
        self.s = standins
        self.case = httpx.Client(base_url=standins.case_system_url, timeout=30)
        self.population = httpx.Client(base_url=standins.population_url, timeout=30)
        self.income = httpx.Client(base_url=standins.income_url, timeout=30)
        r = self.case.post("/login", data={"username": "robot01", "password": "robot01"})
        assert r.status_code == 303
        caps = HTMLParser(self.case.get("/hyresnormer").text)
        self.caps = {(c[0].text(strip=True), c[1].text(strip=True)): int(c[2].text(strip=True))
                     for c in _rows(caps, "hyresnormer")}

    def navet(self, number: str) -> dict[str, Any]:
        r = self.population.get(f"/navet/personpost/{number}")
        if r.status_code == 404:
            return {"found": False, "protected": False, "kommun": None}
        root = etree.fromstring(r.content)
        return {"found": True, "protected": root.findtext("SkyddadFolkbokforing") == "J",
                "kommun": root.findtext("Folkbokforing/KommunKod")}

    def facts(self, app: dict[str, Any]) -> Facts:
        members = [pnr.normalize(m["personnummer"]) for m in app["household"]]
        month = app["month"]
        r = self.income.post("/ssbtek/v1/utbetalningar", json={
            "personnummer": members, "from": f"{month[:4]}-01", "to": month})
        assert r.status_code == 200, r.text
        payments = {p["personnummer"]: p["payments"] for p in r.json()["persons"]}
        home = HTMLParser(self.case.get("/hushall", params={"pnr": members[0]}).text)
        info = _kv(home, "hushall")
        number = info["Hushållsnummer"]
        history = HTMLParser(self.case.get(f"/hushall/{number}/historik").text)
        plans = HTMLParser(self.case.get(f"/hushall/{number}/planering").text)
        address = info["Adress"]
        street, _, rest = address.partition(", ")
        return Facts(
            navet={m: self.navet(m) for m in members},
            payments=payments,
            record_month=info["Senaste ansökan"] or None,
            record_members={(pnr.normalize(c[0].text(strip=True)), c[2].attributes["data-roll"])
                            for c in _rows(home, "medlemmar")},
            record_address=None if home.css_first("#skyddad") else f"{street}, {rest[:5]}",
            record_rent=int(info["Hyra"]) if info["Hyra"] else None,
            record_incomes={(pnr.normalize(c[0].text(strip=True)), c[1].attributes["data-typ"])
                            for c in _rows(home, "inkomster")},
            plans=[(pnr.normalize(c[0].text(strip=True)), c[2].text(strip=True))
                   for c in _rows(plans, "planering")],
            history=[(c[0].text(strip=True), c[2].attributes["data-utfall"])
                     for c in _rows(history, "tidigare-beslut")],
            caps=self.caps,
        )


@pytest.fixture(scope="module")
def batch(standins) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    standins.reset()
    result = standins.generate(300, seed=2026, type="ekonomiskt_bistand")
    apps = httpx.get(f"{standins.eservice_url}/api/applications",
                     params={"type": "ekonomiskt_bistand", "limit": 1000}).json()["items"]
    robot = Robot(standins)
    try:
        outcomes = [conclude(a, None if malformed(a) else robot.facts(a)) for a in apps]
    finally:
        for client in (robot.case, robot.population, robot.income):
            client.close()
    return {"result": result, "apps": apps, "outcomes": outcomes}


def test_generate_answers_the_mix_and_lists_the_applications(batch: dict[str, Any]) -> None:
    result, apps = batch["result"], batch["apps"]
    assert result["created"] == 300 and result["type"] == "ekonomiskt_bistand"
    assert [a["id"] for a in apps] == result["ids"]
    assert result["mix"] == {"grant": 103, "refer": 162, "refusal": 20, "malformed": 15}
    assert all(a["type"] == "ekonomiskt_bistand" and a["status"] == "submitted" for a in apps)


def test_a_robot_reading_the_contract_finds_what_each_application_was_built_for(
        batch: dict[str, Any]) -> None:
    found = Counter(outcome for outcome, _ in batch["outcomes"])
    expected: Counter[str] = Counter()
    for kind, n in batch["result"]["kinds"].items():
        expected[outcome_of(kind)] += n
    assert found == expected
    assert 0.30 <= found["grant"] / 300 <= 0.37  # about a third decided automatically
    grants = [v for o, v in batch["outcomes"] if o == "grant"]
    assert grants and min(grants) >= 1000 and len(set(grants)) > 50
    refusals = [v for o, v in batch["outcomes"] if o == "refusal"]
    assert refusals and max(refusals) <= -1000


def outcome_of(kind: str) -> str:
    if kind in GRANT_KINDS:
        return "grant"
    if kind == "income_exceeds_norm":
        return "refusal"
    return "malformed" if kind in MALFORMED_KINDS else kind


def test_applications_have_the_contract_shape(batch: dict[str, Any]) -> None:
    clean = [a for a in batch["apps"] if not malformed(a)]
    assert len(clean) == 285
    for a in clean:
        assert set(a) >= {"id", "type", "submitted_at", "status", "month", "first_application",
                          "applicant", "address", "household", "incomes", "costs",
                          "special_expenses", "assets", "medical_certificate_attached",
                          "payout_account", "free_text"}
        assert a["household"][0]["role"] == "applicant"
        assert a["household"][0]["personnummer"] == a["applicant"]["personnummer"]
        assert all(set(m) == {"role", "personnummer", "name", "birth_date", "in_school"}
                   for m in a["household"])
    types = Counter(i["type"] for a in clean for i in a["incomes"])
    assert set(types) >= {"salary_net", "a_kassa", "aktivitetsstod", "etableringsersattning",
                          "sjukpenning", "bostadsbidrag", "barnbidrag", "flerbarnstillagg",
                          "underhallsstod"}  # every type: test_standins_income
    roles = Counter(m["role"] for a in clean for m in a["household"])
    assert roles["partner"] and roles["child"] and roles["other_adult"]
    pupils = [m for a in clean for m in a["household"]
              if m["role"] == "child" and m["birth_date"] < "2007-12-01"]
    assert pupils and all(m["in_school"] for m in pupils)
    assert any(a["special_expenses"] for a in clean) and any(a["assets"] for a in clean)


def test_type_parameter_is_validated_and_skolskjuts_stays_the_default(fresh_standins) -> None:  # type: ignore[no-untyped-def]
    url = f"{fresh_standins.eservice_url}/_test/generate"
    assert httpx.post(url, json={"count": 3, "type": "no_such_type"}).status_code == 422
    default = httpx.post(url, json={"count": 5, "seed": 1}).json()
    assert default["type"] == "skolskjuts" and set(default["mix"]) == {
        "clean", "alternating", "refer", "malformed"}
    eb = fresh_standins.generate(10, seed=1, type="ekonomiskt_bistand")
    listed = httpx.get(f"{fresh_standins.eservice_url}/api/applications",
                       params={"type": "ekonomiskt_bistand"}).json()
    assert listed["total"] == 10 and [a["id"] for a in listed["items"]] == eb["ids"]
    ledger = [e for e in fresh_standins.ledger("eservice") if e["kind"] == "application_submitted"]
    assert [e["type"] for e in ledger] == ["skolskjuts"] * 5 + ["ekonomiskt_bistand"] * 10
    assert all(e["applicant_personnummer"] for e in ledger)
