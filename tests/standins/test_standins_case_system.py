"""Case system stand-in over plain HTTP: login, seats, expiry, pages, forms, refusals."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from standins.sessions import kontroll
from standins.world import Person, World

Login = Callable[..., tuple[httpx.Client, httpx.Response]]


@pytest.fixture
def login(fresh_standins) -> Iterator[Login]:  # type: ignore[no-untyped-def]
    clients: list[httpx.Client] = []

    def _login(user: str = "robot01", password: str | None = None) -> tuple[
            httpx.Client, httpx.Response]:
        client = httpx.Client(base_url=fresh_standins.case_system_url, timeout=10)
        clients.append(client)
        response = client.post("/login", data={"username": user,
                                               "password": user if password is None else password})
        return client, response

    yield _login
    for client in clients:
        client.close()


def has(response: httpx.Response, selector: str) -> bool:
    return HTMLParser(response.text).css_first(selector) is not None


def title(response: httpx.Response) -> str:
    node = HTMLParser(response.text).css_first("title")
    return node.text(strip=True) if node else ""


def kv(response: httpx.Response, table_id: str) -> dict[str, str]:
    tree = HTMLParser(response.text)
    return {tr.css_first("th").text(strip=True): tr.css_first("td").text(strip=True)
            for tr in tree.css(f"table#{table_id} tr")}


def rows(response: httpx.Response, table_id: str) -> list[list[str]]:
    tree = HTMLParser(response.text)
    return [[td.text(strip=True) for td in tr.css("td")]
            for tr in tree.css(f"table#{table_id} tr") if tr.css("td")]


def formtoken(response: httpx.Response, form_id: str) -> str:
    node = HTMLParser(response.text).css_first(f"form#{form_id} input[name=formtoken]")
    assert node is not None, response.text
    return node.attributes["value"] or ""


def new_case(client: httpx.Client, child: Person, ref: str) -> int:
    token = formtoken(client.get(f"/arende/ny?pnr={child.pnr}"), "nyttarende")
    r = client.post("/arende/ny", data={"pnr": child.pnr, "arendetyp": "skolskjuts",
                                        "extern_ref": ref, "formtoken": token})
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_login_sets_ksession_and_guards_pages(login: Login) -> None:
    client, r = login("robot01")
    assert r.status_code == 303 and r.headers["location"] == "/start"
    assert "KSESSION" in r.cookies
    assert title(client.get("/start")) == "Start"
    anonymous = httpx.get(f"{client.base_url}/start")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"
    bad, r = login("robot02", "fel")
    assert r.status_code == 200 and has(r, "p.fel#inloggning-fel")
    _, r = login("handlaggare")
    assert r.status_code == 303


def test_seat_limit_refuses_the_fifth_login_until_one_logs_out(login: Login) -> None:
    sessions = [login(f"robot{i:02d}") for i in range(1, 5)]
    assert all(r.status_code == 303 for _, r in sessions)
    client, r = login("robot05")
    assert r.status_code == 200 and title(r) == "Ingen ledig licens"
    assert "KSESSION" not in r.cookies
    sessions[0][0].get("/logout")
    assert sessions[0][0].get("/start").headers["location"] == "/login"
    _, r = login("robot05")
    assert r.status_code == 303
    _, r = login("robot06")
    assert title(r) == "Ingen ledig licens"
    # the same user logging in again on its own session takes no extra seat
    r = sessions[1][0].post("/login", data={"username": "robot02", "password": "robot02"})
    assert r.status_code == 303


def test_idle_sessions_expire_and_free_their_seats(login: Login, fresh_standins) -> None:  # type: ignore[no-untyped-def]
    # Margins of seconds, not milliseconds: a loaded CI machine delays requests.
    fresh_standins.configure("case_system", session_timeout_s=2.0)
    sessions = [login(f"robot{i:02d}")[0] for i in range(1, 5)]
    assert title(login("robot05")[1]) == "Ingen ledig licens"
    for _ in range(3):  # activity keeps robot01 alive past the timeout
        time.sleep(0.5)
        assert sessions[0].get("/start").status_code == 200
    time.sleep(0.8)
    r = sessions[1].get("/start")
    assert r.status_code == 303 and r.headers["location"] == "/login?expired=1"
    assert "session-utgangen" in sessions[1].get("/login?expired=1").text
    seats = httpx.get(f"{fresh_standins.case_system_url}/_test/sessions").json()
    assert seats["active"] == 1 and seats["users"] == ["robot01"]
    assert all(login(f"robot{i:02d}")[1].status_code == 303 for i in range(6, 9))


def test_pupil_page_shows_register_data_placement_and_cases(login: Login, world: World) -> None:
    client, _ = login()
    child = next(c for c in world.children if not c.protected and c.placement
                 and not c.placement.nearest_municipal and c.placement.applied_nearest_refused)
    assert child.placement is not None
    school = world.schools[child.placement.unit_code]
    r = client.get(f"/elev?pnr={child.pnr}")
    assert r.status_code == 200
    assert kv(r, "elevuppgifter")["Namn"] == child.name
    assert kv(r, "placering") == {
        "Skola": school.name, "Skolenhetskod": school.unit_code,
        "Årskurs": "F" if child.grade == 0 else str(child.grade),
        "Skolans kommun": world.municipality_name(school.municipality),
        "Huvudman": school.huvudman, "Skolans adress": school.address.one_line(),
        "Närmaste kommunala skola": "Nej",
        "Sökt närmaste kommunala skola och nekats": "Ja",
    }
    assert rows(r, "arenden") == []
    case_id = new_case(client, child, "ES-000042")
    listed = rows(client.get(f"/elev?pnr={child.pnr}"), "arenden")
    assert listed == [[str(case_id), "skolskjuts", "ES-000042", "Registrerat", ""]]

    protected = next(c for c in world.children if c.protected)
    page = client.get(f"/elev?pnr={protected.pnr}")
    assert protected.address.street not in page.text and has(page, "#skyddad")
    missing = client.get("/elev?pnr=201501019808")
    assert has(missing, "p.fel#ingen-traff")


def test_school_register_lists_every_school(login: Login, world: World) -> None:
    client, _ = login()
    listed = rows(client.get("/skolor"), "skolor")
    assert [r[:5] for r in listed] == [
        [s.name, s.unit_code, world.municipality_name(s.municipality), s.huvudman,
         s.address.one_line()] for s in world.schools.values()]


def test_case_creation_is_ledgered_and_its_formtoken_works_once(
        login: Login, world: World, fresh_standins) -> None:  # type: ignore[no-untyped-def]
    client, _ = login("robot03")
    child = world.children[5]
    token = formtoken(client.get(f"/arende/ny?pnr={child.pnr}"), "nyttarende")
    data = {"pnr": child.pnr, "arendetyp": "skolskjuts", "extern_ref": "ES-1", "formtoken": token}
    first = client.post("/arende/ny", data=data)
    assert first.status_code == 303
    again = client.post("/arende/ny", data=data)
    assert again.status_code == 400 and has(again, "p.fel")
    case = client.get(first.headers["location"])
    info = kv(case, "arendeinfo")
    assert info["Typ"] == "skolskjuts" and info["Status"] == "Registrerat"
    assert info["Extern referens"] == "ES-1" and info["Diarienummer"] == ""
    assert info["Personnummer"].replace("-", "") == child.pnr
    assert rows(case, "beslut") == [] and has(case, "#inga-beslut")
    ledger = fresh_standins.ledger("case_system")
    assert [(e["kind"], e["case_id"], e["extern_ref"], e["user"]) for e in ledger] == [
        ("case_created", int(info["Ärende-id"]), "ES-1", "robot03")]


def test_bare_post_of_a_decision_is_refused(login: Login, world: World, fresh_standins) -> None:  # type: ignore[no-untyped-def]
    client, _ = login()
    case_id = new_case(client, world.children[7], "ES-2")
    url = f"/arende/{case_id}/beslut"

    def post(token: str, check: str | None) -> httpx.Response:
        data = {"formtoken": token, "utfall": "bifall", "motivering": "Avståndet är 3,4 km."}
        if check is not None:
            data["kontroll"] = check
        return client.post(url, data=data)

    attempts = [
        post(formtoken(client.get(url), "beslutsform"), None),  # no kontroll at all
        post(formtoken(client.get(url), "beslutsform"), "00000000"),  # a guessed one
        post("forged-token", kontroll("forged-token", "bifall", "Avståndet är 3,4 km.")),
    ]
    for r in attempts:
        assert r.status_code == 400 and has(r, "p.fel")
    used = formtoken(client.get(url), "beslutsform")
    ok = post(used, kontroll(used, "bifall", "Avståndet är 3,4 km."))
    assert ok.status_code == 303 and ok.headers["location"] == f"/arende/{case_id}?sparat=1"
    replay = post(used, kontroll(used, "bifall", "Avståndet är 3,4 km."))  # one use only
    assert replay.status_code == 400 and has(replay, "p.fel")
    decisions = [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]
    assert len(decisions) == 1


def test_the_form_ties_kontroll_to_its_session(login: Login, world: World) -> None:
    owner, _ = login("robot01")
    other, _ = login("robot02")
    case_id = new_case(owner, world.children[8], "ES-3")
    token = formtoken(owner.get(f"/arende/{case_id}/beslut"), "beslutsform")
    r = other.post(f"/arende/{case_id}/beslut", data={
        "formtoken": token, "utfall": "avslag", "motivering": "x",
        "kontroll": kontroll(token, "avslag", "x")})
    assert r.status_code == 400 and has(r, "p.fel")


def test_unknown_case_and_test_routes(login: Login, fresh_standins) -> None:  # type: ignore[no-untyped-def]
    client, _ = login()
    r = client.get("/arende/999999")
    assert r.status_code == 404 and has(r, "p.fel")
    base = fresh_standins.case_system_url
    assert httpx.get(f"{base}/_test/health").json()["status"] == "ok"
    assert httpx.get(f"{base}/_test/stats").json()["requests"] >= 1
    assert httpx.get(f"{base}/static/beslut.js").status_code == 200


def _two_at_once(clients: list[httpx.Client], path: str) -> list[float]:
    """Send one GET per client at the same moment; when each answer arrived (s)."""
    import threading

    start = time.monotonic()
    done: list[float] = [0.0] * len(clients)

    def get(i: int) -> None:
        assert clients[i].get(path).status_code == 200
        done[i] = time.monotonic() - start

    threads = [threading.Thread(target=get, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(done)


def test_a_session_is_answered_one_request_at_a_time(login, fresh_standins) -> None:  # type: ignore[no-untyped-def]
    """As a session-locked server: two requests on one session take two latencies; on two
    sessions (two seats) one; with ``session_serial`` off, one."""
    fresh_standins.configure("case_system", latency_ms=400)
    one, _ = login("robot01")
    other, _ = login("robot02")
    # two clients sharing one session cookie (one seat)
    twin = httpx.Client(base_url=fresh_standins.case_system_url, cookies=one.cookies, timeout=10)
    try:
        first, second = _two_at_once([one, twin], "/start")
        assert second - first >= 0.3, (first, second)  # the second waited for the first
        first, second = _two_at_once([one, other], "/start")
        assert second - first < 0.3, (first, second)  # two seats work side by side
        fresh_standins.configure("case_system", session_serial="off")
        first, second = _two_at_once([one, twin], "/start")
        assert second - first < 0.3, (first, second)
    finally:
        twin.close()
