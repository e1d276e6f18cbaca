"""A seat's sessions in the web systems a case type brings (issue 8), on a real stand-in.

The case-system stand-in plays the part of "another web system" here: the core must open
a session in it through :class:`caserobot.legacy.web.WebSession` and the settings'
``web_system(name, defaults)``, keep it for the seat, and log it out when the seat ends.
"""

from __future__ import annotations

import asyncio

import pytest

from caserobot.cases import SeatSessions
from caserobot.discovery import CaseTypePackage, WebSystem
from caserobot.exceptions import ConfigurationError, NoFreeSeat, UnexpectedScreen
from caserobot.legacy import browser as chromium
from caserobot.legacy.casesystem import CaseSystemSession
from caserobot.settings import CaseSystemSettings
from tests.fixtures.platform import apply_standins_env

pytestmark = [pytest.mark.browser]


def _run(standins, monkeypatch, body):  # type: ignore[no-untyped-def]
    settings = apply_standins_env(standins, monkeypatch)
    monkeypatch.setenv("CASEROBOT_WEB_SYSTEMS__ELEVREG__SEAT_LIMIT", "1")
    settings = type(settings)()
    web = settings.web_system("elevreg", {"base_url": standins.case_system_url, "timeout_s": 5})
    assert web.seat_limit == 1  # the environment wins over the package's defaults

    async def main() -> None:
        pw, browser = await chromium.launch(settings.browser)
        try:

            def open_session(name: str) -> CaseSystemSession:
                assert name == "elevreg"
                return CaseSystemSession(browser, CaseSystemSettings(**web.model_dump()))

            await body(SeatSessions(open_session))
        finally:
            await chromium.shutdown(pw, browser)

    asyncio.run(main())


def test_a_seat_opens_its_session_once_and_logs_it_out(fresh_standins, monkeypatch) -> None:
    def logins() -> int:
        return int(fresh_standins.stats("case_system")["login_requests"])

    async def body(seat: SeatSessions) -> None:
        first = await seat.get("elevreg")
        after_login = logins()
        again = await seat.get("elevreg")
        assert first is again
        html = await first.read("/", "start")
        assert first.logged_in_as(html) == first.username
        assert logins() == after_login  # the second item of the seat did not log in again
        await seat.aclose()
        assert logins() > after_login  # logged out

    _run(fresh_standins, monkeypatch, body)
    # The seat was given back: with one licence left, a new session gets it.
    fresh_standins.configure("case_system", seats=1)

    async def again(seat: SeatSessions) -> None:
        await seat.get("elevreg")
        await seat.aclose()

    _run(fresh_standins, monkeypatch, again)


def test_a_renewed_context_keeps_the_seat_logged_in(fresh_standins, monkeypatch) -> None:
    """The seat moves to a fresh browser context on the same server session: no new login,
    the old context is closed, and the session still reads as the robot."""

    def logins() -> int:
        return int(fresh_standins.stats("case_system")["login_requests"])

    async def body(seat: SeatSessions) -> None:
        session = await seat.get("elevreg")
        old_context = session._context
        after_login = logins()
        await seat.renew_contexts()
        assert session.renewals == 1 and session._context is not old_context
        assert old_context not in session._browser.contexts  # closed: its objects let go
        html = await session.read("/", "start")
        assert session.logged_in_as(html) == session.username
        assert logins() == after_login  # the same server session: no login, no new licence
        await seat.aclose()

    fresh_standins.configure("case_system", seats=1)
    _run(fresh_standins, monkeypatch, body)


def test_no_free_seat_in_the_other_system_is_transient(fresh_standins, monkeypatch) -> None:
    fresh_standins.configure("case_system", seats=2, seats_taken=2)

    async def body(seat: SeatSessions) -> None:
        with pytest.raises(NoFreeSeat):
            await seat.get("elevreg")
        assert seat.pages() == 0
        await seat.aclose()

    _run(fresh_standins, monkeypatch, body)


def test_a_package_names_only_its_own_web_systems() -> None:
    package = CaseTypePackage(
        name="demo",
        rules=None,
        handler="x:Y",
        profile={},
        web_systems={"elevreg": WebSystem("caserobot.legacy.casesystem:CaseSystemSession")},
    )
    assert package.web_session_class("elevreg") is CaseSystemSession
    with pytest.raises(ConfigurationError, match="inget webbsystem heter 'betyg'"):
        package.web_session_class("betyg")


def test_the_case_search_finds_a_persons_cases_of_any_type(fresh_standins, monkeypatch) -> None:
    """An adult with no pupil page (a Komvux applicant) has cases the robot must find again:
    the generic case search lists them, so creating one is never done twice."""
    settings = apply_standins_env(fresh_standins, monkeypatch)
    generated = fresh_standins.generate(1, seed=5, malformed_share=0.0, type="komvux")
    url = f"{fresh_standins.eservice_url}/api/applications/{generated['ids'][0]}"
    app = fresh_standins.http.get(url).json()
    pnr12 = app["applicant"]["personnummer"].replace("-", "")

    async def main() -> None:
        pw, browser = await chromium.launch(settings.browser)
        try:
            async with CaseSystemSession(browser, settings.case_system) as session:
                assert await session.cases_of(pnr12) == ()
                case = await session.create_case(pnr12, "komvux", f"{app['id']}/1")
                [found] = await session.cases_of(pnr12)
                assert (found.case_id, found.extern_ref) == (case.case_id, f"{app['id']}/1")
                with pytest.raises(UnexpectedScreen, match="godtog inte personnumret"):
                    await session.cases_of("199001011234")
        finally:
            await chromium.shutdown(pw, browser)

    asyncio.run(main())
