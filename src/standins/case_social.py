"""The case system's social-services screens: ekonomiskt bistånd.

Households on record (``/hushall``), their decision history and labour-market plans, the
municipality's rent caps, and, for cases of type ``ekonomiskt_bistand``, the case page, the
decision form (outcome, amount, month, motivering) and the payment-order form. Both forms
need a real browser (``static/eb.js`` computes ``kontroll`` and asks ``confirm()``), both
writes go to the ledger (``decision`` and ``payment_order``), and both accept duplicates.
Contract: docs/architecture.md, "Ekonomiskt bistånd".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse

from standins import pnr
from standins.case_system import EB, UTFALL, delivery_of, error, form_data, page, v2
from standins.sessions import Session, kontroll_eb, kontroll_payment
from standins.social import INCOME_LABELS, ROLE_LABELS, Household
from standins.social_money import RENT_CAPS, RENT_CAPS_FROM

if TYPE_CHECKING:
    from collections.abc import Callable

    from standins.case_system import Case, CaseSystem

ORG = "Socialförvaltningen"
COST_LABELS = {"rent": "Hyra", "household_electricity": "Hushållsel",
               "home_insurance": "Hemförsäkring", "work_travel": "Arbetsresor",
               "union_fee": "Fackavgift", "a_kassa_fee": "A-kasseavgift"}
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
ACCOUNT_RE = re.compile(r"^\d{4}-\d{7,10}$")
AMOUNT_RE = re.compile(r"^\d{1,7}$")


@dataclass
class HistoryRow:
    month: str
    date: str
    utfall: str
    amount: int | None
    diarienummer: str
    case_id: int | str = ""


def _amount(text: str) -> int | None:
    """Whole kronor as typed ("7432", "7 432"), or None."""
    digits = text.replace(" ", "").replace("\u00a0", "")
    return int(digits) if AMOUNT_RE.match(digits) else None


def household_cases(state: CaseSystem, hh: Household) -> list[Case]:
    return [c for c in state.cases.values()
            if c.arendetyp == EB and state.social.household_of.get(c.pnr) is hh]


def case_page(state: CaseSystem, session: Session, case: Case, saved: int,
              paid: int) -> Response:
    hh = state.social.household_of.get(case.pnr)
    return page("arende_eb.html", title=f"Ärende {case.id}", org=ORG, user=session.username,
                case=case, pnr_display=pnr.hyphenated(case.pnr), saved=saved, paid=paid,
                labels=UTFALL, household=hh.number if hh else None)


def decide(state: CaseSystem, session: Session, case: Case, form: dict[str, str]) -> Response:
    """The decision form's POST, after its form token was redeemed."""
    user, back = session.username, f"/arende/{case.id}/beslut"
    utfall, manad = form.get("utfall", ""), form.get("manad", "")
    # layout v2 renames two fields (and adds delgivning)
    belopp = form.get("belopp_kr" if v2() else "belopp", "")
    motivering = form.get("beslutstext" if v2() else "motivering", "")
    if form.get("kontroll", "") != kontroll_eb(form.get("formtoken", ""), utfall, belopp, manad,
                                               motivering):
        return error("Kontrollsumman stämmer inte. Beslutet har inte sparats.", user, back=back)
    if utfall not in UTFALL:
        return error("Välj utfall.", user, back=back)
    amount = 0 if utfall == "avslag" and not belopp.strip() else _amount(belopp)
    if amount is None or (utfall == "bifall" and amount < 1) or (utfall == "avslag" and amount):
        return error("Ange belopp i hela kronor (beviljat belopp minst 1 kr, avslag 0 kr).",
                     user, back=back)
    if not MONTH_RE.match(manad):
        return error("Ange månad som ÅÅÅÅ-MM.", user, back=back)
    if not motivering.strip():
        return error(f"{'Beslutstext' if v2() else 'Motivering'} måste anges.", user, back=back)
    delivery = delivery_of(form, user, back)
    if isinstance(delivery, Response):
        return delivery
    state.decide(case, utfall, motivering.replace("\r\n", "\n"), user, amount, manad,
                 delivery)
    return _redirect(f"/arende/{case.id}?sparat=1")


def _redirect(target: str) -> Response:
    return RedirectResponse(target, status_code=303)


def install(app: FastAPI, state: CaseSystem,
            session_of: Callable[[Request], Session | Response]) -> None:
    """Add the social-services routes to the case system's app."""
    social = state.social

    def household_page(session: Session, hh: Household) -> Response:
        record = hh.record
        assert record is not None
        people = social.people
        return page(
            "hushall.html", title="Hushållsuppgifter", org=ORG, user=session.username, hh=hh,
            record=record, applicant=people[hh.applicant], people=people, fmt=pnr.hyphenated,
            protected=people[hh.applicant].protected, roles=ROLE_LABELS,
            kommun=state.world.municipality_name(record.address.municipality),
            cost_labels=COST_LABELS, income_labels=INCOME_LABELS,
            cases=household_cases(state, hh),
        )

    def lookup(number: int, session: Session) -> Household | Response:
        hh = social.by_number.get(number)
        if hh is None:
            return error(f"Hushåll {number} finns inte.", session.username, 404, back="/hushall")
        return hh

    @app.get("/hushall")
    async def find_household(request: Request) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        query = request.query_params.get("pnr", "")
        hh = social.household_of.get(pnr.normalize(query)) if query else None
        if hh is None:
            return page("hushall_sok.html", title="Sök hushåll", org=ORG, user=session.username,
                        query=query)
        return household_page(session, hh)

    @app.get("/hushall/{number}")
    async def household(request: Request, number: int) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        hh = lookup(number, session)
        return hh if isinstance(hh, Response) else household_page(session, hh)

    @app.get("/hushall/{number}/historik")
    async def history(request: Request, number: int) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        hh = lookup(number, session)
        if isinstance(hh, Response):
            return hh
        rows = [HistoryRow(d.month, d.date, d.utfall, d.amount, d.diarienummer)
                for d in hh.history]
        for case in household_cases(state, hh):
            rows += [HistoryRow(d.manad, d.datum, d.utfall, d.belopp, d.diarienummer, case.id)
                     for d in case.decisions]
        rows.sort(key=lambda r: (r.month, r.date, r.diarienummer))
        return page("historik.html", title="Beslutshistorik", org=ORG, user=session.username,
                    hh=hh, rows=rows, labels=UTFALL)

    @app.get("/hushall/{number}/planering")
    async def plans(request: Request, number: int) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        hh = lookup(number, session)
        if isinstance(hh, Response):
            return hh
        return page("planering.html", title="Arbetsmarknadsplanering", org=ORG,
                    user=session.username, hh=hh, plans=hh.plans, people=social.people,
                    fmt=pnr.hyphenated)

    @app.get("/hyresnormer")
    async def rent_caps(request: Request) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        return page("hyresnormer.html", title="Hyresnormer", org=ORG, user=session.username,
                    caps=sorted(RENT_CAPS.items()), valid_from=RENT_CAPS_FROM)

    def eb_case(case_id: int, session: Session) -> Case | Response:
        case = state.cases.get(case_id)
        if case is None:
            return error(f"Ärende {case_id} finns inte.", session.username, 404)
        if case.arendetyp != EB:
            return error("Utbetalning finns bara för ärenden om ekonomiskt bistånd.",
                         session.username, back=f"/arende/{case_id}")
        return case

    @app.get("/arende/{case_id}/utbetalning")
    async def payment_form(request: Request, case_id: int) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        case = eb_case(case_id, session)
        if isinstance(case, Response):
            return case
        token = state.sessions().issue("utbetalning", str(case.id), session)
        return page("utbetalning.html", title=f"Utbetalning i ärende {case.id}", org=ORG,
                    user=session.username, case=case, formtoken=token)

    @app.post("/arende/{case_id}/utbetalning")
    async def order_payment(request: Request, case_id: int) -> Response:
        session = session_of(request)
        if isinstance(session, Response):
            return session
        case = eb_case(case_id, session)
        if isinstance(case, Response):
            return case
        user, back = session.username, f"/arende/{case_id}/utbetalning"
        form = await form_data(request)
        token = form.get("formtoken", "")
        if not state.sessions().redeem(token, "utbetalning", str(case.id), session):
            return error("Formuläret är ogiltigt eller redan skickat. Öppna "
                         "utbetalningsformuläret igen.", user, back=back)
        belopp, manad = form.get("belopp", ""), form.get("manad", "")
        konto = form.get("mottagarkonto" if v2() else "konto", "")
        if form.get("kontroll", "") != kontroll_payment(token, belopp, manad, konto):
            return error("Kontrollsumman stämmer inte. Utbetalningen har inte beställts.", user,
                         back=back)
        if not any(d.utfall == "bifall" for d in case.decisions):
            return error("Ärendet har inget beviljat beslut. Utbetalning kan inte beställas.",
                         user, back=f"/arende/{case.id}")
        amount = _amount(belopp)
        if amount is None or amount < 1:
            return error("Ange belopp i hela kronor.", user, back=back)
        if not MONTH_RE.match(manad):
            return error("Ange månad som ÅÅÅÅ-MM.", user, back=back)
        if not ACCOUNT_RE.match(konto.strip()):
            return error("Ange kontot som clearingnummer-kontonummer, till exempel "
                         "9960-1234567.", user, back=back)
        state.order_payment(case, amount, manad, konto.strip(), user)
        return _redirect(f"/arende/{case.id}?utbetald=1")
