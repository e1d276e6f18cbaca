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

from caserobot import outcomes
from caserobot.exceptions import (
    BusinessException,
    LegacySystemUnavailable,
    LegacyTimeout,
    ReasonCode,
    SessionExpired,
    SystemDown,
    UnexpectedScreen,
    WriteOutcomeUnknown,
)
from caserobot.legacy.breaker import CircuitBreaker
from caserobot.legacy.casesystem import pages
from caserobot.legacy.casesystem.pages import SYSTEM, CaseRecord, Pupil, School
from caserobot.settings import CaseSystemSettings

Mode = Literal["fast", "classic"]

#: Tries of a screen that is only read, when the system answers 5xx or not in time.
READ_TRIES = 3
#: Longest wait between two tries of a read, whatever Retry-After says (seconds).
MAX_READ_WAIT_S = 5.0


class CaseSystemSession:
    """A seat in the case system. Use ``async with`` or :meth:`open`/:meth:`close`."""

    def __init__(
        self,
        browser: Browser,
        settings: CaseSystemSettings,
        *,
        mode: Mode = "fast",
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._browser = browser
        self._settings = settings
        self.mode: Mode = mode
        self._breaker = breaker
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._schools: dict[str, School] | None = None
        self.pages = 0  # requests to the UI made by this session, rendered or fetched
        self._landed: dict[str, str] = {}
        self._posted = asyncio.Event()
        self._post_sent = False

    @property
    def username(self) -> str:
        """The robot's account: decisions it wrote name it as their author."""
        return self._settings.username

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
        try:
            await self.login()
        except BaseException:
            await self.close()  # log out whatever half-opened, else it holds a licence
            raise

    def _count_request(self, request: object) -> None:
        self.pages += 1

    async def login(self) -> None:
        """Log in on this seat; succeed only when the page header names our account.

        A 5xx or maintenance page, on the form or after posting it, is the system being
        unavailable (retried later), never taken as a login.
        """
        step = "inloggning"
        page = self._require_page()
        await self._guard(step, page.goto(pages.LOGIN_PATH))
        if await page.query_selector(pages.LOGIN_PASSWORD) is None:
            pages.check_screen(await page.content(), step)  # e.g. no seat
            raise UnexpectedScreen("inloggningsformuläret saknas", system=SYSTEM, step=step)
        await page.fill(pages.LOGIN_USER, self._settings.username)
        await page.fill(pages.LOGIN_PASSWORD, self._settings.password.get_secret_value())
        async with page.expect_navigation() as navigation:
            await self._guard(step, page.click(pages.LOGIN_SUBMIT))
        await self._guard(step, navigation.value)
        html = await page.content()
        if pages.logged_in_as(html) == self._settings.username:
            return
        try:
            pages.check_screen(html, step)  # no free seat: NoFreeSeat
        except SessionExpired:
            raise UnexpectedScreen(
                "inloggningen nekades: kontrollera robotens konto", system=SYSTEM, step=step
            ) from None
        raise UnexpectedScreen("inloggningen gav ingen inloggad sida", system=SYSTEM, step=step)

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
            resp = await self._sent_write(
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
        raise_if_refused(html, "ärendet kunde inte skapas", step)
        return pages.parse_case(html)

    async def write_decision(self, case_id: str, outcome: str, motivering: str) -> CaseRecord:
        """Fill and submit the decision form in the real browser; return the case after it.

        The form computes a hidden control field in JavaScript and asks for confirmation,
        so it cannot be posted without rendering it.
        """
        step = "beslut"
        page = self._require_page()
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

    async def _post_and_answer(
        self, page: Page, step: str, values: object, script: str
    ) -> str:
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
        return await self._read(self._landed["location"], "verifiering")

    # -- plumbing --------------------------------------------------------------------------

    async def _read(self, path: str, step: str) -> str:
        """A screen that is only read: safe to try again on 5xx, timeouts and expiry."""
        relogged = False
        tries = 0
        while True:
            tries += 1
            try:
                html = await self._fetch(path, step)
                pages.check_screen(html, step)
                return html
            except SessionExpired:
                if relogged:
                    raise
                relogged = True
                await self.login()  # idle timeout: log in again once, then re-read
            except (LegacySystemUnavailable, LegacyTimeout) as exc:
                if isinstance(exc, SystemDown) or tries >= READ_TRIES:
                    raise
                wait = getattr(exc, "retry_after_s", None) or 0.3 * 2 ** (tries - 1)
                await asyncio.sleep(min(wait, MAX_READ_WAIT_S))

    async def _fetch(self, path: str, step: str) -> str:
        if self.mode == "classic":
            page = self._require_page()
            await self._guard(step, page.goto(path))
            return await page.content()
        self.pages += 1
        resp = await self._guard(step, self._require_context().request.get(path))
        return await resp.text()

    async def _sent_write(self, step: str, awaitable):  # type: ignore[no-untyped-def]
        """Await a write's request: once it may have reached the system, a failure to hear
        back is :class:`WriteOutcomeUnknown` (resolved by reading back), never a plain error.
        """
        try:
            return await self._guard(step, awaitable)
        except SystemDown:
            raise  # not sent
        except (LegacySystemUnavailable, LegacyTimeout) as exc:
            raise WriteOutcomeUnknown(
                f"skrivningen skickades men utfallet är okänt: {exc.detail}",
                system=SYSTEM,
                step=step,
            ) from exc

    async def _guard(self, step: str, awaitable):  # type: ignore[no-untyped-def]
        """Await a browser call through the breaker; map failures to application errors.

        A response with a 5xx status is the system failing (with its Retry-After, if any).
        """
        probe = False
        if self._breaker is not None:
            try:
                probe = self._breaker.before_call()
            except SystemDown:
                if asyncio.iscoroutine(awaitable):
                    awaitable.close()
                raise
        try:
            try:
                result = await awaitable
            except PlaywrightTimeout as exc:
                raise LegacyTimeout(
                    "ärendesystemet svarade inte i tid", system=SYSTEM, step=step
                ) from exc
            except PlaywrightError as exc:
                message = str(exc).splitlines()[0]
                raise LegacySystemUnavailable(message, system=SYSTEM, step=step) from exc
            status = getattr(result, "status", None)
            if isinstance(status, int) and status >= 500:
                exc = LegacySystemUnavailable(f"svarade {status}", system=SYSTEM, step=step)
                exc.retry_after_s = _retry_after(result)  # type: ignore[attr-defined]
                raise exc
        except BaseException as exc:
            if self._breaker is not None:
                self._breaker.failure(exc, probe)
            raise
        if self._breaker is not None:
            self._breaker.success(probe)
        return result

    def _note(self, exc: BaseException | None) -> None:
        """Tell the breaker how a write that bypassed :meth:`_guard` went."""
        if self._breaker is None:
            return
        if exc is None:
            self._breaker.success()
        else:
            self._breaker.failure(exc)

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


def _retry_after(response: object) -> float | None:
    headers = getattr(response, "headers", None) or {}
    try:
        value = float(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def _is_decision_post(url: str) -> bool:
    return url.split("?")[0].endswith(("/beslut", "/utbetalning"))


def _is_decoration(url: str) -> bool:
    return url.split("?")[0].endswith((".css", ".png", ".gif", ".jpg", ".svg", ".ico", ".woff2"))
