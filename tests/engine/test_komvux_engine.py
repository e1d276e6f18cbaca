"""The Komvux robot end to end (issue 8): stand-ins with the Komvux plugin (school register,
applicants, applications), headless Chromium on two web systems with seats, the SQL queue.

Every course choice is its own work item; each is decided as the stand-ins' own model of
the applicant says it must be (:mod:`tests.utils.komvux_oracle`), and the case system holds
exactly one decision for each decided choice, with the words the outcome writes.
"""

from __future__ import annotations

from collections import Counter

import pytest
from openpyxl import load_workbook

from caserobot import registry
from caserobot.queue import WorkQueue
from caserobot.reports import build_run_report, write_excel
from caserobot.rules import decide
from caserobot_komvux.standins.people import build_komvux
from standins.world import build_world
from tests.fixtures.platform import apply_standins_env
from tests.utils.e2e import decisions_by_application, run_engine
from tests.utils.komvux_oracle import choice_outcome

pytestmark = pytest.mark.browser

KOMVUX = "komvux"
OUTCOME = {"bifall": "granted", "avslag": "denied", "urval": "selection"}


def test_every_course_choice_is_decided_as_the_registers_say_exactly_once(
    fresh_standins, sqlite_db, monkeypatch, tmp_path
) -> None:
    # Each seat moves to a fresh browser context every 3 items (on the same logged-in
    # sessions, in both web systems): nothing may be lost or written twice across that.
    monkeypatch.setenv("CASEROBOT_WORK__RENEW_CONTEXT_EVERY", "3")
    settings = apply_standins_env(fresh_standins, monkeypatch)
    assert settings.work.renew_context_every == 3
    generated = fresh_standins.generate(30, seed=23, malformed_share=0.1, type=KOMVUX)
    apps = [
        fresh_standins.http.get(f"{fresh_standins.eservice_url}/api/applications/{i}").json()
        for i in generated["ids"]
    ]
    queue = WorkQueue(sqlite_db.sessions)
    registry.register_robot(
        sqlite_db.sessions,
        name=KOMVUX,
        version="1",
        owner="test",
        case_type=KOMVUX,
        legacy_systems=[],
        description="",
    )
    run = registry.start_run(sqlite_db.sessions, KOMVUX, trigger="test")

    stats = run_engine(settings, queue, case_type=KOMVUX, run_id=run.id)

    assert stats.application_errors == 0 and not stats.seat_failures
    assert stats.context_renewals >= 2, stats.as_dict()
    items = {i.application_id: i for i in queue.items(case_type=KOMVUX, limit=10_000)}
    assert all(i.state in ("done", "business_exception") for i in items.values())
    decisions = {d.application_id: d for d in queue.decisions(case_type=KOMVUX)}
    ledger = {
        e["extern_ref"]: e
        for e in fresh_standins.ledger("case_system")
        if e["kind"] == "decision" and e.get("arendetyp") == KOMVUX
    }
    twice = {ref: n for ref, n in decisions_by_application(fresh_standins).items() if n > 1}
    assert not twice, f"decisions written more than once: {twice}"
    assert set(ledger) == set(decisions), "a decision in the case system for each done item"

    world = build_komvux(build_world(1))  # the stand-ins' seed
    seen: Counter[str] = Counter()
    for app in apps:
        choices = app.get("course_choices") or []
        keys = [f"{app['id']}/{c.get('priority')}" for c in choices if isinstance(c, dict)]
        if not all(k in items for k in keys) or not keys:  # not split: bad input, one item
            assert items[app["id"]].state == "business_exception", app["id"]
            seen["bad input"] += 1
            continue
        for choice, key in zip(choices, keys, strict=True):
            try:
                expected = choice_outcome(app, choice, world)
            except KeyError:  # a course in no catalogue: bad input
                expected = "bad input"
            item = items[key]
            seen[expected] += 1
            if expected in OUTCOME:
                assert item.state == "done", (key, item.state, item.last_error)
                d = decisions[key]
                assert d.outcome == OUTCOME[expected], (key, d.outcome, expected)
                assert ledger[key]["utfall"] == expected
                assert "Skolväsendets överklagandenämnd" in ledger[key]["motivering"]
                again = decide(KOMVUX, d.inputs["rules"], d.as_of)  # the record is complete
                assert again.outcome == d.outcome
                assert d.inputs["facts"]["utbildning_i_elevregistret"]["source"].startswith(
                    "elevregistret"
                )
            else:
                assert item.state == "business_exception", (key, item.state, expected)
                assert key not in ledger
    # The sample covers every outcome, and a selection is written as "urval".
    assert {"bifall", "avslag", "urval", "refer"} <= set(seen), seen

    # The run report breaks Komvux down per provider and per level (the package says how).
    report = build_run_report(sqlite_db.sessions, run.id)
    assert report.breakdowns == ("Anordnare", "Nivå")
    levels = Counter((i.payload.get("part") or {}).get("level", "–") for i in items.values())
    assert {v: n.total() for v, n in report.breakdown("Nivå")} == dict(levels)
    providers = dict(report.breakdown("Anordnare"))
    assert sum(n.total() for n in providers.values()) == len(items)
    assert sum(n["selection"] for n in providers.values()) == seen["urval"]
    workbook = load_workbook(write_excel(report, tmp_path / "komvux.xlsx"))
    assert {"Per anordnare", "Per nivå"} <= set(workbook.sheetnames)
