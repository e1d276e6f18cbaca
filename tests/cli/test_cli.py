"""The CLI as a user meets it: help, views over a real run, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from caserobot.cli import (
    app,
    commands,  # noqa: F401 - registers the commands
)

runner = CliRunner()


@pytest.mark.parametrize(
    "command", ["demo", "run", "intake", "robots", "exceptions", "report", "decide"]
)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_report_without_runs_says_what_to_do(platform_settings) -> None:
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 1
    assert "caserobot demo" in result.output
    assert "Traceback" not in result.output


def test_run_unknown_robot_is_a_clear_error(platform_settings) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "caserobot.cli.__main__", "run", "nosuchrobot"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "nosuchrobot" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_decision_date_for_a_robot_that_decides_per_month_is_refused(platform_settings) -> None:
    result = runner.invoke(app, ["run", "ekonomiskt_bistand", "--as-of", "2026-12-01"])
    assert result.exit_code == 1
    assert "ekonomiskt_bistand tar inget beslutsdatum" in result.output
    assert "Traceback" not in result.output


def test_demo_with_nothing_to_do_is_refused(platform_settings) -> None:
    result = runner.invoke(app, ["demo", "--applications", "0"])
    assert result.exit_code == 1
    assert "inga ansökningar" in result.output


@pytest.mark.browser
def test_views_after_a_run(platform_settings, fresh_standins, tmp_path) -> None:
    from caserobot import registry
    from caserobot.db import init_db
    from caserobot.queue import WorkQueue
    from tests.utils.e2e import run_engine

    db = init_db(platform_settings)
    registry.register_robot(
        db.sessions,
        name="skolskjuts",
        version="1.0.0",
        owner="test",
        case_type="skolskjuts",
        legacy_systems=["arendesystem"],
    )
    run = registry.start_run(db.sessions, "skolskjuts", trigger="test")
    fresh_standins.generate(12, seed=31, malformed_share=0.1)
    run_engine(platform_settings, WorkQueue(db.sessions), run_id=run.id)

    robots = runner.invoke(app, ["robots"], env={"COLUMNS": "200"})
    assert robots.exit_code == 0 and "skolskjuts" in robots.output and "1.0.0" in robots.output

    exceptions = runner.invoke(app, ["exceptions"], env={"COLUMNS": "200"})
    assert exceptions.exit_code == 0
    open_items = registry.list_exception_items(db.sessions)
    assert open_items and f"Undantagskön ({len(open_items)} öppna)" in exceptions.output

    excel = tmp_path / "r.xlsx"
    report = runner.invoke(
        app, ["report", str(run.id), "--excel", str(excel)], env={"COLUMNS": "200"}
    )
    assert report.exit_code == 0, report.output
    assert "Summa" in report.output and excel.exists()
    from openpyxl import load_workbook

    wb = load_workbook(excel)
    summary = {r[0]: r[1] for r in wb["Sammanfattning"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Summa ansökningar"] == 12
    outcomes = [
        v
        for k, v in summary.items()
        if k
        in (
            "Beviljat (automatiskt)",
            "Avslaget (automatiskt)",
            "Till handläggare (regel)",
            "Felaktig ansökan (till handläggare)",
            "Systemfel (till administratör)",
            "Ej färdigbehandlat",
        )
    ]
    assert sum(outcomes) == 12


def test_run_of_a_paused_robot_is_refused_with_the_reason(
    prefect_harness, platform_settings, monkeypatch
) -> None:
    from caserobot import registry
    from caserobot.db import init_db

    monkeypatch.setenv("PREFECT_API_URL", prefect_harness)
    db = init_db(platform_settings)
    registry.register_robot(db.sessions, "skolskjuts", "1.0.0", "test", "skolskjuts")
    registry.set_robot_status(db.sessions, "skolskjuts", "paused")

    # As a user runs it: its own process (a flow run in the test process would share
    # Prefect's logging set-up with every test before it).
    result = subprocess.run(
        [sys.executable, "-m", "caserobot.cli.__main__", "run", "skolskjuts"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Roboten skolskjuts är pausad: ingen körning startades" in output
    assert "Traceback" not in output
    assert registry.list_runs(db.sessions) == []


def test_intake_moves_a_volume_in_batches_once(platform_settings, fresh_standins, monkeypatch):
    """`caserobot intake`: every submitted application into the queue, in batches smaller
    than the volume; repeated, nothing is queued twice; a wrong case type is named."""
    from caserobot.db import init_db
    from caserobot.queue import WorkQueue

    monkeypatch.setenv("CASEROBOT_WORK__INTAKE_BATCH", "7")
    monkeypatch.setenv("CASEROBOT_WORK__INTAKE_CONCURRENCY", "3")
    from caserobot.settings import get_settings

    get_settings.cache_clear()
    generated = fresh_standins.generate(25, seed=41, malformed_share=0.0)
    first = runner.invoke(app, ["intake", "skolskjuts"], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    assert "25 ansökningar i e-tjänsten; 25 nya i kön, 0 fanns redan" in first.output
    queue = WorkQueue(init_db(get_settings()).sessions)
    queued = {i.application_id for i in queue.items(case_type="skolskjuts", limit=1000)}
    assert queued == {str(i) for i in generated["ids"]}
    received = [e for e in fresh_standins.ledger("eservice") if e["kind"] == "application_received"]
    assert {e["application_id"] for e in received} == queued

    again = runner.invoke(app, ["intake", "skolskjuts"], env={"COLUMNS": "200"})
    assert again.exit_code == 0 and "0 ansökningar i e-tjänsten; 0 nya" in again.output
    assert len(queue.items(case_type="skolskjuts", limit=1000)) == 25

    wrong = runner.invoke(app, ["intake", "skolskjut"])
    assert wrong.exit_code == 1 and "okänd ärendetyp 'skolskjut'" in wrong.output
    assert "Traceback" not in wrong.output


def test_a_completed_flow_state_without_its_value_is_read_from_the_registry(platform_settings):
    """Prefect sometimes returns a completed run's state without its value (MissingResult):
    `caserobot run`/`demo` then report the run the flow recorded, never a traceback."""
    import uuid

    import pytest as _pytest
    from prefect.client.schemas.objects import StateDetails
    from prefect.states import Completed, Failed

    from caserobot import registry
    from caserobot.cli.run import _flow_result
    from caserobot.db import init_db

    db = init_db(platform_settings)
    registry.register_robot(
        db.sessions, name="skolskjuts", version="1", owner="t", case_type="skolskjuts"
    )
    flow_run_id = str(uuid.uuid4())
    run = registry.start_run(
        db.sessions, "skolskjuts", trigger="test", prefect_flow_run_id=flow_run_id
    )
    stats = {"processed": 3, "excel": "/tmp/x.xlsx"}
    registry.finish_run(db.sessions, run.id, status="completed", stats=stats, output_dir="/o")

    state = Completed(state_details=StateDetails(flow_run_id=uuid.UUID(flow_run_id)))
    state.data = None  # as Prefect's API hands it back
    result = _flow_result(state, platform_settings, "skolskjuts")
    assert result["run_id"] == run.id and result["report"]["excel"] == "/tmp/x.xlsx"
    assert result["robot"]["output_dir"] == "/o"

    with _pytest.raises(Exception, match="boom"):  # a failed run still raises its error
        _flow_result(Failed(data=ValueError("boom")), platform_settings, "skolskjuts")
