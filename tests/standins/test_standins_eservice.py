"""E-service intake stand-in: the contract's routes and the synthetic application mix."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import httpx
import pytest

from standins import pnr
from standins.generator import threshold_m
from standins.world import World


def _app(**overrides: Any) -> dict[str, Any]:
    body = {
        "type": "skolskjuts",
        "applicant": {"personnummer": "19800101-9803", "name": "Anna Test", "email": "a@x.se"},
        "child": {"personnummer": "20150101-9808", "name": "Elsa Test"},
        "school": {"name": "Sickla skola", "unit_code": "SK0001"},
        "grade": "3",
        "addresses": [{"street": "Testvägen 12", "postal_code": "13140", "city": "Nacka"}],
    }
    return body | overrides


def test_submit_read_list_and_receive(fresh_standins) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=fresh_standins.eservice_url, timeout=10) as c:
        created = [c.post("/api/applications", json=_app()) for _ in range(3)]
        assert [r.status_code for r in created] == [201] * 3
        ids = [r.json()["id"] for r in created]
        assert all(re.fullmatch(r"ES-\d{12}-\d{5}", i) for i in ids) and len(set(ids)) == 3
        first = c.get(f"/api/applications/{ids[0]}").json()
        assert first["status"] == "submitted" and first["type"] == "skolskjuts"
        assert first["child"]["personnummer"] == "20150101-9808" and first["submitted_at"]

        page = c.get("/api/applications", params={"status": "submitted", "type": "skolskjuts",
                                                  "limit": 2, "offset": 1}).json()
        assert page["total"] == 3 and [a["id"] for a in page["items"]] == ids[1:]

        assert c.post(f"/api/applications/{ids[0]}/received").json()["status"] == "received"
        assert c.post(f"/api/applications/{ids[0]}/received").status_code == 200  # idempotent
        submitted = c.get("/api/applications", params={"status": "submitted"}).json()
        assert submitted["total"] == 2
        assert c.get("/api/applications", params={"type": "komvux"}).json()["total"] == 0
        assert c.get("/api/applications/ES-999999").status_code == 404
        assert c.post("/api/applications/ES-999999/received").status_code == 404
        assert c.post("/api/applications", content=b"[1, 2]").status_code == 422

    ledger = fresh_standins.ledger("eservice")
    assert [e["kind"] for e in ledger] == ["application_submitted"] * 3 + [
        "application_received"] * 2
    assert [e["first"] for e in ledger[3:]] == [True, False]
    assert all(e["application_id"] == ids[0] for e in ledger[3:])
    assert [e["seq"] for e in ledger] == sorted(e["seq"] for e in ledger)


def test_reset_clears_data_but_never_reuses_ids(fresh_standins) -> None:  # type: ignore[no-untyped-def]
    url = fresh_standins.eservice_url
    before = httpx.post(f"{url}/api/applications", json=_app()).json()["id"]
    fresh_standins.reset()
    assert httpx.get(f"{url}/api/applications").json()["total"] == 0
    assert fresh_standins.ledger("eservice") == []
    after = httpx.post(f"{url}/api/applications", json=_app()).json()["id"]
    assert after > before


def classify(app: dict[str, Any], world: World) -> str:
    """What a correct robot must do: malformed, refer, grant or deny (Nacka's rules)."""
    child, school, grade = app.get("child"), app.get("school") or {}, app.get("grade")
    if not child or not grade or not app.get("addresses"):
        return "malformed"
    if not (pnr.is_valid(child["personnummer"]) and pnr.is_valid(app["applicant"]["personnummer"])):
        return "malformed"
    if school.get("unit_code") not in world.schools:
        return "malformed"
    declared = app.get("declared_distance_m")
    if declared is not None and not 0 <= declared <= 100_000:
        return "malformed"
    homes = [world.find_address(f"{a['street']}, {a['postal_code']}") for a in app["addresses"]]
    if None in homes:
        return "malformed"
    person = world.people[pnr.normalize(child["personnummer"])]
    flags = ("medical_certificate_attached", "traffic_danger_claimed", "taxi_requested")
    if any(app[f] for f in flags) or person.protected or person.secrecy or grade == "F":
        return "refer"
    assert person.placement is not None and person.grade is not None
    placed = world.schools[person.placement.unit_code]
    assert placed.unit_code == school["unit_code"] and person.address == homes[0]
    if placed.municipality != "0182":
        return "deny"
    if not (person.placement.nearest_municipal or person.placement.applied_nearest_refused):
        return "deny"
    counted = [h for h in homes if h and h.municipality == "0182"]
    limit = threshold_m(person.grade)
    far = any(world.walking_distance(h, placed.address) > limit for h in counted)
    return "grant" if far else "deny"


def test_generate_gives_the_promised_mix(fresh_standins, world: World) -> None:  # type: ignore[no-untyped-def]
    result = fresh_standins.generate(400, seed=11)
    assert result["created"] == 400 and len(result["ids"]) == 400
    apps = httpx.get(f"{fresh_standins.eservice_url}/api/applications",
                     params={"limit": 1000}).json()["items"]
    assert [a["id"] for a in apps] == result["ids"]
    outcome = Counter(classify(a, world) for a in apps)
    assert outcome["malformed"] == 20 == result["mix"]["malformed"]
    assert 0.28 <= outcome["refer"] / 400 <= 0.32
    decidable = outcome["grant"] + outcome["deny"]
    assert 0.60 <= decidable / 400 <= 0.70
    assert outcome["grant"] >= 60 and outcome["deny"] >= 60
    alternating = [a for a in apps if a.get("alternating_residence")]
    assert 20 <= len(alternating) <= 40
    assert all(len(a["addresses"]) == 2 for a in alternating if a.get("addresses"))

    near = 0
    for a in apps:
        if classify(a, world) in ("grant", "deny") and not a["alternating_residence"]:
            child = world.people[pnr.normalize(a["child"]["personnummer"])]
            assert child.grade is not None
            near += abs(world.school_distance(child) - threshold_m(child.grade)) <= 300
    assert near >= 40  # many cases sit right at a threshold
    schools = {world.schools[a["school"]["unit_code"]].municipality for a in apps
               if a.get("school", {}).get("unit_code") in world.schools}
    assert len(schools) > 1  # some chose a school in another municipality
    assert sum(a["grade"] == "F" for a in apps if "grade" in a) >= 20
    for a in apps:
        assert "_expected" not in a and set(a) >= {"id", "type", "submitted_at", "status"}


def test_generate_is_deterministic_and_flags_malformed_kinds(fresh_standins) -> None:  # type: ignore[no-untyped-def]
    def batch(seed: int, share: float) -> list[dict[str, Any]]:
        fresh_standins.reset()
        fresh_standins.generate(100, seed=seed, malformed_share=share)
        items = httpx.get(f"{fresh_standins.eservice_url}/api/applications",
                          params={"limit": 1000}).json()["items"]
        return [{k: v for k, v in a.items() if k != "id"} for a in items]

    assert batch(3, 0.05) == batch(3, 0.05)
    assert batch(3, 0.05) != batch(4, 0.05)
    result = fresh_standins.generate(100, seed=5, malformed_share=0.25)
    assert result["mix"]["malformed"] == 25
    assert {k for k, n in result["kinds"].items() if n} >= {
        "wrong_check_digit", "missing_field", "unknown_school", "absurd_distance",
        "unknown_address"}
    assert fresh_standins.generate(50, seed=5, malformed_share=0)["mix"]["malformed"] == 0


@pytest.mark.parametrize("body", [{"count": -1}, {"count": "many"}, {"count": 5,
                                                                     "malformed_share": 2},
                                  {"count": 2, "submitted_from": "yesterday"},
                                  {"count": 2, "submitted_from": "2026-11-23T08:00:00"}])
def test_generate_rejects_nonsense(fresh_standins, body: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    r = httpx.post(f"{fresh_standins.eservice_url}/_test/generate", json=body)
    assert r.status_code == 422


@pytest.mark.parametrize("kind", ["skolskjuts", "ekonomiskt_bistand"])
def test_generate_submits_from_the_given_time(fresh_standins, kind: str) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    start = "2026-11-23T08:00:00+01:00"
    ids = fresh_standins.generate(5, seed=2, type=kind, submitted_from=start)["ids"]
    times = [datetime.fromisoformat(httpx.get(f"{fresh_standins.eservice_url}/api/applications/{i}")
                                    .json()["submitted_at"]) for i in ids]
    assert times == sorted(times) and times[0] > datetime.fromisoformat(start)
    assert (times[-1] - times[0]).days == 0
