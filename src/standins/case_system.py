"""Case system stand-in: a 2000s server-rendered web UI with seat licences.

Routes and page structure follow docs/architecture.md ("Case system"). The decision form
needs a real browser: ``static/beslut.js`` fills the hidden ``kontroll`` field and asks
``confirm()``; the server recomputes ``kontroll`` and refuses the form without it. Like the
real systems it stands in for, a second decision on the same case is accepted and appended:
keeping writes exactly-once is the platform's job, and the ledger shows every write.
The social-services screens for ekonomiskt bistånd (households, decision history,
labour-market plans, rent caps, the decision and payment-order forms) are in
:mod:`standins.case_social`. A plugin's case type (:class:`standins.plugins.CaseType`) is
accepted too: its ``arendetyp``, diarienummer prefix and extra decision values (``urval``).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from standins import pnr
from standins.common import StandIn, Tuning, install_common, now
from standins.plugins import CaseType, PluginSet, installed
from standins.sessions import Session, SessionStore, install_session_routes, kontroll
from standins.social import build_social
from standins.world import World, grade_label

HERE = Path(__file__).parent
COOKIE = "KSESSION"
EB = "ekonomiskt_bistand"
CASE_TYPES = {"skolskjuts": "Skolskjuts", EB: "Ekonomiskt bistånd"}
DIARIE_PREFIX = {"skolskjuts": "SKOL", EB: "EB"}
UTFALL = {"bifall": "Beviljas", "avslag": "Avslås"}

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)
# Layout v2 ("KomSkol 5.0"): templates/v2 first, today's templates for what it leaves alone.
templates_v2 = Environment(
    loader=FileSystemLoader([HERE / "templates" / "v2", HERE / "templates"]),
    autoescape=select_autoescape(["html"]),
)
LAYOUT: ContextVar[str] = ContextVar("layout", default="v1")
"""The layout of the request being answered (``layout_variant`` when it started)."""
DELIVERY = {"brev": "Brev", "digitalt": "Digital brevlåda"}
"""Layout v2's required ``delgivning`` field of the decision forms."""


def v2() -> bool:
    return LAYOUT.get() == "v2"


@dataclass
class Decision:
    datum: str
    utfall: str
    motivering: str
    diarienummer: str
    user: str
    belopp: int | None = None  # ekonomiskt bistånd only
    manad: str = ""  # ekonomiskt bistånd only
    delgivning: str = ""  # layout v2 only


@dataclass
class Payment:
    datum: str
    belopp: int
    manad: str
    konto: str
    nummer: str  # utbetalningsnummer UB-YYYY-NNNNN
    user: str


@dataclass
class Case:
    id: int
    pnr: str
    arendetyp: str
    extern_ref: str
    created_by: str
    status: str = "Registrerat"
    diarienummer: str = ""
    decisions: list[Decision] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)


class CaseSystem(StandIn):
    name = "case_system"
    write_routes = (r"/arende/ny", r"/arende/\d+/beslut", r"/arende/\d+/utbetalning")
    session_cookie = COOKIE
    login_paths = ("/login", "/logout")

    def __init__(self, world: World, tuning: Tuning | None = None,
                 plugins: PluginSet | None = None) -> None:
        super().__init__(tuning, fault_seed=world.seed + 2)
        self.world = world
        # the plugins' case types (komvux …), by arendetyp
        self.plugin_types: dict[str, CaseType] = (
            installed() if plugins is None else plugins).case_types
        self.store = SessionStore(self.tuning.seats, self.tuning.session_timeout_s)
        self.cases: dict[int, Case] = {}
        self._next_case = 1
        self.social = build_social(world)
        # the diarium already holds the households' earlier decisions: continue after them
        self._diarie: dict[tuple[str, int], int] = {
            ("EB", year): n for year, n in self.social.diarie_counts.items()}
        self._payments: dict[int, int] = {}

    def reset(self) -> None:
        super().reset()
        self.cases.clear()
        self.store.clear()

    def on_restart(self) -> None:
        self.store.clear()  # sessions live in memory: a restart logs everyone out

    def on_request(self) -> None:
        LAYOUT.set(self.tuning.layout_variant)

    def unavailable_response(self) -> Response:
        return error("Tjänsten är tillfälligt otillgänglig.", None, 503)

    def server_error_response(self) -> Response:
        return error("Ett internt fel har inträffat. Försök igen senare.", None, 500)

    def maintenance_response(self, retry_after: int) -> Response:
        until = self.tuning.maintenance_until or ""
        return page("underhall.html", 503, title="Planerat underhåll", user=None,
                    until=until[11:16], retry_after=retry_after)

    def sessions(self) -> SessionStore:
        """The session store, following the current tuning (seats, idle timeout, seats
        held by others)."""
        self.store.seats = self.tuning.seats
        self.store.timeout_s = self.tuning.session_timeout_s
        self.store.taken = self.tuning.seats_taken
        return self.store

    def labels(self, arendetyp: str) -> dict[str, str]:
        """The decision values of a case type and their labels (bifall, avslag, a plugin's)."""
        plugin = self.plugin_types.get(arendetyp)
        return UTFALL | dict(plugin.utfall) if plugin else UTFALL

    def types_offered(self, number: str, selected: str) -> dict[str, str]:
        """The new-case form's case types: a plugin's when asked for (``typ``) or when the
        person is one of its own (so the built-in screens stay as they are)."""
        extra = {t.arendetyp: t.label for t in self.plugin_types.values()
                 if t.arendetyp == selected or (number and t.known(self.world, number))}
        return CASE_TYPES | extra if extra else CASE_TYPES

    def create_case(self, child_pnr: str, arendetyp: str, extern_ref: str, user: str) -> Case:
        case = Case(self._next_case, child_pnr, arendetyp, extern_ref, user)
        self._next_case += 1
        self.cases[case.id] = case
        self.ledger.record("case_created", case_id=case.id, pnr=child_pnr, arendetyp=arendetyp,
                           extern_ref=extern_ref, user=user)
        return case

    def decide(self, case: Case, utfall: str, motivering: str, user: str,
               belopp: int | None = None, manad: str = "", delgivning: str = "") -> Decision:
        today = now()
        plugin = self.plugin_types.get(case.arendetyp)
        key = (plugin.diarie_prefix if plugin else DIARIE_PREFIX[case.arendetyp], today.year)
        self._diarie[key] = self._diarie.get(key, 0) + 1
        diarienummer = f"{key[0]}-{key[1]}-{self._diarie[key]:05d}"
        decision = Decision(today.date().isoformat(), utfall, motivering, diarienummer, user,
                            belopp, manad, delgivning)
        case.decisions.append(decision)
        case.status = "Beslutat"
        case.diarienummer = diarienummer
        extra: dict[str, Any] = {"belopp": belopp, "manad": manad} if case.arendetyp == EB else {}
        if delgivning:
            extra["delgivning"] = delgivning
        self.ledger.record("decision", case_id=case.id, arendetyp=case.arendetyp,
                           extern_ref=case.extern_ref, pnr=case.pnr, utfall=utfall,
                           motivering=motivering, diarienummer=diarienummer, user=user, **extra)
        return decision

    def order_payment(self, case: Case, belopp: int, manad: str, konto: str,
                      user: str) -> Payment:
        today = now()
        self._payments[today.year] = self._payments.get(today.year, 0) + 1
        nummer = f"UB-{today.year}-{self._payments[today.year]:05d}"
        payment = Payment(today.date().isoformat(), belopp, manad, konto, nummer, user)
        case.payments.append(payment)
        case.status = "Utbetalning beställd"
        self.ledger.record("payment_order", case_id=case.id, arendetyp=case.arendetyp,
                           extern_ref=case.extern_ref, pnr=case.pnr, belopp=belopp, manad=manad,
                           konto=konto, utbetalningsnummer=nummer, user=user)
        return payment


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    env = templates_v2 if v2() else templates
    return HTMLResponse(env.get_template(name).render(**context), status_code=status)


def error(message: str, user: str | None, status: int = 400, back: str = "/start") -> HTMLResponse:
    return page("fel.html", status, title="Fel", message=message, user=user, back=back)


def delivery_of(form: dict[str, str], user: str, back: str) -> str | HTMLResponse:
    """Layout v2's required ``delgivning`` ("" in v1), or the error page."""
    if not v2():
        return ""
    delivery = form.get("delgivning", "")
    if delivery not in DELIVERY:
        return error("Välj delgivningssätt.", user, back=back)
    return delivery


async def form_data(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def create_app(world: World, tuning: Tuning | None = None,
               plugins: PluginSet | None = None) -> FastAPI:
    state = CaseSystem(world, tuning, plugins)
    app = FastAPI(title="Case system stand-in", docs_url=None, redoc_url=None)
    install_common(app, state)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    from standins import case_social  # it builds on this module

    def session_of(request: Request) -> Session | Response:
        token = request.cookies.get(COOKIE)
        store = state.sessions()
        if (token and token in store.sessions
                and state.roll(state.tuning.session_expiry_rate)):
            state.count("session_expiry")  # ended now, as if it had been idle too long
            store.logout(token)
        session = store.touch(token)
        if session:
            return session
        target = "/login?expired=1" if token else "/login"
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(COOKIE)
        return response

    install_session_routes(app, state)

    case_social.install(app, state, session_of)

    @app.get("/")
    async def root() -> Response:
        return RedirectResponse("/start", status_code=303)

    @app.get("/login")
    async def login_form(expired: int = 0, utloggad: int = 0) -> Response:
        return page("login.html", title="Inloggning", user=None, expired=expired,
                    logged_out=utloggad)

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await form_data(request)
        result = state.sessions().login(form.get("username", ""), form.get("password", ""),
                                        request.cookies.get(COOKIE))
        if result == "bad_credentials":
            return page("login.html", title="Inloggning", user=None,
                        error="Felaktigt användarnamn eller lösenord.")
        if result == "no_seat":
            store = state.sessions()
            if len(store.sessions) < store.seats:  # a seat would be free but for the others
                state.count("seat_taken")
            return page("nolicense.html", title="Ingen ledig licens", user=None,
                        seats=state.tuning.seats)
        assert isinstance(result, Session)  # nosec B101  # stand-in invariant; narrows the type
        response = RedirectResponse("/start", status_code=303)
        response.set_cookie(COOKIE, result.token, httponly=True, samesite="lax", path="/")
        return response

    @app.get("/logout")
    async def logout(request: Request) -> Response:
        state.sessions().logout(request.cookies.get(COOKIE))
        response = RedirectResponse("/login?utloggad=1", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/start")
    async def start(request: Request) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        return page("start.html", title="Start", user=session.username)

    @app.get("/elev")
    async def pupil(request: Request) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        query = request.query_params.get("pnr", "")
        child = world.people.get(pnr.normalize(query))
        if child is None or not child.is_child or child.placement is None:
            return page("elev.html", title="Elevuppgifter", user=session.username, child=None,
                        query=query)
        school = world.schools[child.placement.unit_code]
        cases = [c for c in state.cases.values() if c.pnr == child.pnr]
        return page(
            "elev.html", title="Elevuppgifter", user=session.username, child=child,
            pnr_display=pnr.hyphenated(child.pnr), guardians=[world.people[g] for g in
                                                              child.guardians],
            kommun=world.municipality_name(child.address.municipality), school=school,
            school_kommun=world.municipality_name(school.municipality),
            placement=child.placement, grade=grade_label(child.placement.grade), cases=cases,
        )

    @app.get("/arenden")
    async def case_search(request: Request) -> Response:
        """Every case of a person, whatever its type (the search a case type without a
        screen of its own, such as Komvux, finds its cases with)."""
        session = session_of(request)
        if isinstance(session, Response):
            return session
        query = request.query_params.get("pnr", "").strip()
        digits = pnr.normalize(query)
        invalid = bool(query) and not pnr.is_valid(digits)
        cases = [] if invalid else [c for c in state.cases.values() if c.pnr == digits]
        return page("arenden.html", title="Sök ärenden", user=session.username, query=query,
                    invalid=invalid, pnr12=digits, pnr_display=pnr.hyphenated(digits)
                    if query and not invalid else "", cases=cases)

    @app.get("/skolor")
    async def schools(request: Request) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        return page("skolor.html", title="Skolor", user=session.username,
                    schools=list(world.schools.values()), kommun=world.municipality_name)

    @app.get("/arende/ny")
    async def new_case_form(request: Request) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        child_pnr = pnr.normalize(request.query_params.get("pnr", ""))
        selected = request.query_params.get("typ", "skolskjuts")
        token = state.sessions().issue("arende_ny", "", session)
        return page("arende_ny.html", title="Nytt ärende", user=session.username,
                    pnr=child_pnr, types=state.types_offered(child_pnr, selected),
                    selected=selected, formtoken=token)

    @app.post("/arende/ny")
    async def new_case(request: Request) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        form = await form_data(request)
        user = session.username
        if not state.sessions().redeem(form.get("formtoken", ""), "arende_ny", "", session):
            return error("Formuläret är ogiltigt eller redan skickat. Öppna det igen.", user)
        plugin = state.plugin_types.get(form.get("arendetyp", ""))
        if plugin is not None:
            number = pnr.normalize(form.get("pnr", ""))
            if len(number) != 12 or not plugin.known(world, number):
                return error(plugin.unknown_message, user)
            case = state.create_case(number, plugin.arendetyp,
                                     form.get("extern_ref", "").strip(), user)
            return RedirectResponse(f"/arende/{case.id}", status_code=303)
        if form.get("arendetyp") == EB:
            person = state.social.adult(pnr.normalize(form.get("pnr", "")))
            if person is None:
                return error("Personnumret tillhör ingen vuxen i ett registrerat hushåll.", user)
        else:
            person = world.people.get(pnr.normalize(form.get("pnr", "")))
            if person is None or not person.is_child:
                return error("Personnumret tillhör ingen elev.", user)
            if form.get("arendetyp") not in CASE_TYPES:
                return error("Okänd ärendetyp.", user)
        case = state.create_case(person.pnr, form["arendetyp"],
                                 form.get("extern_ref", "").strip(), user)
        return RedirectResponse(f"/arende/{case.id}", status_code=303)

    @app.get("/arende/{case_id}")
    async def case_page(request: Request, case_id: int, sparat: int = 0,
                        utbetald: int = 0) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        case = state.cases.get(case_id)
        if case is None:
            return error(f"Ärende {case_id} finns inte.", session.username, 404)
        if case.arendetyp == EB:
            return case_social.case_page(state, session, case, sparat, utbetald)
        return page("arende.html", title=f"Ärende {case.id}", user=session.username, case=case,
                    pnr_display=pnr.hyphenated(case.pnr), saved=sparat,
                    labels=state.labels(case.arendetyp))

    @app.get("/arende/{case_id}/beslut")
    async def decision_form(request: Request, case_id: int) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        case = state.cases.get(case_id)
        if case is None:
            return error(f"Ärende {case_id} finns inte.", session.username, 404)
        token = state.sessions().issue("beslut", str(case.id), session)
        if case.arendetyp == EB:
            return page("ebbeslut.html", title=f"Beslut i ärende {case.id}", org=case_social.ORG,
                        user=session.username, case=case, formtoken=token, labels=UTFALL,
                        delivery=DELIVERY)
        return page("beslut.html", title=f"Beslut i ärende {case.id}", user=session.username,
                    case=case, formtoken=token, labels=state.labels(case.arendetyp),
                    delivery=DELIVERY)

    @app.post("/arende/{case_id}/beslut")
    async def decide(request: Request, case_id: int) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        user, back = session.username, f"/arende/{case_id}/beslut"
        case = state.cases.get(case_id)
        if case is None:
            return error(f"Ärende {case_id} finns inte.", user, 404)
        form = await form_data(request)
        token = form.get("formtoken", "")
        if not state.sessions().redeem(token, "beslut", str(case.id), session):
            return error("Formuläret är ogiltigt eller redan skickat. Öppna beslutsformuläret "
                         "igen.", user, back=back)
        if case.arendetyp == EB:
            return case_social.decide(state, session, case, form)
        text_field = "beslutstext" if v2() else "motivering"
        utfall, motivering = form.get("utfall", ""), form.get(text_field, "")
        if form.get("kontroll", "") != kontroll(token, utfall, motivering):
            return error("Kontrollsumman stämmer inte. Beslutet har inte sparats.", user,
                         back=back)
        if utfall not in state.labels(case.arendetyp):
            return error("Välj utfall.", user, back=back)
        if not motivering.strip():
            return error(f"{'Beslutstext' if v2() else 'Motivering'} måste anges.", user,
                         back=back)
        delivery = delivery_of(form, user, back)
        if isinstance(delivery, Response):
            return delivery
        state.decide(case, utfall, motivering.replace("\r\n", "\n"), user,
                     delgivning=delivery)
        return RedirectResponse(f"/arende/{case.id}?sparat=1", status_code=303)

    return app
