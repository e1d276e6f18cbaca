"""Komvux's stand-ins (a plugin of ``standins``) and the plugin seam they come through.

The plugin is found the way ``standins serve`` finds any: the entry point ``komvux`` in the
group ``caserobot.standins``. Until the distribution declares it (and is installed), the
process gets the package's source and a ``.dist-info`` folder declaring that entry point on
its path, as an installed distribution would have.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from standins import knobs, plugins, pnr
from standins.options import ServeOptions
from standins.server import ports, tunings
from standins.sessions import kontroll
from standins.social import build_social
from standins.world import World, build_world
from tests.fixtures.standins import Standins, start_standins, stop_standins
from tests.utils.komvux_oracle import application_outcome

KOMVUX_SRC = Path(__file__).resolve().parents[2] / "casetypes" / "komvux" / "src"
ENTRY_POINT = "komvux = caserobot_komvux.standins:PLUGIN"
if importlib.util.find_spec("caserobot_komvux") is None:  # not installed yet: its source
    sys.path.insert(0, str(KOMVUX_SRC))

from caserobot_komvux.standins import PLUGIN  # noqa: E402
from caserobot_komvux.standins.catalogue import COURSES, build_catalogue  # noqa: E402
from caserobot_komvux.standins.generator import generate  # noqa: E402
from caserobot_komvux.standins.mix import CATEGORIES, OUTCOME  # noqa: E402
from caserobot_komvux.standins.people import KomvuxWorld, build_komvux  # noqa: E402
from caserobot_komvux.standins.records import delkurser  # noqa: E402

SR = "school_records"


@pytest.fixture(scope="module")
def komvux(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standins]:
    """``standins serve`` with the Komvux plugin, each system on a free port."""
    path: tuple[str, ...] = (str(KOMVUX_SRC),)
    if not any(e.name == "komvux" for e in entry_points(group=plugins.GROUP)):
        info = tmp_path_factory.mktemp("plugin") / "caserobot_komvux_standins_dev-0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: "
                                       "caserobot-komvux-standins-dev\nVersion: 0\n")
        (info / "entry_points.txt").write_text(f"[{plugins.GROUP}]\n{ENTRY_POINT}\n")
        path = (str(info.parent), *path)
    handle = start_standins("--set", f"{SR}.seats=3", pythonpath=path)
    try:
        yield handle
    finally:
        handle.http.close()
        stop_standins(handle.process)


@pytest.fixture
def fresh(komvux: Standins) -> Iterator[Standins]:
    komvux.reset()
    yield komvux
    komvux.reset()


@pytest.fixture(scope="module")
def kw() -> KomvuxWorld:
    return build_komvux(build_world(1))


def tree(response: httpx.Response) -> HTMLParser:
    return HTMLParser(response.text)


def has(response: httpx.Response, selector: str) -> bool:
    return tree(response).css_first(selector) is not None


def records_client(standins: Standins, user: str = "robot01") -> tuple[httpx.Client,
                                                                          httpx.Response]:
    client = httpx.Client(base_url=standins.url(SR), timeout=10)
    r = client.post("/login", data={"anvandarnamn": user, "losenord": user})
    return client, r


def applicant(kw: KomvuxWorld, kind: str, **want: Any) -> Any:
    return next(a for a in kw.pools[kind] if all(getattr(a, k) == v for k, v in want.items()))


# ---- the seam ------------------------------------------------------------------------------

def test_plugin_system_is_served_like_the_built_in_ones(fresh: Standins) -> None:
    assert fresh.systems == ("eservice", "case_system", "population", "route", "income", SR)
    health = fresh.http.get(f"{fresh.url(SR)}/_test/health").json()
    assert health == {"status": "ok", "system": SR, "requests": 0}
    config = fresh.config(SR)
    assert config["seats"] == 3 and config["session_serial"] == "on"  # --set school_records.…
    assert config["fault_seed"] == 7 and "layout_variant" not in config  # world seed 1 + 6
    assert fresh.config("eservice").get("seats") is None
    assert fresh.ledger(SR) == []


def test_faults_maintenance_and_outage_reach_the_plugin_system(fresh: Standins) -> None:
    base = fresh.url(SR)
    fresh.configure(SR, fail_rate=1)
    r = httpx.get(f"{base}/login")
    assert r.status_code == 503 and has(r, "p.fel#otillganglig")
    assert fresh.faults(SR)["error"] == 1
    fresh.configure(SR, fail_rate=0, maintenance_s=60)
    r = httpx.get(f"{base}/login")
    assert r.status_code == 503 and has(r, "p.fel#underhall") and "retry-after" in r.headers
    fresh.configure(SR, maintenance_s=0)
    fresh.outage(SR, 1)
    fresh.wait_up(SR)
    assert fresh.stats(SR)["faults"]["outage"] == 1


def test_plugins_are_checked_and_named() -> None:
    server = PLUGIN.servers[SR]
    with pytest.raises(plugins.PluginError, match="'other'.*server 'school_records'"):
        plugins.PluginSet((PLUGIN, replace(PLUGIN, name="other", generator=None,
                                           case_types=())))
    with pytest.raises(plugins.PluginError, match="server 'case_system' is built in"):
        plugins.PluginSet((plugins.StandInPlugin("x", servers={"case_system": server}),))
    bad = EntryPoint("komvux", "caserobot_komvux.standins:URVAL", plugins.GROUP)
    with pytest.raises(plugins.PluginError, match="not a standins.plugins.StandInPlugin"):
        plugins.load(bad)
    with pytest.raises(plugins.PluginError, match="cannot be imported"):
        plugins.load(EntryPoint("komvux", "no_such_module:PLUGIN", plugins.GROUP))
    with pytest.raises(plugins.PluginError, match="not like its entry point"):
        plugins.load(EntryPoint("other", ENTRY_POINT.split(" = ")[1], plugins.GROUP))
    assert plugins.load(EntryPoint("komvux", ENTRY_POINT.split(" = ")[1], plugins.GROUP)) \
        is PLUGIN


def test_serve_options_reach_plugin_systems() -> None:
    found = plugins.PluginSet((PLUGIN,))
    assert "seats" in knobs.names_for(SR) and "layout_variant" not in knobs.names_for(SR)
    options = ServeOptions(seats=2, ui_latency_ms=40, api_latency_ms=5,
                           settings=[f"{SR}.session_expiry_rate=0.5"],
                           ports=["*=0", f"{SR}=9999"])
    tuning = tunings(options, found.servers)
    assert (tuning[SR].seats, tuning[SR].latency_ms, tuning[SR].session_expiry_rate) == (
        2, 40, 0.5)
    assert tuning["population"].latency_ms == 5
    assert ports(options, found.servers) == {**dict.fromkeys(plugins.BUILT_IN_SYSTEMS, 0),
                                             SR: 9999}
    assert ports(ServeOptions(), found.servers)[SR] == 8706
    with pytest.raises(knobs.KnobError, match="--port"):
        ports(ServeOptions(ports=["nowhere=1"]), found.servers)


# ---- school records --------------------------------------------------------------------------

def test_login_seats_and_expiry(fresh: Standins) -> None:
    clients = [records_client(fresh, f"robot0{i}") for i in range(1, 4)]
    assert all(r.status_code == 303 and r.headers["location"] == "/sok" for _, r in clients)
    assert "VUXREG_SESSION" in clients[0][1].cookies
    late, r = records_client(fresh, "robot09")
    assert r.status_code == 200 and has(r, "p.fel#ingen-licens")
    assert "Max antal användare" in tree(r).css_first("title").text()
    clients[0][0].get("/logout")
    assert records_client(fresh, "robot09")[1].status_code == 303  # the seat is free again
    bad = httpx.post(f"{fresh.url(SR)}/login", data={"anvandarnamn": "robot10",
                                                      "losenord": "fel"})
    assert bad.status_code == 200 and has(bad, "p.fel#inloggning-fel")
    anonymous = httpx.get(f"{fresh.url(SR)}/sok")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"
    fresh.http.post(f"{fresh.url(SR)}/_test/expire-sessions").raise_for_status()
    r = clients[1][0].get("/sok")
    assert r.status_code == 303 and r.headers["location"] == "/login?utgangen=1"
    for client, _ in [*clients, (late, None)]:
        client.close()


def test_one_request_per_session_at_a_time(fresh: Standins) -> None:
    fresh.configure(SR, latency_ms=400)
    client, _ = records_client(fresh)
    started = time.monotonic()
    threads = [threading.Thread(target=client.get, args=("/sok",)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - started >= 0.78  # 2 × 400 ms, one after the other
    client.close()


def test_search_and_person_page(fresh: Standins, kw: KomvuxWorld) -> None:
    client, _ = records_client(fresh)
    someone = applicant(kw, "gym_has_examen")
    r = client.get(f"/sok?pnr={pnr.hyphenated(someone.person.pnr)}")
    assert r.status_code == 303 and r.headers["location"] == f"/person/{someone.person.pnr}"
    page = tree(client.get(r.headers["location"]))
    assert page.css_first("td#personnummer").text() == pnr.hyphenated(someone.person.pnr)
    rows = page.css("table#program tbody tr")
    assert [row.css_first("td.skolform").text() for row in rows] == [
        p.school_form for p in someone.records.programmes]
    diplomas = {row.css_first("td.examen").attributes["data-examen"] for row in rows}
    assert diplomas & {"hogskoleforberedande_examen", "yrkesexamen"}
    nobody = applicant(kw, "grund_no_records")
    assert has(client.get(f"/sok?pnr={nobody.person.pnr}"), "p.fel#ingen-traff")
    assert has(client.get("/sok?pnr=19800101-1234"), "p.fel#ogiltigt-pnr")
    assert client.get(f"/person/{nobody.person.pnr}").status_code == 404
    protected = applicant(kw, "protected_identity")
    if protected.in_register:
        assert has(client.get(f"/person/{protected.person.pnr}"), "p#skyddade-uppgifter")
    client.close()


def test_grade_list_pages_through_every_grade(fresh: Standins, kw: KomvuxWorld) -> None:
    someone = max(kw.pools["gym_has_examen"], key=lambda a: len(a.records.grades))
    grades = someone.records.grades
    assert len(grades) > 20
    client, _ = records_client(fresh)
    seen: list[tuple[str, str, str, str, str]] = []
    url: str | None = f"/person/{someone.person.pnr}/betyg"
    pages = 0
    while url:
        page = tree(client.get(url))
        pages += 1
        rows = page.css("table#betyg tbody tr.betygsrad")
        assert len(rows) <= 10
        seen += [(r.css_first("td.kurskod").text(), r.css_first("td.betyg").text(),
                  r.css_first("td.datum").text(), r.css_first("td.niva").attributes["data-niva"]
                  or "", r.css_first("td.poang").text()) for r in rows]
        assert page.css_first("span#sidinfo").text() == f"Sida {pages} av {-(-len(grades) // 10)}"
        link = page.css_first("a#nasta-sida")
        url = link.attributes["href"] if link else None
    assert seen == [(g.code, g.grade, g.date, g.level, "" if g.points is None else str(g.points))
                    for g in grades]
    last = f"/person/{someone.person.pnr}/betyg?sida={pages + 1}"
    assert client.get(last).status_code == 404
    client.close()


def test_catalogue_pages_and_json(fresh: Standins) -> None:
    catalogue = fresh.http.get(f"{fresh.url(SR)}/_test/catalogue").json()
    assert 25 <= len(catalogue["providers"]) <= 35
    assert {c["code"] for c in catalogue["courses"]} == set(COURSES)
    client, _ = records_client(fresh)
    rows = tree(client.get("/kurskatalog?kurskod=MATMAT01a")).css("table#kurstillfallen tbody tr")
    assert len(rows) == sum(o["course_code"] == "MATMAT01a" for o in catalogue["offerings"]) >= 2
    assert len(tree(client.get("/anordnare")).css("table#anordnare tbody tr")) == len(
        catalogue["providers"])
    client.close()


# ---- population register, e-service, case system -----------------------------------------

def personpost(standins: Standins, number: str) -> etree._Element:
    r = httpx.get(f"{standins.population_url}/navet/personpost/{number}", timeout=10)
    assert r.status_code == 200, r.text
    return etree.fromstring(r.content)


def test_population_register_answers_for_applicants(fresh: Standins, kw: KomvuxWorld) -> None:
    home = personpost(fresh, applicant(kw, "gym_no_examen").person.pnr)
    assert home.findtext("Folkbokforing/KommunKod") == "0182"
    assert home.find("Avregistrering") is None
    elsewhere = applicant(kw, "other_municipality")
    root = personpost(fresh, elsewhere.person.pnr)
    assert root.findtext("Folkbokforing/KommunKod") == elsewhere.person.address.municipality
    assert root.findtext("Folkbokforing/KommunKod") in ("0180", "0120", "0138")
    protected = personpost(fresh, applicant(kw, "protected_identity").person.pnr)
    assert protected.findtext("SkyddadFolkbokforing") == "J"
    assert not protected.findtext("Adresser/Folkbokforingsadress/Utdelningsadress2")
    gone = applicant(kw, "not_resident")
    root = personpost(fresh, gone.person.pnr)
    assert root.findtext("Avregistrering/AvregistreringsorsakKod") == "UV"
    assert root.findtext("Avregistrering/Avregistreringsdatum") == \
        gone.deregistered_on.strftime("%Y%m%d")
    assert not root.findtext("Folkbokforing/KommunKod")


def test_generated_applications_choose_from_the_catalogue(fresh: Standins,
                                                          kw: KomvuxWorld) -> None:
    result = fresh.generate(200, seed=5, type="komvux")
    assert result["created"] == 200 and sum(result["mix"].values()) == 200
    assert set(result["mix"]) == set(CATEGORIES) and result["mix"]["malformed"] == 10
    listed = fresh.http.get(f"{fresh.eservice_url}/api/applications",
                            params={"type": "komvux", "limit": 1000}).json()
    assert listed["total"] == 200
    catalogue = kw.catalogue
    expected = generate(build_world(1), 200, 5)  # the same seed in this process
    for app, (category, _, made) in zip(listed["items"], expected, strict=True):
        assert {k: app[k] for k in made} == made  # same seed, same applications
        if category == "malformed":
            continue
        assert app["type"] == "komvux" and 1 <= len(app["course_choices"]) <= 3
        assert pnr.is_test_number(app["applicant"]["personnummer"])
        for choice in app["course_choices"]:
            offering = catalogue.find(choice["course_code"], choice["provider_code"],
                                      choice["start_date"])
            assert offering is not None and offering.as_choice() == {
                k: v for k, v in choice.items() if k != "priority"}
    submitted = [e for e in fresh.ledger("eservice") if e["kind"] == "application_submitted"]
    assert {e["applicant_personnummer"] for e in submitted} >= {
        a["applicant"]["personnummer"] for a in listed["items"] if "applicant" in a
        and "personnummer" in a["applicant"]}


def case_form_token(response: httpx.Response) -> str:
    found = re.search(r'name="formtoken" value="(\w+)"', response.text)
    assert found, response.text
    return found.group(1)


def test_case_system_accepts_a_komvux_case_and_an_urval_decision(
        fresh: Standins, kw: KomvuxWorld, world: World) -> None:
    someone = applicant(kw, "gym_has_examen")
    client = httpx.Client(base_url=fresh.case_system_url, timeout=10)
    client.post("/login", data={"username": "robot01", "password": "robot01"})
    form = client.get(f"/arende/ny?pnr={someone.person.pnr}")
    assert tree(form).css_first("select#arendetyp option[value=komvux]") is not None
    child = next(c for c in world.children if not c.protected)
    form_child = client.get(f"/arende/ny?pnr={child.pnr}")  # today's form, unchanged
    assert tree(form_child).css_first("option[value=komvux]") is None
    refused = client.post("/arende/ny", data={"pnr": child.pnr, "arendetyp": "komvux",
                                              "extern_ref": "ES-K0",
                                              "formtoken": case_form_token(form_child)})
    assert refused.status_code == 400 and has(refused, "p.fel")
    r = client.post("/arende/ny", data={"pnr": someone.person.pnr, "arendetyp": "komvux",
                                        "extern_ref": "ES-K1",
                                        "formtoken": case_form_token(form)})
    assert r.status_code == 303, r.text
    case_id = int(r.headers["location"].rsplit("/", 1)[1])
    decision = client.get(f"/arende/{case_id}/beslut")
    options = {o.attributes["value"]: o.text() for o in tree(decision).css("select#utfall option")}
    assert options["urval"] == "Behörig – urval" and {"bifall", "avslag"} <= set(options)
    token, text = case_form_token(decision), "Behörig. Kursen ger ingen ytterligare behörighet."
    r = client.post(f"/arende/{case_id}/beslut", data={
        "formtoken": token, "utfall": "urval", "motivering": text,
        "kontroll": kontroll(token, "urval", text)})
    assert r.status_code == 303, r.text
    page = tree(client.get(f"/arende/{case_id}"))
    cell = page.css_first("table#beslut td[data-utfall]")
    assert cell.attributes["data-utfall"] == "urval" and cell.text() == "Behörig – urval"
    entry = [e for e in fresh.ledger("case_system") if e["kind"] == "decision"][-1]
    assert (entry["arendetyp"], entry["utfall"], entry["pnr"], entry["extern_ref"]) == (
        "komvux", "urval", someone.person.pnr, "ES-K1")
    assert re.fullmatch(r"KVX-\d{4}-\d{5}", entry["diarienummer"])
    client.close()


# ---- the synthetic data ----------------------------------------------------------------------

def test_applicants_are_adults_with_unique_test_personnummer(kw: KomvuxWorld) -> None:
    from caserobot.personnummer import is_test_number  # the platform's own validator agrees

    world = kw.world
    taken = set(world.people) | set(build_social(world).people)
    people = [a.person for a in kw.applicants.values()]
    assert len(people) == len({p.pnr for p in people}) >= 1500
    assert not taken & {p.pnr for p in people}
    for p in people:
        assert is_test_number(p.pnr) and 1955 <= p.birth_date.year <= 2008, p.pnr
    where = Counter(a.person.address.municipality if a.resident else "-"
                    for a in kw.applicants.values())
    assert where["0182"] > 0.8 * len(people) and where["-"] > 0
    assert 0 < sum(p.protected for p in people) < 0.1 * len(people)
    forms = Counter(a.records.examen for a in kw.applicants.values() if a.in_register)
    assert forms[True] and forms[False] and not all(a.in_register for a in kw.applicants.values())


def test_every_clean_application_is_built_for_its_outcome(kw: KomvuxWorld) -> None:
    batch = generate(kw.world, 600, 11)
    assert Counter(c for c, _, _ in batch)["malformed"] == 30
    for category, kind, app in batch:
        if category != "malformed":
            assert application_outcome(app, kw) == OUTCOME[category], (kind, app)
    for category, kind, app in batch:
        if category == "malformed":
            assert malformed(app, kw), (kind, app)


def malformed(app: dict[str, Any], kw: KomvuxWorld) -> bool:
    number = app.get("applicant", {}).get("personnummer")
    choices = app.get("course_choices") or []
    if not number or not pnr.is_valid(number) or not choices:
        return True
    first = choices[0]
    return kw.catalogue.find(first["course_code"], first["provider_code"],
                             first["start_date"]) is None


def test_same_seed_same_data() -> None:
    world = build_world(1)
    assert build_catalogue.__wrapped__(1).as_json() == build_catalogue(1).as_json()
    assert build_catalogue.__wrapped__(2).as_json() != build_catalogue(1).as_json()
    a, b = build_komvux.__wrapped__(world), build_komvux(world)
    assert [(n, x.records, x.kind) for n, x in a.applicants.items()] == [
        (n, x.records, x.kind) for n, x in b.applicants.items()]
    assert generate(world, 300, 4) == generate(world, 300, 4) != generate(world, 300, 5)
    assert delkurser("MAT") == ["GRNMAT1", "GRNMAT2", "GRNMAT3", "GRNMAT4"]
