"""Client for the income register (SSBTEK-like JSON over HTTP): payments per person and month."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caserobot.exceptions import BusinessException, ReasonCode, UnexpectedScreen
from caserobot.legacy._http import ApiClient

SYSTEM = "inkomstregistret"
MAX_BATCH = 20


@dataclass(frozen=True)
class Payment:
    month: str  # YYYY-MM
    source: str  # forsakringskassan, csn, a_kassa, pensionsmyndigheten, skatteverket
    type: str  # the register's type; salary for wages
    amount: int  # net, whole kronor
    payer: str


@dataclass(frozen=True)
class PersonPayments:
    personnummer: str  # 12 digits
    payments: tuple[Payment, ...]
    fetched_at: str


class IncomeRegisterClient(ApiClient):
    SYSTEM = SYSTEM

    async def payments(
        self, personnummer: list[str], from_month: str, to_month: str
    ) -> dict[str, PersonPayments]:
        """Payments of each person (12-digit key) from ``from_month`` to ``to_month``."""
        out: dict[str, PersonPayments] = {}
        for start in range(0, len(personnummer), MAX_BATCH):
            batch = personnummer[start : start + MAX_BATCH]
            body = {"personnummer": batch, "from": from_month, "to": to_month}
            resp = await self._call(
                "utbetalningar", lambda b=body: self._http.post("/ssbtek/v1/utbetalningar", json=b)
            )
            data = _json(resp)
            if resp.status_code == 400:
                raise BusinessException(
                    ReasonCode.INVALID_PERSONNUMMER,
                    "inkomstregistret godtar inte ett personnummer i hushållet",
                    field="household.personnummer",
                )
            if resp.status_code >= 400:
                raise UnexpectedScreen(
                    f"oväntat svar {resp.status_code}: {data.get('error')}",
                    system=SYSTEM,
                    step="utbetalningar",
                )
            fetched_at = str(data.get("fetched_at", ""))
            for person in data.get("persons", []):
                pnr = str(person["personnummer"]).replace("-", "")
                out[pnr] = PersonPayments(
                    personnummer=pnr,
                    payments=tuple(
                        Payment(
                            month=p["month"],
                            source=p["source"],
                            type=p["type"],
                            amount=int(p["amount"]),
                            payer=p.get("payer", ""),
                        )
                        for p in person.get("payments", [])
                    ),
                    fetched_at=fetched_at,
                )
        return out


def _json(resp: Any) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError as exc:
        raise UnexpectedScreen("svaret var inte JSON", system=SYSTEM, step="utbetalningar") from exc
    if not isinstance(body, dict):
        raise UnexpectedScreen("oväntat svar", system=SYSTEM, step="utbetalningar")
    return body
