"""A seat in a legacy system's web UI: log in, read screens, guard every call.

What every such system shares lives here: a browser context per seat (its own cookies),
the login form, reading a screen with retries on 5xx, timeouts and an expired session,
the circuit breaker around every call, and the two ways of reading (``fast``: fetched
through the context's session and parsed; ``classic``: rendered, as a classic robot does).
What a system's screens look like is its subclass's: :meth:`WebSession.check_screen` (a
screen that says "no free seat" or "log in again") and :meth:`WebSession.logged_in_as`.

The case system (:class:`caserobot.legacy.casesystem.CaseSystemSession`) is one such
system; a case type brings its own for a system only it uses (say, a school register),
with the settings of :class:`caserobot.settings.WebSystemSettings`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

from playwright.async_api import Browser, BrowserContext, Page
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from caserobot.exceptions import (
    LegacySystemUnavailable,
    LegacyTimeout,
    SessionExpired,
    SystemDown,
    UnexpectedScreen,
    WriteOutcomeUnknown,
)
from caserobot.legacy.breaker import CircuitBreaker
from caserobot.personnummer import mask
from caserobot.settings import WebSystemSettings

Mode = Literal["fast", "classic"]

#: Tries of a screen that is only read, when the system answers 5xx or not in time.
READ_TRIES = 3
#: Longest wait between two tries of a read, whatever Retry-After says (seconds).
MAX_READ_WAIT_S = 5.0


@dataclass(frozen=True)
class LoginForm:
    """Where the login form is and what its fields are (CSS selectors)."""

    path: str = "/login"
    user: str = "input[name=username]"
    password: str = "input[name=password]"  # nosec B105  # a CSS selector, not a password
    submit: str = "form [type=submit]"
    logout_path: str = "/logout"


class PageLock:
    """A seat's browser page, used by one item at a time; re-entrant within an asyncio task
    (a write that reads back, and a read that logs in again, inside one item's call).

    A seat may work on more than one item side by side (``work.items_per_seat``): what they
    read is fetched through the session and needs no page, but a form filled in the page,
    a login or a move to a new context must not interleave with another item's.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        me = asyncio.current_task()
        if me is not None and self._owner is me:
            yield
            return
        async with self._lock:
            self._owner = me
            try:
                yield
            finally:
                self._owner = None


class WebSession:
    """A seat (one session licence) in a legacy web UI. Use ``async with`` or open/close.

    Subclasses set :attr:`SYSTEM` (its Swedish name, for messages) and :attr:`LOGIN`, and
    implement :meth:`check_screen` and :meth:`logged_in_as`.
    """

    SYSTEM: ClassVar[str] = "webbsystemet"
    LOGIN: ClassVar[LoginForm] = LoginForm()

    def __init__(
        self,
        browser: Browser,
        settings: WebSystemSettings,
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
        self.pages = 0  # requests to the UI made by this session, rendered or fetched
        self.renewals = 0  # times the seat moved to a fresh browser context (renew_context)
        self.page_lock = PageLock()  # the page: one item's form, login or renewal at a time
        self._logins = 0  # logins done: an item that found the session expired logs in
        # again only if no other item of the seat has done so meanwhile
        self._last_read: str | None = None  # the last screen read without rendering (fast)

    # -- what a system's screens say (its subclass) -----------------------------------------

    def check_screen(self, html: str, step: str) -> Any:
        """Raise NoFreeSeat or SessionExpired if the page says so; else return the parsed
        page (whatever the subclass parses with)."""
        raise NotImplementedError

    def logged_in_as(self, html: str) -> str | None:
        """The account the page header names, or None when it shows no login."""
        raise NotImplementedError

    async def after_open(self, context: BrowserContext) -> None:
        """Set up a new context before it is used (routes a subclass needs); nothing here."""

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def username(self) -> str:
        """The robot's account: what it writes names it as the author."""
        return self._settings.username

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        await self._new_context()
        try:
            await self.login()
        except BaseException:
            await self.close()  # log out whatever half-opened, else it holds a licence
            raise

    async def renew_context(self) -> None:
        """Move the seat to a fresh browser context on the same server session.

        The old context's cookies (the legacy system's session) go to the new one, so the
        seat stays logged in and holds its licence throughout; the old context is closed
        without logging out. Chromium and Playwright then let go of everything they held
        for the old one (pages, frames, requests, routes), which would otherwise grow with
        every item. If the system has ended the session meanwhile, the next read logs in
        again as after any idle timeout.
        """
        async with self.page_lock():
            await self._renew_context()

    async def _renew_context(self) -> None:
        old = self._require_context()
        try:
            await self._new_context(storage_state=await old.storage_state())
        except PlaywrightError as exc:  # the old context stays in use
            raise LegacySystemUnavailable(
                f"ny webbläsarkontext kunde inte öppnas: {str(exc).splitlines()[0]}",
                system=self.SYSTEM,
                step="ny kontext",
            ) from exc
        with contextlib.suppress(PlaywrightError):
            await old.close()
        self.renewals += 1

    async def _new_context(self, storage_state: Any = None) -> None:
        """A context set up for this system; the session's only once complete. Its page is
        opened when something needs one (:meth:`_use_page`)."""
        context = await self._browser.new_context(
            base_url=self._settings.base_url, storage_state=storage_state
        )
        try:
            context.set_default_timeout(self._settings.timeout_s * 1000)
            if self.mode == "fast":
                # A robot needs the DOM and the scripts, not the looks: skip what only paints.
                await context.route(DECORATION, lambda route: route.abort())
            await self.after_open(context)
        except BaseException:
            with contextlib.suppress(PlaywrightError):
                await context.close()
            raise
        self._context, self._page = context, None

    async def _use_page(self) -> Page:
        """The session's page, opened if it has none. Call it holding :attr:`page_lock`.

        A page is a renderer process of Chromium's (about 25–30 MB): a fast session reads
        through its session and needs one only for a login or a form, so it closes the page
        after logging in (:meth:`_release_page`) and a system the robot only reads holds
        none.
        """
        if self._page is not None and not self._page.is_closed():
            return self._page
        page = await self._require_context().new_page()
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        # Screens the session was served: the page's navigations here, fetches in _fetch.
        # Not a "request" listener: that hands every request (scripts too) to Python.
        page.on("framenavigated", self._count_navigation)
        self._page = page
        return page

    async def _release_page(self) -> None:
        page, self._page = self._page, None
        if page is not None:
            with contextlib.suppress(PlaywrightError):
                await page.close()

    def _count_navigation(self, frame: Any) -> None:
        if frame.parent_frame is None:
            self.pages += 1

    async def login(self) -> None:
        """Log in on this seat; succeed only when the page header names our account.

        A 5xx or maintenance page, on the form or after posting it, is the system being
        unavailable (retried later), never taken as a login.
        """
        async with self.page_lock():
            await self._login()
            self._logins += 1
            if self.mode == "fast":
                await self._release_page()

    async def _relogin(self, seen: int) -> None:
        """Log in again after the session expired, unless another item of the seat has,
        since this one saw ``seen`` logins."""
        async with self.page_lock():
            if self._logins == seen:
                await self._login()
                self._logins += 1
                if self.mode == "fast":
                    await self._release_page()

    async def _login(self) -> None:
        step = "inloggning"
        page = await self._use_page()
        form = self.LOGIN
        await self._guard(step, page.goto(form.path))
        if await page.query_selector(form.password) is None:
            self.check_screen(await page.content(), step)  # e.g. no seat
            raise UnexpectedScreen("inloggningsformuläret saknas", system=self.SYSTEM, step=step)
        await page.fill(form.user, self._settings.username)
        await page.fill(form.password, self._settings.password.get_secret_value())
        async with page.expect_navigation() as navigation:
            await self._guard(step, page.click(form.submit))
        await self._guard(step, navigation.value)
        html = await page.content()
        if self.logged_in_as(html) == self._settings.username:
            return
        try:
            self.check_screen(html, step)  # no free seat: NoFreeSeat
        except SessionExpired:
            raise UnexpectedScreen(
                "inloggningen nekades: kontrollera robotens konto", system=self.SYSTEM, step=step
            ) from None
        raise UnexpectedScreen(
            "inloggningen gav ingen inloggad sida", system=self.SYSTEM, step=step
        )

    async def close(self) -> None:
        async with self.page_lock():
            if self._context is None:
                return
            with contextlib.suppress(PlaywrightError):  # else the session timeout frees it
                await release_body(await self._context.request.get(self.LOGIN.logout_path))
            await self._context.close()
            self._context = self._page = None

    # -- reading ---------------------------------------------------------------------------

    async def read(self, path: str, step: str) -> str:
        """A screen that is only read: safe to try again on 5xx, timeouts and expiry."""
        relogged = False
        tries = 0
        while True:
            tries += 1
            logins = self._logins
            try:
                html = await self._fetch(path, step)
                self.check_screen(html, step)
                return html
            except SessionExpired:
                if relogged:
                    raise
                relogged = True
                await self._relogin(logins)  # idle timeout: log in again once, then re-read
            except (LegacySystemUnavailable, LegacyTimeout) as exc:
                if isinstance(exc, SystemDown) or tries >= READ_TRIES:
                    raise
                wait = getattr(exc, "retry_after_s", None) or 0.3 * 2 ** (tries - 1)
                await asyncio.sleep(min(wait, MAX_READ_WAIT_S))

    async def _fetch(self, path: str, step: str) -> str:
        if self.mode == "classic":
            async with self.page_lock():
                page = await self._use_page()
                await self._guard(step, page.goto(path))
                return await page.content()
        self.pages += 1
        resp = await self._guard(step, self._require_context().request.get(path))
        try:
            self._last_read = html = await resp.text()
        finally:
            await release_body(resp)
        return html

    async def screenshots(self, stem: Path) -> list[Path]:
        """What the session last showed, as PNG files ``<stem>-*.png``, for a failure's log.

        The browser's page (forms, and every screen in classic mode) and, in fast mode, the
        last screen read without rendering. Both are rendered from their HTML in a page of
        their own, with every personnummer masked, so the seat's page is never touched.
        Best effort: a closed session or a failing browser gives fewer files, never an error.
        """
        screens: list[tuple[str, str]] = []
        if self._context is None:
            return []
        with contextlib.suppress(PlaywrightError):
            async with self.page_lock():
                if self._page is not None and self._page.url not in ("", "about:blank"):
                    screens.append(("sida", await self._page.content()))
        if self._last_read is not None:
            screens.append(("senast-last", self._last_read))
        taken: list[Path] = []
        base = f'<base href="{self._settings.base_url.rstrip("/")}/">'
        for name, html in screens:
            page = await self._context.new_page()
            try:
                with contextlib.suppress(PlaywrightError):
                    await page.set_content(base + mask(html), timeout=5000)
                    path = stem.with_name(f"{stem.name}-{name}.png")
                    await page.screenshot(path=path, full_page=True, timeout=5000)
                    taken.append(path)
            finally:
                with contextlib.suppress(PlaywrightError):
                    await page.close()
        return taken

    # -- plumbing --------------------------------------------------------------------------

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
                system=self.SYSTEM,
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
                    f"{self.SYSTEM} svarade inte i tid", system=self.SYSTEM, step=step
                ) from exc
            except PlaywrightError as exc:
                message = str(exc).splitlines()[0]
                raise LegacySystemUnavailable(message, system=self.SYSTEM, step=step) from exc
            status = getattr(result, "status", None)
            if isinstance(status, int) and status >= 500:
                exc = LegacySystemUnavailable(f"svarade {status}", system=self.SYSTEM, step=step)
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

    def _require_context(self) -> BrowserContext:
        if self._context is None:
            raise UnexpectedScreen("sessionen är inte öppen", system=self.SYSTEM)
        return self._context


async def release_body(response: Any) -> None:
    """Let Playwright's driver drop a fetched response's body now; it keeps every body until
    this or until the context closes (Playwright's documented behaviour), so between two
    context renewals the driver would hold every screen a seat read."""
    with contextlib.suppress(PlaywrightError):
        await response.dispose()


def _retry_after(response: object) -> float | None:
    headers = getattr(response, "headers", None) or {}
    try:
        value = float(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


#: What only paints (fast mode aborts it). A pattern, not a callable: Playwright's driver
#: matches it, so no other request is stopped and handed to Python (each such hand-off costs
#: Chromium, the driver and Python CPU, and keeps a Route object alive until the context
#: closes).
DECORATION = re.compile(r"\.(css|png|gif|jpg|svg|ico|woff2)(\?.*)?$")
