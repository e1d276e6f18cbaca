"""Prefect flow of the skolskjuts robot. Thin: the tasks live in caserobot.orchestration."""

from __future__ import annotations

from typing import Any

from prefect import flow

from caserobot.orchestration import run_case_robot


@flow(name="skolskjuts", log_prints=True)
def skolskjuts(
    seats: int | None = None, mode: str = "fast", as_of: str | None = None
) -> dict[str, Any]:
    """Decide the submitted school-transport applications and write the decisions back.

    Args:
        seats: Case-system sessions to use (default and maximum: the seat limit).
        mode: ``fast`` or ``classic`` (render every screen), see caserobot.legacy.casesystem.
        as_of: Decision date ``YYYY-MM-DD`` (default: today).
    """
    return run_case_robot("skolskjuts", seats=seats, mode=mode, as_of=as_of)


if __name__ == "__main__":
    skolskjuts()
