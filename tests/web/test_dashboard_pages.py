"""The manager's dashboard over HTTP: figures, charts with their tables, Excel, JSON, roles."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.utils.dashboard import arrange

PERIOD = "from=2026-08-01&to=2026-08-10"


@pytest.fixture
def arranged(web_db):  # type: ignore[no-untyped-def]
    arrange(web_db.sessions)
    return web_db


def test_manager_sees_figures_tables_and_charts(arranged, client, login) -> None:  # type: ignore[no-untyped-def]
    login(client, "chef")
    page = client.get(f"/dashboard?robot=skolskjuts&{PERIOD}")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Översikt</h1>" in html
    assert "roboten skolskjuts, ansökningar inkomna 2026-08-01–2026-08-10" in html
    assert '<option value="skolskjuts" selected>' in html
    assert 'value="2026-08-01"' in html and 'value="2026-08-10"' in html
    # key figures: 8 applications, 37,5 % automated, median 36 h
    assert "<dt>Ansökningar</dt><dd>8</dd>" in html
    assert "<dt>Beslutade automatiskt</dt><dd>37,5 %</dd>" in html
    assert '36,0 <span class="unit">timmar</span>' in html
    # charts are inline SVG with a text alternative, and the same numbers in a table
    assert html.count('<svg viewBox="') == 2
    assert 'role="img" aria-labelledby="reasons-chart-title reasons-chart-desc"' in html
    assert "Läkarintyg bifogat: 1" in html
    assert '<tr><th scope="row">Läkarintyg bifogat</th><td class="num">1</td></tr>' in html
    assert '<tr><th scope="row">2026-08-02</th><td class="num">2</td><td class="num">1</td>' in html
    assert (
        f'href="/dashboard/export.xlsx?robot=skolskjuts&amp;{PERIOD.replace("&", "&amp;")}"' in html
    )


def test_default_period_is_the_last_30_days(client, login) -> None:  # type: ignore[no-untyped-def]
    login(client, "chef")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert page.text.count('<tr><th scope="row">20') == 30  # one row per day
    assert "Inga undantag under perioden." in page.text


def test_a_bad_date_is_shown_next_to_the_form(client, login) -> None:  # type: ignore[no-untyped-def]
    login(client, "chef")
    page = client.get("/dashboard?from=1%20augusti")
    assert page.status_code == 400
    assert "är inget datum; skriv ÅÅÅÅ-MM-DD" in page.text
    assert 'aria-invalid="true"' in page.text


def test_export_downloads_a_workbook(arranged, client, login) -> None:  # type: ignore[no-untyped-def]
    login(client, "chef")
    response = client.get(f"/dashboard/export.xlsx?robot=skolskjuts&{PERIOD}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert (
        'filename="oversikt-skolskjuts-2026-08-01-2026-08-10.xlsx"'
        in (response.headers["content-disposition"])
    )
    wb = load_workbook(BytesIO(response.content))
    assert wb.sheetnames == ["Sammanfattning", "Undantag per orsak", "Ledtider", "Per dag"]
    summary = {r[0]: r[1] for r in wb["Sammanfattning"].iter_rows(values_only=True) if r[0]}
    assert summary["Ansökningar"] == 8


def test_json_api(arranged, client, login) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")  # administrators may see it too
    body = client.get(f"/api/dashboard?{PERIOD}").json()
    assert (body["applications"], body["automated"], body["amount_paid_kr"]) == (9, 4, 5400)
    assert body["lead_times"][-1]["robot"] == "Alla"
    bad = client.get("/api/dashboard?robot=okänd")
    assert bad.status_code == 422 and bad.json()["field"] == "robot"


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/export.xlsx", "/api/dashboard"])
def test_a_caseworker_is_refused(client, login, path: str) -> None:  # type: ignore[no-untyped-def]
    login(client, "skolskjuts")
    assert client.get(path).status_code == 403


def test_anonymous_is_sent_to_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert client.get("/api/dashboard").status_code == 401
