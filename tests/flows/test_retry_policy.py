"""Prefect retries a task on application exceptions only (the orchestration's policy)."""

from __future__ import annotations

import pytest
from prefect import flow, task

from caserobot.exceptions import ApplicationException, BusinessException, ReasonCode
from caserobot.orchestration import _retry_on_application_error


def _flaky(error: Exception, calls: list[int]):  # type: ignore[no-untyped-def]
    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=_retry_on_application_error)
    def step() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise error
        return "ok"

    @flow
    def wrapper() -> str:
        return step()

    return wrapper


def test_application_exception_is_retried(prefect_harness) -> None:
    calls: list[int] = []
    assert _flaky(ApplicationException("ärendesystemet svarar inte"), calls)() == "ok"
    assert len(calls) == 2


@pytest.mark.parametrize(
    "error",
    [BusinessException(ReasonCode.MISSING_FIELD, "saknas"), ValueError("a bug")],
)
def test_other_errors_are_not_retried(prefect_harness, error: Exception) -> None:
    calls: list[int] = []
    with pytest.raises(type(error)):
        _flaky(error, calls)()
    assert len(calls) == 1
