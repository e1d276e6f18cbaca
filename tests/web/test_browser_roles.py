"""Each role's main path in headless Chromium against the real web UI, with screenshots.

One world for the module: the stand-ins, the skolskjuts flow run on Prefect's real runtime
(a registry run with Robot Framework's log), the ekonomiskt bistånd robot engine, the demo's
four accounts, and the web UI served by uvicorn on a free port. Screenshots are saved under
``var/test-artifacts/screenshots/`` (named ``<role>-<step>.png``).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from openpyxl import load_workbook

from caserobot import robots, users
from caserobot.db import init_db
from caserobot.settings import PROJECT_ROOT, Settings, get_settings
from caserobot.web.server import server_config
from tests.fixtures.platform import apply_standins_env
from tests.utils.e2e import case_ledger, run_engine

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = PROJECT_ROOT / "var" / "test-artifacts" / "screenshots"
PASSWORD = "demo-lösenord-123"
ACCOUNTS = {
    "admin": ("admin", []),
    "chef": ("manager", []),
    "skolskjuts": ("caseworker", ["Skolskjuts"]),
    "fsstod": ("caseworker", ["Försörjningsstöd"]),
}


@dataclass
class World:
    settings: Settings
    url: str
    standins: Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def world(standins, prefect_harness, tmp_path_factory) -> Iterator[World]:  # type: ignore[no-untyped-def]
    from caserobot.web import create_app

    standins.reset()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PREFECT_API_URL", prefect_harness)
        settings = apply_standins_env(standins, mp, tmp_path_factory.mktemp("ui") / "var")
        port = _free_port()
        mp.setenv("CASEROBOT_WEB__PORT", str(port))
        mp.setenv("CASEROBOT_WEB__SECRET_KEY", "browser-test-secret-of-at-least-32-chars")
        get_settings.cache_clear()
        settings = get_settings()
        db = init_db(settings)
        for username, (role, units) in ACCOUNTS.items():
            users.add_user(
                db.sessions,
                username=username,
                password=PASSWORD,
                role=role,
                units=units,
                actor="test",
            )
        standins.generate(16, seed=29, malformed_share=0.0)
        standins.generate(12, seed=31, malformed_share=0.0, type="ekonomiskt_bistand")
        for robot, params in (("skolskjuts", {"as_of": "2026-08-15"}), ("ekonomiskt_bistand", {})):
            robots.load_flow(robots.load_manifest(robot))(seats=2, **params)

        server = uvicorn.Server(server_config(create_app(settings), "127.0.0.1", port))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "the web UI did not start"
            time.sleep(0.05)
        try:
            yield World(settings=settings, url=f"http://127.0.0.1:{port}", standins=standins)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            get_settings.cache_clear()


@pytest.fixture(scope="module")
def browser(world: World) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=world.settings.browser.executable_path,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page_as(browser, world: World):  # type: ignore[no-untyped-def]
    """``page_as(username)``: a fresh browser context, logged in through the login form."""
    contexts = []

    def login(username: str) -> Any:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="sv-SE"
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(world.url + "/")
        assert "/login" in page.url  # nothing without login
        page.get_by_label("Användarnamn").fill(username)
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_load_state()
        assert "/login" not in page.url, page.content()[:2000]
        return page

    yield login
    for context in contexts:
        context.close()


def shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _text(page: Any) -> str:
    return re.sub(r"\s+", " ", page.inner_text("main"))


def test_caseworker_accepts_a_recommendation_and_the_robot_writes_it_once(
    world: World, page_as
) -> None:  # type: ignore[no-untyped-def]
    page = page_as("skolskjuts")
    assert page.url.endswith("/casework")
    queue_text = _text(page)
    assert "Skolskjuts" in queue_text and "Ekonomiskt bistånd" not in queue_text
    shot(page, "caseworker-queue")

    # Open the first item with a recommendation that can be accepted.
    links = page.locator("main a[href^='/casework/']")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs:
        page.goto(world.url + href)
        if page.get_by_role("button", name=re.compile("Godta rekommendationen")).count():
            break
    else:
        pytest.fail("no skolskjuts item with an acceptable recommendation")
    application_id = re.search(r"ansökan (ES-[\w-]+)", _text(page)).group(1)
    assert "Varför roboten stannade" in _text(page) and "Utkast till motivering" in _text(page)
    shot(page, "caseworker-item")

    page.get_by_role("button", name=re.compile("Godta rekommendationen")).click()
    page.wait_for_load_state()
    assert "Väntar" in _text(page) or "väntar" in _text(page)
    shot(page, "caseworker-accepted")

    before = case_ledger(world.standins, "decision", "skolskjuts")
    assert application_id not in {e["extern_ref"] for e in before}
    from caserobot.queue import WorkQueue

    queue = WorkQueue(init_db(world.settings).sessions)
    # The robot runs in a thread of its own: Playwright's sync API holds this one's loop.
    with ThreadPoolExecutor(1) as robot:
        for _ in range(2):  # the second run must write nothing
            robot.submit(run_engine, world.settings, queue, case_type="skolskjuts").result()

    written = [
        e
        for e in case_ledger(world.standins, "decision", "skolskjuts")
        if e["extern_ref"] == application_id
    ]
    assert len(written) == 1
    page.reload()
    text = _text(page)
    assert f"diarienummer {written[0]['diarienummer']}" in text
    shot(page, "caseworker-written")


def test_caseworker_cannot_see_or_open_another_units_items(world: World, page_as) -> None:  # type: ignore[no-untyped-def]
    eb_page = page_as("fsstod")
    links = eb_page.locator("main a[href^='/casework/']")
    assert links.count() > 0 and "Ekonomiskt bistånd" in _text(eb_page)
    eb_item = links.first.get_attribute("href")

    page = page_as("skolskjuts")
    response = page.goto(world.url + eb_item)
    assert response.status == 404
    response = page.goto(world.url + "/admin/robots")
    assert response.status == 403
    shot(page, "caseworker-forbidden")


def test_admin_sees_runs_with_the_robot_log_and_schedules_a_robot(world: World, page_as) -> None:  # type: ignore[no-untyped-def]
    page = page_as("admin")
    assert page.url.endswith("/admin/robots")
    assert "skolskjuts" in _text(page) and "ekonomiskt_bistand" in _text(page)
    shot(page, "admin-robots")

    page.goto(world.url + "/admin/runs")
    page.locator("main a[href^='/admin/runs/']").first.click()
    page.wait_for_load_state()
    shot(page, "admin-run")
    log_href = page.locator("a[href$='log.html']").first.get_attribute("href")
    log = page.request.get(world.url + log_href)  # same session cookies as the page
    assert log.status == 200 and "Robot Framework" in log.text()
    assert "sandbox" in log.headers["content-security-policy"]
    # Robot's log renders with its inline scripts, sandboxed (no cookie, no network).
    log_page = page.context.new_page()
    log_page.goto(world.url + log_href)
    log_page.wait_for_selector("#s1", timeout=20_000)
    assert log_page.evaluate("self.origin") == "null"  # opaque: no cookie, no same-origin calls
    assert "/run-files/" in log_page.url  # the signed path its parts load through
    # Each application is a task of its own under "Ärenden", its steps in a part of the
    # split log that the sandboxed page loads without the cookie.
    log_page.evaluate("loadAndExpandElementIds(['s1-s1-t1'])")  # Robot's log.html API
    log_page.wait_for_selector("#s1-s1-t1", timeout=20_000)
    log_page.evaluate("expandAll('s1-s1-t1')")
    log_page.wait_for_selector("#s1-s1-t1-k1", timeout=20_000)
    item = log_page.inner_text("#s1-s1-t1")
    assert "Read Application" in item and "Apply Rules" in item, item[:500]
    shot(log_page, "admin-robot-log-item")
    log_page.close()

    page.goto(world.url + "/admin/schedules")
    page.get_by_label("Robot", exact=True).select_option("skolskjuts")
    page.get_by_label(re.compile("Cron")).fill("0 6 * * 1-5")
    page.get_by_role("button", name=re.compile("Skapa")).click()
    page.wait_for_load_state()
    assert "0 6 * * 1-5" in _text(page)
    shot(page, "admin-schedules")
    from caserobot import scheduling

    [schedule] = scheduling.list_schedules("skolskjuts")
    assert schedule.cron == "0 6 * * 1-5" and not schedule.paused
    page.get_by_role("button", name=re.compile("Pausa")).first.click()
    page.wait_for_load_state()
    assert scheduling.get_schedule(schedule.name).paused

    # The API documentation renders from local files (no CDN on a municipal network), under
    # the Content-Security-Policy: no inline script, and Chromium reports no violation.
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    page.on("pageerror", lambda e: violations.append(str(e)))
    docs = page.goto(world.url + "/api/docs")
    assert "script-src 'self'" in docs.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .info", timeout=20_000)
    assert "OAS 3.1" in page.inner_text(".swagger-ui .info")
    assert page.locator(".opblock-tag").count() > 0
    page.locator(".opblock-tag").first.click()  # expand: renders more of Swagger UI
    page.wait_for_timeout(500)
    assert violations == []
    shot(page, "admin-api-docs")

    # Every page the admin has seen was sent with the strict policy and no-store.
    robots = page.goto(world.url + "/admin/robots")
    assert "frame-ancestors 'none'" in robots.headers["content-security-policy"]
    assert robots.headers["cache-control"] == "no-store"
    page.goto(world.url + "/admin/access-log")
    assert "run.file.view" in _text(page)


def test_manager_sees_the_dashboard_and_exports_excel(world: World, page_as, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = page_as("chef")
    assert page.url.endswith("/dashboard")
    text = _text(page)
    assert "skolskjuts" in text.lower()
    shot(page, "manager-dashboard")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Excel")).click()
    path = tmp_path / "dashboard.xlsx"
    download.value.save_as(path)
    wb = load_workbook(path)
    assert "Sammanfattning" in wb.sheetnames

    response = page.goto(world.url + "/admin/schedules")
    assert response.status == 403


def test_nobody_gets_in_without_logging_in(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    for path in ("/casework", "/admin/robots", "/admin/schedules", "/dashboard"):
        page.goto(world.url + path)
        assert "/login" in page.url, path
    for path in ("/api/docs", "/api/robots", "/api/casework"):
        assert page.goto(world.url + path).status == 401, path
    context.close()
