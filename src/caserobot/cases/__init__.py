"""Case types: each module knows how to collect its facts and act on its decision."""

from __future__ import annotations

from caserobot.cases.base import CaseHandler, Decided, Facts, Referred, Systems, WorkContext
from caserobot.cases.ekonomiskt_bistand import EkonomisktBistandHandler
from caserobot.cases.skolskjuts import SkolskjutsHandler
from caserobot.exceptions import InputError

_HANDLERS: dict[str, type] = {
    "skolskjuts": SkolskjutsHandler,
    "ekonomiskt_bistand": EkonomisktBistandHandler,
}


def handler_for(case_type: str) -> CaseHandler:
    try:
        return _HANDLERS[case_type]()
    except KeyError:
        raise InputError("case_type", f"okänd ärendetyp '{case_type}'") from None


__all__ = ["CaseHandler", "Decided", "Facts", "Referred", "Systems", "WorkContext", "handler_for"]
