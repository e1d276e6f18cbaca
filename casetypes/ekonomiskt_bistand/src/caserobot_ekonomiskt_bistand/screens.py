"""The case system's social-services screens (ekonomiskt bistånd), on a seat's session.

A small companion of :class:`CaseSystemSession`: it reads through the session (same seat,
same re-login on expiry) and writes the decision and the payment order the way the
skolskjuts decision is written: the page's own submit handler computes the control field and
asks confirm(), the POST is passed through, and the saved case is read back by fetch.
"""

from __future__ import annotations

from playwright.async_api import TimeoutError as PlaywrightTimeout

from caserobot.exceptions import LegacyTimeout, WriteOutcomeUnknown
from caserobot.legacy.casesystem.pages import SYSTEM
from caserobot.legacy.casesystem.session import CaseSystemSession, raise_if_refused
from caserobot_ekonomiskt_bistand import pages as sp


class SocialServicesScreens:
    def __init__(self, session: CaseSystemSession) -> None:
        self.session = session

    async def household(self, pnr12: str) -> sp.Household | None:
        html = await self.session.read(sp.HOUSEHOLD_BY_PNR.format(pnr=pnr12), "hushållssida")
        return sp.parse_household(html)

    async def previous_decisions(self, number: str) -> list[sp.PreviousDecision]:
        html = await self.session.read(sp.HISTORY.format(number=number), "beslutshistorik")
        return sp.parse_history(html)

    async def labour_market_plan(self, number: str) -> list[sp.PlanRow]:
        html = await self.session.read(sp.PLANNING.format(number=number), "planering")
        return sp.parse_planning(html)

    async def rent_caps(self) -> list[sp.RentCap]:
        return sp.parse_rent_caps(await self.session.read(sp.RENT_CAPS, "hyresnormer"))

    async def case(self, case_id: str) -> sp.EbCase:
        return sp.parse_eb_case(await self.session.read(f"/arende/{case_id}", "ärendesida"))

    async def write_decision(
        self, case_id: str, outcome: str, amount: int, month: str, motivering: str
    ) -> sp.EbCase:
        """Fill and submit the EB decision form in the browser; return the case after it."""
        values = {
            "utfall": sp.OUTCOME_VALUES[outcome],
            "belopp": str(amount) if outcome == "granted" else "",
            "manad": month,
            "motivering": motivering,
        }
        path = sp.EB_DECISION_PATH.format(case_id=case_id)
        return await self._submit(path, sp.EB_DECISION_FORM, values, "beslut")

    async def order_payment(self, case_id: str, amount: int, month: str, account: str) -> sp.EbCase:
        """Fill and submit the payment order form in the browser; return the case after it."""
        values = {"belopp": str(amount), "manad": month, "konto": account}
        path = sp.PAYMENT_PATH.format(case_id=case_id)
        return await self._submit(path, sp.PAYMENT_FORM, values, "utbetalning")

    async def _submit(self, path: str, form: str, values: dict[str, str], step: str) -> sp.EbCase:
        async with self.session.page_lock():  # the seat's page: one item's form at a time
            return await self._submit_in_page(path, form, values, step)

    async def _submit_in_page(
        self, path: str, form: str, values: dict[str, str], step: str
    ) -> sp.EbCase:
        session = self.session
        page = await session._use_page()
        await session._guard(step, page.goto(path, wait_until=session._wait_until))
        if session.mode == "classic":
            sp.check_screen(await page.content(), step)
            for name, value in values.items():
                if name == "utfall":
                    await page.select_option(f"{form} select[name=utfall]", value)
                else:
                    await page.fill(f"{form} [name={name}]", value)
            async with page.expect_navigation() as navigation:
                await session._guard(step, page.click(f"{form} [type=submit]"))
            await session._sent_write(step, navigation.value)
            html = await page.content()
        else:
            # The page's POST navigation (answered by the capture route) must have committed
            # before the next goto, or the browser reports the goto as interrupted: the
            # payment form follows the decision form at once.
            try:
                async with page.expect_navigation(wait_until="commit"):
                    html = await session._submit_and_read_back(
                        page, step, [form, values], script=sp.FILL_FORM_AND_SUBMIT_JS
                    )
            except PlaywrightTimeout as exc:
                if session._post_sent:
                    raise WriteOutcomeUnknown(
                        "formuläret skickades men sidan laddades inte", system=SYSTEM, step=step
                    ) from exc
                raise LegacyTimeout(
                    "formuläret skickades inte i tid", system=SYSTEM, step=step
                ) from exc
        raise_if_refused(html, f"{step} sparades inte", step)
        return sp.parse_eb_case(html)
