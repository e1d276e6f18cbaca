"""The manager's dashboard per provider and per course level for Komvux (issue 8): the
breakdowns its package declares, with no core module naming Komvux."""

from __future__ import annotations

from datetime import date

from caserobot import dashboard, registry
from caserobot.queue import WorkQueue
from tests.utils.dashboard import Clock, _decide, _refer, _take, t

PERIOD = "from=2026-08-01&to=2026-08-10"


def _arrange(sessions) -> None:  # type: ignore[no-untyped-def]
    registry.register_robot(sessions, "komvux", "1", "test", "komvux")
    clock = Clock()
    queue = WorkQueue(sessions, clock=clock)

    def take(app_id: str, provider: str, level: str) -> int:
        part = {"provider_name": provider, "level": level, "course_code": "X"}
        return _take(queue, clock, app_id, t(2), case_type="komvux", part=part)

    _decide(queue, clock, take("K1/1", "Lärbryggan AB", "gymnasial"), "selection", t(2, 12))
    _decide(queue, clock, take("K1/2", "Lärbryggan AB", "gymnasial"), "granted", t(2, 12))
    _decide(queue, clock, take("K2/1", "Kursfyren AB", "grundlaggande"), "granted", t(3))
    _refer(
        queue, clock, take("K3/1", "Kursfyren AB", "gymnasial"), t(2), ["foreign_grades"], "granted"
    )


def test_breakdowns_count_each_value(web_db) -> None:  # type: ignore[no-untyped-def]
    _arrange(web_db.sessions)
    m = dashboard.metrics(
        web_db.sessions, robot="komvux", start=date(2026, 8, 1), end=date(2026, 8, 10)
    )
    assert m.automated == 3 and m.other_decisions[0].code == "selection"
    providers, levels = m.breakdowns
    assert providers.heading == "Anordnare" and levels.heading == "Nivå"
    assert [(r.value, r.applications, r.automated, r.to_caseworker) for r in providers.rows] == [
        ("Kursfyren AB", 2, 1, 1),
        ("Lärbryggan AB", 2, 2, 0),
    ]
    assert {r.value: r.applications for r in levels.rows} == {"gymnasial": 3, "grundlaggande": 1}
    # Another case type without breakdowns has none.
    assert not dashboard.metrics(
        web_db.sessions, start=date(2026, 8, 1), end=date(2026, 8, 10)
    ).breakdowns


def test_the_page_shows_them(web_db, client, login) -> None:  # type: ignore[no-untyped-def]
    _arrange(web_db.sessions)
    login(client, "chef")
    html = client.get(f"/dashboard?robot=komvux&{PERIOD}").text
    assert "<h2>Per anordnare</h2>" in html and "<h2>Per nivå</h2>" in html
    assert '<tr><th scope="row">Lärbryggan AB</th><td class="num">2</td>' in html
    assert "varav behörig – urval" in html
