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
from typing import Literal

from playwright.async_api import Browser, BrowserContext, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from caserobot.exceptions import (
    LegacySystemUnavailable,
    LegacyTimeout,
    SessionExpired,
    UnexpectedScreen,
)
from caserobot.legacy.casesystem import pages
from caserobot.legacy.casesystem.pages import SYSTEM, CaseRecord, Pupil, School
from caserobot.settings import CaseSystemSettings

Mode = Literal["fast", "classic"]


class CaseSystemSession:
    """A seat in the case system. Use ``async with`` or :meth:`open`/:meth:`close`."""

    def __init__(
        self, browser: Browser, settings: CaseSystemSettings, *, mode: Mode = "fast"
    ) -> None:
        self._browser = browser
        self._settings = settings
        self.mode: Mode = mode
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._schools: dict[str, School] | None = None
        self.pages = 0  # requests to the UI made by this session, rendered or fetched
        self._landed: dict[str, str] = {}
        self._posted = asyncio.Event()

    async def __aenter__(self) -> CaseSystemSession:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        timeout_ms = self._settings.timeout_s * 1000
        self._context = await self._browser.new_context(base_url=self._settings.base_url)
        self._context.set_default_timeout(timeout_ms)
        self._page = await self._context.new_page()
        if self.mode == "fast":
            # A robot needs the DOM and the scripts, not the looks: skip what only paints.
            await self._context.route(_is_decoration, lambda route: route.abort())
            await self._page.route(_is_decision_post, self._capture_decision_post)
        self._page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        self._page.on("request", self._count_request)
        await self.login()

    def _count_request(self, request: object) -> None:
        self.pages += 1

    async def login(self) -> None:
        page = self._require_page()
        await self._guard("inloggning", page.goto(pages.LOGIN_PATH))
        await page.fill(pages.LOGIN_USER, self._settings.username)
        await page.fill(pages.LOGIN_PASSWORD, self._settings.password.get_secret_value())
        await self._guard("inloggning", page.click(pages.LOGIN_SUBMIT))
        await page.wait_for_load_state()
        pages.check_screen(await page.content(), "inloggning")

    async def close(self) -> None:
        if self._context is None:
            return
        with contextlib.suppress(PlaywrightError):  # else the session timeout frees the seat
            await self._context.request.get("/logout")
        await self._context.close()
        self._context = self._page = None

    # -- reading ---------------------------------------------------------------------------

    async def pupil(self, pnr12: str) -> Pupil | None:
        return pages.parse_pupil(await self._read(f"/elev?pnr={pnr12}", "elevsida"), pnr12)

    async def schools(self) -> dict[str, School]:
        if self._schools is None:
            self._schools = pages.parse_schools(await self._read("/skolor", "skolor"))
        return self._schools

    async def case(self, case_id: str) -> CaseRecord:
        return pages.parse_case(await self._read(f"/arende/{case_id}", "ärendesida"))

    # -- writing ---------------------------------------------------------------------------

    async def create_case(self, pnr12: str, case_type: str, extern_ref: str) -> CaseRecord:
        """Create a case. The caller must have checked that none exists (see cases/)."""
        step = "nytt ärende"
        if self.mode == "classic":
            page = self._require_page()
            await self._guard(step, page.goto(f"/arende/ny?pnr={pnr12}"))
            pages.check_screen(await page.content(), step)
            form = pages.NEW_CASE_FORM
            await page.select_option(f"{form} select[name=arendetyp]", case_type)
            await page.fill(f"{form} input[name=extern_ref]", extern_ref)
            await self._guard(step, page.click(f"{form} [type=submit]"))
            await page.wait_for_load_state()
            html = await page.content()
        else:
            token = pages.parse_formtoken(
                await self._read(f"/arende/ny?pnr={pnr12}", step), pages.NEW_CASE_FORM, step
            )
            context = self._require_context()
            data = {
                "pnr": pnr12,
                "arendetyp": case_type,
                "extern_ref": extern_ref,
                "formtoken": token,
            }
            self.pages += 1
            # The redirect names the new case; a new case has nothing to read yet.
            resp = await self._guard(
                step, context.request.post("/arende/ny", form=data, max_redirects=0)
            )
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
        if (err := pages.error_text(html)) is not None:
            raise UnexpectedScreen(f"ärendet kunde inte skapas: {err}", system=SYSTEM, step=step)
        return pages.parse_case(html)

    async def write_decision(self, case_id: str, outcome: str, motivering: str) -> CaseRecord:
        """Fill and submit the decision form in the real browser; return the case after it.

        The form computes a hidden control field in JavaScript and asks for confirmation,
        so it cannot be posted without rendering it.
        """
        step = "beslut"
        page = self._require_page()
        outcome_value = pages.OUTCOME_VALUES[outcome]
        await self._guard(step, page.goto(f"/arende/{case_id}/beslut", wait_until=self._wait_until))
        if self.mode == "classic":
            pages.check_screen(await page.content(), step)
            await page.select_option(pages.DECISION_OUTCOME, outcome_value)
            await page.fill(pages.DECISION_TEXT, motivering)
            async with page.expect_navigation():
                await self._guard(step, page.click(pages.DECISION_SUBMIT))
            html = await page.content()
        else:
            # One round trip: the page fills the form (input/change events fire) and submits
            # it through its own handler, which computes the control field and asks confirm().
            html = await self._submit_and_read_back(page, step, [outcome_value, motivering])
        if (err := pages.error_text(html)) is not None:
            raise UnexpectedScreen(f"beslutet sparades inte: {err}", system=SYSTEM, step=step)
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
        try:
            response = await route.fetch(max_redirects=0)
            location = response.headers.get("location")
            if response.status in (302, 303) and location:
                self._landed["location"] = location
                await route.fulfill(status=200, content_type="text/html", body="<html></html>")
            else:  # refused: keep the error page, and let the browser show it as usual
                self._landed["html"] = await response.text()
                await route.fulfill(response=response)
        except PlaywrightError as exc:
            self._landed["error"] = str(exc).splitlines()[0]
        finally:
            self._posted.set()

    async def _submit_and_read_back(
        self, page: Page, step: str, values: object, script: str = pages.FILL_AND_SUBMIT_JS
    ) -> str:
        self._landed = {}
        self._posted.clear()
        filled = await self._guard(step, page.evaluate(script, values))
        if not filled:
            pages.check_screen(await page.content(), step)  # raises if it knows why
            raise UnexpectedScreen("beslutsformuläret saknas", system=SYSTEM, step=step)
        try:
            await asyncio.wait_for(self._posted.wait(), self._settings.timeout_s)
        except TimeoutError:
            raise LegacyTimeout("beslutet skickades inte i tid", system=SYSTEM, step=step) from None
        if "error" in self._landed:
            raise LegacySystemUnavailable(self._landed["error"], system=SYSTEM, step=step)
        if "location" not in self._landed:
            return self._landed.get("html", "")
        return await self._read(self._landed["location"], "verifiering")

    # -- plumbing --------------------------------------------------------------------------

    async def _read(self, path: str, step: str) -> str:
        for attempt in (1, 2):
            if self.mode == "classic":
                page = self._require_page()
                await self._guard(step, page.goto(path))
                html = await page.content()
            else:
                self.pages += 1
                resp = await self._guard(step, self._require_context().request.get(path))
                if resp.status >= 500:
                    raise LegacySystemUnavailable(
                        f"svarade {resp.status}", system=SYSTEM, step=step
                    )
                html = await resp.text()
            try:
                pages.check_screen(html, step)
            except SessionExpired:
                if attempt == 2:
                    raise
                await self.login()  # idle timeout: log in again once, then re-read
                continue
            return html
        raise AssertionError("unreachable")  # pragma: no cover

    async def _guard(self, step: str, awaitable):  # type: ignore[no-untyped-def]
        try:
            return await awaitable
        except PlaywrightTimeout as exc:
            raise LegacyTimeout(
                "ärendesystemet svarade inte i tid", system=SYSTEM, step=step
            ) from exc
        except PlaywrightError as exc:
            message = str(exc).splitlines()[0]
            raise LegacySystemUnavailable(message, system=SYSTEM, step=step) from exc

    @property
    def _wait_until(self) -> Literal["load", "domcontentloaded"]:
        return "domcontentloaded" if self.mode == "fast" else "load"

    def _require_page(self) -> Page:
        if self._page is None:
            raise UnexpectedScreen("sessionen är inte öppen", system=SYSTEM)
        return self._page

    def _require_context(self) -> BrowserContext:
        if self._context is None:
            raise UnexpectedScreen("sessionen är inte öppen", system=SYSTEM)
        return self._context


def _is_decision_post(url: str) -> bool:
    return url.split("?")[0].endswith(("/beslut", "/utbetalning"))


def _is_decoration(url: str) -> bool:
    return url.split("?")[0].endswith((".css", ".png", ".gif", ".jpg", ".svg", ".ico", ".woff2"))
