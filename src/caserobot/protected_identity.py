"""Exception items about people with protected identity (skyddad identitet).

An item is protected when its reason codes include ``protected_identity`` or its decision
basis has the fact ``skyddad_identitet`` true. Only users with ``may_view_protected``
(``caserobot users protected NAME --allow``) open such items; for the others the web UI lists
the item without personal details and answers 404 on the item itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from caserobot.db import read_session
from caserobot.db.models import ExceptionItemRow

__all__ = ["FACT", "REASON", "is_protected", "protected_item_ids"]

REASON = "protected_identity"
FACT = "skyddad_identitet"


def is_protected(reason_codes: Iterable[str], decision_basis: dict[str, Any] | None) -> bool:
    """Whether an item with these reason codes and this basis is about a protected person."""
    if REASON in set(reason_codes or ()):
        return True
    basis = decision_basis or {}
    facts = basis.get("facts") if isinstance(basis.get("facts"), dict) else basis
    fact = facts.get(FACT) if isinstance(facts, dict) else None
    value = fact.get("value") if isinstance(fact, dict) else fact
    return value is True


def protected_item_ids(sessions: sessionmaker[Session], item_ids: Iterable[int]) -> set[int]:
    """The ids among ``item_ids`` of exception items that are protected."""
    ids = list(item_ids)
    if not ids:
        return set()
    E = ExceptionItemRow
    query = select(E.id, E.reason_codes, E.decision_basis).where(E.id.in_(ids))
    with read_session(sessions) as session:
        return {i for i, codes, basis in session.execute(query) if is_protected(codes, basis)}
