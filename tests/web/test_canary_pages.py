"""The canary in the web UI: the banner administrators see when a robot's screens changed,
and "accept the new layout" (POST with CSRF, audited), over real stand-ins and Chromium."""

from __future__ import annotations

import asyncio
import html

import pytest

from caserobot import audit, canary, registry
from caserobot.intake import intake
from caserobot.queue import WorkQueue
from tests.fixtures.platform import apply_standins_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BANNER = "Ärendesystemets skärmar har ändrats"


def test_banner_and_accepting_the_new_layout(
    fresh_standins, web_db, client, login, monkeypatch
):  # type: ignore[no-untyped-def]
    settings = apply_standins_env(fresh_standins, monkeypatch)
    sessions = web_db.sessions
    registry.register_robot(sessions, "skolskjuts", "1.0.0", "test", "skolskjuts")
    fresh_standins.generate(2, seed=3, malformed_share=0.0)
    asyncio.run(intake(settings, WorkQueue(sessions), "skolskjuts"))  # people to read with
    first = asyncio.run(canary.check_robot(settings, sessions, "skolskjuts"))
    assert first.ok

    csrf = login(client, "admin")
    assert BANNER not in client.get("/admin/robots").text

    fresh_standins.configure("case_system", layout_variant="v2")
    changed = asyncio.run(canary.check_robot(settings, sessions, "skolskjuts"))
    assert not changed.ok and changed.paused

    for page in ("/admin/robots", "/admin/runs", "/admin/audit", "/dashboard"):
        text = html.unescape(client.get(page).text)
        assert BANNER in text and "Roboten skolskjuts är pausad" in text, page
        assert "tabellen #placering saknas" in text, page
    overview = html.unescape(client.get("/admin/canary").text)
    assert "Godta den nya layouten" in overview and "Skärmar ändrade, pausad" in overview

    # Without the CSRF token: refused. With it, while the page objects cannot read v2: refused
    # with the reason, nothing changes.
    assert client.post("/admin/canary/skolskjuts/accept").status_code == 403
    refused = client.post("/admin/canary/skolskjuts/accept", data={"csrf_token": csrf})
    assert refused.status_code == 303
    text = html.unescape(client.get("/admin/canary").text)
    assert "Sidobjekten läser ännu inte de ändrade skärmarna" in text
    assert registry.get_robot(sessions, "skolskjuts").status == "paused"
    assert audit.entries(sessions, action_prefix="canary.accept") == []

    # The page objects read the screens again: the administrator accepts, the robot resumes.
    fresh_standins.configure("case_system", layout_variant="v1")
    asyncio.run(canary.check_robot(settings, sessions, "skolskjuts"))
    assert client.post(
        "/admin/canary/skolskjuts/accept", data={"csrf_token": csrf}
    ).status_code == 303
    assert registry.get_robot(sessions, "skolskjuts").status == "active"
    [entry] = audit.entries(sessions, action_prefix="canary.accept")
    assert entry.actor == "admin" and entry.target == "robot:skolskjuts"
    assert entry.before["status"] == "paused" and entry.after["status"] == "active"
    assert BANNER not in client.get("/admin/robots").text
    unknown = client.post("/admin/canary/nobody/accept", data={"csrf_token": csrf})
    assert unknown.status_code == 404


def test_caseworkers_do_not_see_the_banner(
    fresh_standins, web_db, client, login, monkeypatch
):  # type: ignore[no-untyped-def]
    settings = apply_standins_env(fresh_standins, monkeypatch)
    sessions = web_db.sessions
    registry.register_robot(sessions, "skolskjuts", "1.0.0", "test", "skolskjuts")
    fresh_standins.generate(1, seed=4, malformed_share=0.0)
    asyncio.run(intake(settings, WorkQueue(sessions), "skolskjuts"))
    fresh_standins.configure("case_system", layout_variant="v2")
    assert not asyncio.run(canary.check_robot(settings, sessions, "skolskjuts")).ok
    login(client, "skolskjuts")
    assert BANNER not in html.unescape(client.get("/casework").text)
