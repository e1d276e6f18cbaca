"""One logged-in session (one seat licence) in the case system's web UI.

Two ways to read a screen, chosen per session:

* ``fast`` (default): screens that are only read are fetched through the browser context's
  own session (same cookies, ≈ 8 ms of CPU) and parsed; only the decision form, which needs
  client-side JavaScript and a confirm dialog, is rendered in Chromium.
* ``classic``: every screen is rendered in the browser and forms are filled field by field,
  as a classic screen-scraping robot does. Kept for comparison (benchmarks) and for systems
  whose read screens also need JavaScript.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page
from playwright.async_api import Error as PlaywrightError

from caserobot import outcomes
from caserobot.exceptions import (
    BusinessException,
    LegacyTimeout,
    ReasonCode,
    UnexpectedScreen,
    WriteOutcomeUnknown,
)
from caserobot.legacy.breaker import CircuitBreaker
from caserobot.legacy.casesystem import pages
from caserobot.legacy.casesystem.pages import SYSTEM, CaseRecord, CaseSummary, Pupil, School
from caserobot.legacy.web import LoginForm, Mode, WebSession, release_body
from caserobot.settings import CaseSystemSettings


class CaseSystemSession(WebSession):
    """A seat in the case system. Use ``async with`` or :meth:`open`/:meth:`close`."""

    SYSTEM = SYSTEM
    LOGIN = LoginForm(
        path=pages.LOGIN_PATH,
        user=pages.LOGIN_USER,
        password=pages.LOGIN_PASSWORD,
        submit=pages.LOGIN_SUBMIT,
    )

    def __init__(
        self,
        browser: Browser,
        settings: CaseSystemSettings,
        *,
        mode: Mode = "fast",
        breaker: CircuitBreaker | None = None,
    ) -> None:
        super().__init__(browser, settings, mode=mode, breaker=breaker)
        self._settings: CaseSystemSettings = settings
        self._schools: dict[str, School] | None = None
        self._landed: dict[str, str] = {}
        self._posted = asyncio.Event()
        self._post_sent = False

    def check_screen(self, html: str, step: str) -> Any:
        return pages.check_screen(html, step)

    def logged_in_as(self, html: str) -> str | None:
        return pages.logged_in_as(html)

    async def after_open(self, context: BrowserContext) -> None:
        if self.mode == "fast":  # the decision post's answer, kept for the read-back
            await context.route(DECISION_POST, self._capture_decision_post)

    # -- reading ---------------------------------------------------------------------------

    async def pupil(self, pnr12: str) -> Pupil | None:
        return pages.parse_pupil(await self.read(f"/elev?pnr={pnr12}", "elevsida"), pnr12)

    async def schools(self) -> dict[str, School]:
        if self._schools is None:
            self._schools = pages.parse_schools(await self.read("/skolor", "skolor"))
        return self._schools

    async def cases_of(self, pnr12: str) -> tuple[CaseSummary, ...]:
        """Every case of a person, whatever its type (the case search)."""
        return pages.parse_case_search(await self.read(f"/arenden?pnr={pnr12}", "ärendesök"))

    async def case(self, case_id: str) -> CaseRecord:
        return pages.parse_case(await self.read(f"/arende/{case_id}", "ärendesida"))

    # -- writing ---------------------------------------------------------------------------

    async def create_case(self, pnr12: str, case_type: str, extern_ref: str) -> CaseRecord:
        """Create a case. The caller must have checked that none exists (see cases/)."""
        step = "nytt ärende"
        if self.mode == "classic":
            async with self.page_lock():
                return await self._create_case_in_page(pnr12, case_type, extern_ref, step)
        token = pages.parse_formtoken(
            await self.read(f"/arende/ny?pnr={pnr12}", step), pages.NEW_CASE_FORM, step
        )
        context = self._require_context()
        data = {"pnr": pnr12, "arendetyp": case_type, "extern_ref": extern_ref, "formtoken": token}
        self.pages += 1
        # The redirect names the new case; a new case has nothing to read yet.
        resp = await self._sent_write(
            step, context.request.post("/arende/ny", form=data, max_redirects=0)
        )
        try:
            location = resp.headers.get("location", "")
            if resp.status in (302, 303) and location.startswith("/arende/"):
                case_id = location.removeprefix("/arende/").split("?")[0]
                return CaseRecord(
                    case_id=case_id,
                    case_type=case_type,
                    status="",
                    extern_ref=extern_ref,
                    personnummer=pnr12,
                    diarienummer="",
                    decisions=(),
                )
            html = await resp.text()
        finally:
            await release_body(resp)
        raise_if_refused(html, "ärendet kunde inte skapas", step)
        return pages.parse_case(html)

    async def _create_case_in_page(
        self, pnr12: str, case_type: str, extern_ref: str, step: str
    ) -> CaseRecord:
        """The classic way: the new-case form filled and submitted in the page."""
        page = await self._use_page()
        await self._guard(step, page.goto(f"/arende/ny?pnr={pnr12}"))
        pages.check_screen(await page.content(), step)
        form = pages.NEW_CASE_FORM
        await page.select_option(f"{form} select[name=arendetyp]", case_type)
        await page.fill(f"{form} input[name=extern_ref]", extern_ref)
        await self._guard(step, page.click(f"{form} [type=submit]"))
        await page.wait_for_load_state()
        html = await page.content()
        raise_if_refused(html, "ärendet kunde inte skapas", step)
        return pages.parse_case(html)

    async def write_decision(self, case_id: str, outcome: str, motivering: str) -> CaseRecord:
        """Fill and submit the decision form in the real browser; return the case after it.

        The form computes a hidden control field in JavaScript and asks for confirmation,
        so it cannot be posted without rendering it.
        """
        async with self.page_lock():
            return await self._write_decision(case_id, outcome, motivering)

    async def _write_decision(self, case_id: str, outcome: str, motivering: str) -> CaseRecord:
        step = "beslut"
        page = await self._use_page()
        outcome_value = outcomes.written_as(outcome)
        await self._guard(step, page.goto(f"/arende/{case_id}/beslut", wait_until=self._wait_until))
        if self.mode == "classic":
            pages.check_screen(await page.content(), step)
            await page.select_option(pages.DECISION_OUTCOME, outcome_value)
            await page.fill(pages.DECISION_TEXT, motivering)
            async with page.expect_navigation() as navigation:
                await self._guard(step, page.click(pages.DECISION_SUBMIT))
            await self._sent_write(step, navigation.value)
            html = await page.content()
        else:
            # One round trip: the page fills the form (input/change events fire) and submits
            # it through its own handler, which computes the control field and asks confirm().
            html = await self._submit_and_read_back(page, step, [outcome_value, motivering])
        raise_if_refused(html, "beslutet sparades inte", step)
        return pages.parse_case(html)

    async def _capture_decision_post(self, route) -> None:  # type: ignore[no-untyped-def]
        """Pass the browser's decision POST through; keep its answer instead of rendering it.

        The browser fills the form and runs its JavaScript and confirm dialog; the POST it
        sends goes to the case system unchanged. The redirect to the saved case is not
        rendered: the case page is then fetched through the same session and parsed, which
        tells us everything the rendered page would, for a fraction of Chromium's CPU.
        """
        request = route.request
        if request.method != "POST" or request.resource_type != "document":
            await route.continue_()
            return
        self._post_sent = True
        try:
            response = await route.fetch(max_redirects=0)
            location = response.headers.get("location")
            if response.status in (302, 303) and location:
                self._landed["location"] = location
                await route.fulfill(status=200, content_type="text/html", body="<html></html>")
            else:  # refused: keep the error page, and let the browser show it as usual
                self._landed["html"] = await response.text()
                self._landed["status"] = str(response.status)
                await route.fulfill(response=response)
            await release_body(response)
        except PlaywrightError as exc:
            self._landed["error"] = str(exc).splitlines()[0]
            with contextlib.suppress(PlaywrightError):
                await route.abort()
        finally:
            self._posted.set()

    async def _submit_and_read_back(
        self, page: Page, step: str, values: object, script: str = pages.FILL_AND_SUBMIT_JS
    ) -> str:
        self._landed = {}
        self._posted.clear()
        self._post_sent = False
        # The answer to the POST is handed to the page as a navigation; until that commits,
        # the page's next goto would be interrupted by it. Watch for it before submitting.
        committed = asyncio.ensure_future(
            page.wait_for_event(
                "framenavigated",
                lambda frame: frame == page.main_frame,
                timeout=self._settings.timeout_s * 1000,
            )
        )
        try:
            return await self._post_and_answer(page, step, values, script)
        finally:
            await self._settled(committed)

    async def _settled(self, committed: asyncio.Future) -> None:  # type: ignore[type-arg]
        """Wait until an answered POST has landed in the page. Never an error of the write:
        its outcome is known by now, and a page that never commits costs the next read a try.
        """
        try:
            if self._posted.is_set() and "error" not in self._landed:
                await asyncio.wait([committed])  # bounded by the event's own timeout
        finally:
            if not committed.done():
                committed.cancel()
            elif not committed.cancelled():
                committed.exception()  # a timeout here is not news: retrieve and drop it

    async def _post_and_answer(self, page: Page, step: str, values: object, script: str) -> str:
        filled = await self._guard(step, page.evaluate(script, values))
        if not filled:
            pages.check_screen(await page.content(), step)  # raises if it knows why
            raise UnexpectedScreen("beslutsformuläret saknas", system=SYSTEM, step=step)
        try:
            # route.fetch gives up after the context's timeout; allow it that, and a margin.
            await asyncio.wait_for(self._posted.wait(), self._settings.timeout_s + 5)
        except TimeoutError:
            if self._post_sent:
                self._note(WriteOutcomeUnknown("inget svar på sparandet", system=SYSTEM))
                raise WriteOutcomeUnknown(
                    "formuläret skickades men svaret kom inte i tid", system=SYSTEM, step=step
                ) from None
            raise LegacyTimeout(
                "formuläret skickades inte i tid", system=SYSTEM, step=step
            ) from None
        if "error" in self._landed:
            exc = WriteOutcomeUnknown(
                f"formuläret skickades men svaret uteblev: {self._landed['error']}",
                system=SYSTEM,
                step=step,
            )
            self._note(exc)
            raise exc
        if int(self._landed.get("status", "0")) >= 500:
            exc = WriteOutcomeUnknown(
                f"formuläret skickades och ärendesystemet svarade {self._landed['status']}",
                system=SYSTEM,
                step=step,
            )
            self._note(exc)
            raise exc
        self._note(None)
        if "location" not in self._landed:
            return self._landed.get("html", "")
        return await self.read(self._landed["location"], "verifiering")

    # -- plumbing --------------------------------------------------------------------------


def raise_if_refused(html: str, what: str, step: str) -> None:
    """Raise if the page after a form post is the case system's refusal.

    A refusal of the values (an amount the system does not accept, say) cannot be cured by
    trying again: it goes to a caseworker. A refusal of the form's mechanics (a stale
    form token) is an application error: a fresh form may pass.
    """
    err = pages.error_text(html)
    if err is None:
        return
    if pages.is_technical_refusal(err):
        raise UnexpectedScreen(f"{what}: {err}", system=SYSTEM, step=step)
    raise BusinessException(ReasonCode.CASE_SYSTEM_REFUSED, f"{what}: {err}")


#: The decision and payment forms' URLs (their GET passes through, their POST is captured).
#: A pattern, so the driver matches it and no other request is handed to Python.
DECISION_POST = re.compile(r"/(beslut|utbetalning)(\?.*)?$")
