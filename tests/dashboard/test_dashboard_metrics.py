"""Period metrics across runs, on SQLite and PostgreSQL, from real queue operations."""

from __future__ import annotations

from datetime import date

import pytest

from caserobot import dashboard
from caserobot.exceptions import InputError
from tests.utils.dashboard import END, NOW, START, arrange


@pytest.fixture
def arranged(db):  # type: ignore[no-untyped-def]
    arrange(db.sessions)
    return db


def test_one_robot_counts_its_applications_only(arranged) -> None:  # type: ignore[no-untyped-def]
    m = dashboard.metrics(arranged.sessions, robot="skolskjuts", start=START, end=END, now=NOW)

    assert m.case_types == ["skolskjuts"]
    # A1..A8; not A0 (July), not E1 (another robot), not the caseworker's write-back item
    assert m.applications == 8
    assert (m.automated, m.granted, m.denied) == (3, 2, 1)
    assert (m.referred, m.bad_applications, m.application_errors, m.still_open) == (2, 1, 1, 1)
    assert (m.caseworker_decided, m.awaiting_caseworker) == (1, 2)
    assert m.automation_share == 0.375
    assert m.hours_saved == 1.25  # 3 decisions × 25 minutes
    assert (m.payments, m.amount_paid_kr) == (0, 0)


def test_exceptions_by_reason_with_swedish_labels(arranged) -> None:  # type: ignore[no-untyped-def]
    m = dashboard.metrics(arranged.sessions, robot="skolskjuts", start=START, end=END, now=NOW)
    assert [(r.code, r.label, r.count) for r in m.exceptions_by_reason] == [
        ("application_error", "Systemfel", 1),
        ("invalid_personnummer", "Ogiltigt personnummer", 1),
        ("medical_certificate", "Läkarintyg bifogat", 1),
        ("taxi_requested", "Taxi begärs", 1),
        ("traffic_danger", "Trafikfarlig väg anges", 1),
    ]


def test_lead_times_from_submission_to_decision(arranged) -> None:  # type: ignore[no-untyped-def]
    one = dashboard.metrics(arranged.sessions, robot="skolskjuts", start=START, end=END, now=NOW)
    # robot: 4 h (written_at), 24 h (no written_at: recorded time), 648 h; caseworker: 48 h
    [robot, total] = one.lead_times
    assert (robot.robot, robot.decided, robot.median_hours, robot.p90_hours) == (
        "skolskjuts",
        4,
        36.0,
        648.0,
    )
    assert total == robot.model_copy(update={"robot": "Alla"})

    every = dashboard.metrics(arranged.sessions, start=START, end=END, now=NOW)
    by_robot = {t.robot: t for t in every.lead_times}
    assert (by_robot["eb"].decided, by_robot["eb"].median_hours) == (1, 24.0)
    assert (by_robot["Alla"].decided, by_robot["Alla"].median_hours) == (5, 24.0)
    assert by_robot["Alla"].p90_hours == 648.0  # nearest rank: the 5th of 5


def test_sla_breaches_decided_late_and_open_past_due(arranged) -> None:  # type: ignore[no-untyped-def]
    m = dashboard.metrics(arranged.sessions, robot="skolskjuts", start=START, end=END, now=NOW)
    # A3 decided after 27 days (SLA 21); A5 open, due 08-23
    assert (m.sla_breaches, m.sla_breaches_decided, m.sla_breaches_open) == (2, 1, 1)
    later = dashboard.metrics(
        arranged.sessions, robot="skolskjuts", start=START, end=END, now=NOW.replace(day=29)
    )
    # by 08-29 A6 (due 08-26), A7 (08-27) and A8 (queued 08-07, due 08-28) are overdue too
    assert later.sla_breaches_open == 4


def test_all_robots_add_payments_and_hours(arranged) -> None:  # type: ignore[no-untyped-def]
    m = dashboard.metrics(arranged.sessions, start=START, end=END, now=NOW)
    assert m.case_types == ["ekonomiskt_bistand", "skolskjuts"]
    assert (m.applications, m.automated) == (9, 4)
    assert (m.payments, m.amount_paid_kr) == (1, 5400)
    assert m.hours_saved == round(1.25 + 40 / 60, 2)
    eb = dashboard.metrics(arranged.sessions, case_type="ekonomiskt_bistand", start=START, end=END)
    assert (eb.applications, eb.automated, eb.amount_paid_kr) == (1, 1, 5400)


def test_per_day_series_covers_every_day_of_the_period(arranged) -> None:  # type: ignore[no-untyped-def]
    m = dashboard.metrics(arranged.sessions, robot="skolskjuts", start=START, end=END, now=NOW)
    assert [d.day for d in m.per_day] == [date(2026, 8, d) for d in range(1, 11)]
    assert [(d.applications, d.automated) for d in m.per_day] == [
        (1, 1),
        (2, 1),
        (1, 1),
        (1, 0),
        (1, 0),
        (1, 0),
        (1, 0),
        (0, 0),
        (0, 0),
        (0, 0),
    ]


def test_period_is_in_swedish_days(arranged) -> None:  # type: ignore[no-untyped-def]
    # A1 was submitted 08-01 10:00 Swedish time; A2 on 08-02
    m = dashboard.metrics(arranged.sessions, robot="skolskjuts", start=START, end=START, now=NOW)
    assert (m.applications, m.automated) == (1, 1)


def test_bad_input(arranged) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="finns inte"):
        dashboard.metrics(arranged.sessions, robot="okänd", start=START, end=END)
    with pytest.raises(InputError, match="slutar innan"):
        dashboard.metrics(arranged.sessions, start=END, end=START)


def test_an_empty_registry(db) -> None:  # type: ignore[no-untyped-def]
    m = dashboard.metrics(db.sessions, start=START, end=END)
    assert (m.applications, m.automation_share, m.sla_breaches) == (0, 0.0, 0)
    assert m.lead_times[-1].median_hours is None
    assert len(m.per_day) == 10
