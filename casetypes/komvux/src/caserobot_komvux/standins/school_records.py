"""School-records stand-in ("VuxReg", the elevregister): a 2000s server-rendered web UI.

Read-only (its ledger stays empty). A login with seat licences and an idle timeout
(:class:`standins.sessions.SessionStore`, the same users as the case system), one request
per session at a time (``session_serial``), and every knob and fault of the case system
but the layout variant. A person is found by personnummer; the person page lists the
programmes, the grade list is paginated (10 a page, "Nästa sida"). People with no school
records in Sweden are not in the register. Screens: :mod:`.pages`; selectors: README.md.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from caserobot_komvux.standins.catalogue import LEVEL_LABELS
from caserobot_komvux.standins.pages import render
from caserobot_komvux.standins.people import Applicant, KomvuxWorld, build_komvux
from caserobot_komvux.standins.records import DIPLOMAS
from standins import pnr
from standins.common import StandIn, Tuning, install_common
from standins.sessions import Session, SessionStore, install_session_routes
from standins.world import World

NAME = "school_records"
PORT = 8706
COOKIE = "VUXREG_SESSION"
PAGE_SIZE = 10


class SchoolRecords(StandIn):
    name = NAME
    session_cookie = COOKIE
    login_paths = ("/login", "/logout")

    def __init__(self, world: World, komvux: KomvuxWorld, tuning: Tuning | None = None) -> None:
        super().__init__(tuning, fault_seed=world.seed + 6)
        self.komvux = komvux
        self.store = SessionStore(self.tuning.seats, self.tuning.session_timeout_s)

    def reset(self) -> None:
        super().reset()
        self.store.clear()

    def on_restart(self) -> None:
        self.store.clear()  # sessions live in memory: a restart logs everyone out

    def sessions(self) -> SessionStore:
        """The session store, following the current tuning."""
        self.store.seats = self.tuning.seats
        self.store.timeout_s = self.tuning.session_timeout_s
        self.store.taken = self.tuning.seats_taken
        return self.store

    def unavailable_response(self) -> Response:
        return error("Tjänsten är inte tillgänglig", "VuxReg svarar inte just nu. Försök "
                     "igen senare.", "otillganglig", 503)

    def server_error_response(self) -> Response:
        return error("Systemfel", "Ett oväntat fel uppstod (VR-500). Kontakta support om "
                     "felet kvarstår.", "systemfel", 500)

    def maintenance_response(self, retry_after: int) -> Response:
        until = (self.tuning.maintenance_until or "")[11:16]
        return error("Planerat underhåll", f"VuxReg är stängt för underhåll till {until}.",
                     "underhall", 503)


def html(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(name, **context), status_code=status)


def error(heading: str, message: str, error_id: str, status: int, user: str | None = None,
          back: str = "/sok") -> HTMLResponse:
    return html("error", status, title=heading, heading=heading, message=message,
                error_id=error_id, user=user, back=back)


def create_app(world: World, tuning: Tuning | None = None) -> FastAPI:
    komvux = build_komvux(world)
    state = SchoolRecords(world, komvux, tuning)
    app = FastAPI(title="School records (elevregister) stand-in", docs_url=None,
                  redoc_url=None)
    install_common(app, state)
    catalogue = komvux.catalogue

    def session_of(request: Request) -> Session | Response:
        token = request.cookies.get(COOKIE)
        store = state.sessions()
        if token and token in store.sessions and state.roll(state.tuning.session_expiry_rate):
            state.count("session_expiry")  # ended now, as if it had been idle too long
            store.logout(token)
        session = store.touch(token)
        if session:
            return session
        response = RedirectResponse("/login?utgangen=1" if token else "/login", 303)
        response.delete_cookie(COOKIE)
        return response

    def registered(number: str) -> Applicant | None:
        """The person, if in the register (people with no records in Sweden are not)."""
        applicant = komvux.applicants.get(pnr.normalize(number))
        return applicant if applicant is not None and applicant.in_register else None

    install_session_routes(app, state)

    @app.get("/_test/catalogue")
    async def catalogue_json() -> dict[str, Any]:
        """The course catalogue as JSON (providers, courses, course starts with places)."""
        return catalogue.as_json()

    @app.get("/")
    async def root() -> Response:
        return RedirectResponse("/sok", 303)

    @app.get("/login")
    async def login_form(utgangen: int = 0, utloggad: int = 0) -> Response:
        return html("login", title="Inloggning", user=None, expired=utgangen,
                    logged_out=utloggad)

    @app.post("/login")
    async def login(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", errors="replace")
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        store = state.sessions()
        result = store.login(form.get("anvandarnamn", ""), form.get("losenord", ""),
                             request.cookies.get(COOKIE))
        if result == "bad_credentials":
            return html("login", title="Inloggning", user=None,
                        error="Fel användar-id eller lösenord.")
        if result == "no_seat":
            if len(store.sessions) < store.seats:  # a seat would be free but for the others
                state.count("seat_taken")
            return html("no_seat", title="Max antal användare", user=None,
                        seats=state.tuning.seats)
        assert isinstance(result, Session)  # nosec B101  # stand-in invariant; narrows the type
        response = RedirectResponse("/sok", 303)
        response.set_cookie(COOKIE, result.token, httponly=True, samesite="lax", path="/")
        return response

    @app.get("/logout")
    async def logout(request: Request) -> Response:
        state.sessions().logout(request.cookies.get(COOKIE))
        response = RedirectResponse("/login?utloggad=1", 303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/sok")
    async def search(request: Request) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        query = request.query_params.get("pnr", "").strip()
        if not query:
            return html("search", title="Sök person", user=session.username, query="")
        if not pnr.is_valid(query):
            return html("search", title="Sök person", user=session.username, query=query,
                        message="Ogiltigt personnummer. Skriv ÅÅÅÅMMDD-NNNN.",
                        message_id="ogiltigt-pnr")
        applicant = registered(query)
        if applicant is None:
            return html("search", title="Sök person", user=session.username, query=query,
                        message="Ingen person med det personnumret finns i registret.",
                        message_id="ingen-traff")
        return RedirectResponse(f"/person/{applicant.person.pnr}", 303)

    def missing(user: str) -> Response:
        return error("Personen finns inte", "Ingen person med det personnumret finns i "
                     "registret.", "ingen-traff", 404, user)

    @app.get("/person/{number}")
    async def person_page(request: Request, number: str) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        applicant = registered(number)
        if applicant is None:
            return missing(session.username)
        person = applicant.person
        return html("person", title="Personkort", user=session.username, person=person,
                    pnr_display=pnr.hyphenated(person.pnr), diplomas=DIPLOMAS,
                    programmes=applicant.records.programmes,
                    grades=len(applicant.records.grades))

    @app.get("/person/{number}/betyg")
    async def grade_list(request: Request, number: str) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        applicant = registered(number)
        if applicant is None:
            return missing(session.username)
        grades = applicant.records.grades
        pages = max(1, math.ceil(len(grades) / PAGE_SIZE))
        text = request.query_params.get("sida", "1")
        page = int(text) if text.isdigit() else 0
        if not 1 <= page <= pages:
            return error("Sidan finns inte", f"Sida {text} finns inte (1–{pages}).",
                         "fel-sida", 404, session.username,
                         back=f"/person/{applicant.person.pnr}/betyg")
        person = applicant.person
        rows = grades[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
        return html("grades", title="Betyg", user=session.username, person=person,
                    pnr_display=pnr.hyphenated(person.pnr), rows=rows, total=len(grades),
                    page=page, pages=pages, levels=LEVEL_LABELS)

    @app.get("/anordnare")
    async def providers(request: Request) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        return html("providers", title="Anordnare", user=session.username,
                    providers=list(catalogue.providers.values()))

    @app.get("/kurskatalog")
    async def course_catalogue(request: Request) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        code = request.query_params.get("kurskod", "").strip()
        provider = request.query_params.get("anordnare", "").strip()
        offerings = [o for o in catalogue.offerings
                     if (not code or o.course.code.lower() == code.lower())
                     and (not provider or o.provider.code.lower() == provider.lower())]
        return html("catalogue", title="Kurskatalog", user=session.username, code=code,
                    provider=provider, offerings=offerings, levels=LEVEL_LABELS)

    return app
