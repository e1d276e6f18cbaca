"""Prefect flow of the Komvux robot. Thin: the tasks live in caserobot.orchestration."""

from __future__ import annotations

from typing import Any

from prefect import flow

from caserobot.orchestration import run_case_robot


@flow(name="komvux", log_prints=True)
def komvux(
    seats: int | None = None, mode: str = "fast", as_of: str | None = None
) -> dict[str, Any]:
    """Decide the submitted Komvux course choices and write each decision back.

    Args:
        seats: Seats to use, each with a session in the case system and one in the school
            register (default and maximum: the case system's seat limit).
        mode: ``fast`` or ``classic`` (render every screen), see caserobot.legacy.web.
        as_of: Decision date ``YYYY-MM-DD`` (default: today).
    """
    return run_case_robot("komvux", seats=seats, mode=mode, as_of=as_of)


if __name__ == "__main__":
    komvux()
