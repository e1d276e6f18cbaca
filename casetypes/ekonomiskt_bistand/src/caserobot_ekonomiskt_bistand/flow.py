"""Prefect flow of the ekonomiskt bistånd robot. Thin: the tasks live in caserobot.orchestration."""

from __future__ import annotations

from typing import Any

from prefect import flow

from caserobot.orchestration import run_case_robot


@flow(name="ekonomiskt_bistand", log_prints=True)
def ekonomiskt_bistand(seats: int | None = None, mode: str = "fast") -> dict[str, Any]:
    """Decide the submitted monthly applications; write decision and payment order for grants.

    The rules apply as of the first day of the month each application is for, so the flow
    takes no decision date.

    Args:
        seats: Case-system sessions to use (default and maximum: the seat limit).
        mode: ``fast`` or ``classic`` (render every screen), see caserobot.legacy.casesystem.
    """
    return run_case_robot("ekonomiskt_bistand", seats=seats, mode=mode)


if __name__ == "__main__":
    ekonomiskt_bistand()
