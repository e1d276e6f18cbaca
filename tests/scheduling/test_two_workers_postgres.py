"""The production profile end to end: Prefect's server and the registry on PostgreSQL, two
``prefect worker`` processes on caserobot's work pool, two flow runs of one deployment.

Each worker takes one flow run (``limit=1``), each robot holds 2 seats of the case system's
licence of 4 (Prefect's global concurrency limit ``legacy-arendesystem``), both robots work
the same queue at once, and every application is decided exactly once.
"""

from __future__ import annotations

import contextvars
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from caserobot import registry, runtime, scheduling
from caserobot.db import init_db
from caserobot.exceptions import ApplicationException
from caserobot.queue import WorkQueue
from caserobot.settings import Settings, get_settings
from tests.fixtures.database import POSTGRES_ADMIN_URL, postgres_unavailable
from tests.fixtures.platform import apply_standins_env
from tests.scheduling.test_worker import _wait_final
from tests.utils.e2e import assert_nothing_lost_nothing_twice

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.browser]

APPLICATIONS = 30
LICENCE = 4  # the case system's seats: CASEROBOT_CASE_SYSTEM__SEAT_LIMIT and the stand-in's
SEATS_PER_ROBOT = 2
LIMIT = "legacy-arendesystem"


@pytest.fixture
def databases() -> Iterator[dict[str, str]]:
    """Two new PostgreSQL databases, ``prefect`` and ``registry``; dropped afterwards."""
    if reason := postgres_unavailable():
        pytest.skip(reason)
    prefix = f"caserobot_t2w_{uuid.uuid4().hex[:10]}"
    names = {"prefect": f"{prefix}_prefect", "registry": f"{prefix}_registry"}
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    base = make_url(POSTGRES_ADMIN_URL)
    try:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield {
            "prefect": base.set(
                drivername="postgresql+asyncpg", database=names["prefect"]
            ).render_as_string(hide_password=False),
            "registry": base.set(database=names["registry"]).render_as_string(hide_password=False),
        }
    finally:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def profile(
    databases: dict[str, str],
    fresh_standins,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Settings]:
    """Settings of the production profile, with caserobot's own Prefect server running on
    the PostgreSQL database (a free port); the server is stopped afterwards."""
    for key in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CASEROBOT_DATABASE__URL", databases["registry"])
    monkeypatch.setenv("CASEROBOT_PREFECT__DATABASE_URL", databases["prefect"])
    monkeypatch.setenv("CASEROBOT_PREFECT__PORT", str(runtime._free_port()))
    monkeypatch.setenv("CASEROBOT_CASE_SYSTEM__SEAT_LIMIT", str(LICENCE))
    settings = apply_standins_env(fresh_standins, monkeypatch, tmp_path / "var")
    for key, value in runtime.isolated_env(settings).items():
        monkeypatch.setenv(key, value)
    server = runtime.start_prefect_server(settings)
    assert server is not None
    # Over any Prefect settings an earlier test left active in this process (the session's
    # prefect_test_harness): this test talks to its own server only.
    auth = runtime.prefect_auth_string(settings)
    own = {PREFECT_API_URL: server.api_url, PREFECT_API_AUTH_STRING: auth}
    try:
        with temporary_settings(own):
            yield settings
    finally:
        server.stop()
        get_settings.cache_clear()


@dataclass
class Peaks:
    """The most seats in use at once, sampled every 0.2 s from Prefect's limit and from the
    case system's sessions."""

    slots: int = 0
    sessions: int = 0
    samples: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def sample(self, case_system_url: str) -> None:
        with get_client(sync_client=True) as client, httpx.Client(timeout=5) as http:
            while not self.stop.wait(0.2):
                try:
                    limit = client.read_global_concurrency_limit_by_name(LIMIT)
                    self.slots = max(self.slots, limit.active_slots)
                except ObjectNotFound:  # the first robot run creates it
                    pass
                try:
                    active = http.get(f"{case_system_url}/_test/sessions").json()["active"]
                except httpx.HTTPError:  # a slow answer on a busy machine: the next sample
                    continue
                self.sessions = max(self.sessions, int(active))
                self.samples += 1


def test_two_workers_share_one_deployment_on_postgres(profile: Settings, fresh_standins) -> None:  # type: ignore[no-untyped-def]
    settings = profile
    db = init_db(settings)
    assert db.backend == "postgresql"
    fresh_standins.configure("case_system", latency_ms=150)  # long enough for both to overlap
    generated = fresh_standins.generate(APPLICATIONS, seed=23)
    created = scheduling.create_schedule(
        "skolskjuts",
        "0 3 1 1 *",
        actor="test",
        parameters={"seats": SEATS_PER_ROBOT, "as_of": "2026-08-15"},
    )
    suffix = uuid.uuid4().hex[:6]
    names = [f"t2w-a-{suffix}", f"t2w-b-{suffix}"]
    workers = []
    peaks = Peaks()
    sampler = threading.Thread(  # with this test's Prefect settings (a context variable)
        target=contextvars.copy_context().run,
        args=(peaks.sample, fresh_standins.case_system_url),
    )
    started = time.monotonic()
    try:
        for name in names:
            worker = runtime.start_worker(settings, name=name, limit=1, reuse=False)
            assert worker is not None
            workers.append(worker)
        # the same name does not start twice
        assert runtime.start_worker(settings, name=names[0], limit=1) is None
        with pytest.raises(ApplicationException, match="kör redan"):
            runtime.start_worker(settings, name=names[0], reuse=False)
        sampler.start()
        flow_run_ids = [scheduling.run_now(created.name, actor="test") for _ in range(2)]
        states = [_wait_final(flow_run_id, timeout_s=480) for flow_run_id in flow_run_ids]
    finally:
        peaks.stop.set()
        if sampler.is_alive():
            sampler.join(10)
        for worker in workers:
            worker.stop()
    elapsed = time.monotonic() - started
    logs = "\n".join(w.log_path.read_text(errors="replace")[-3000:] for w in workers)
    assert states == ["Completed", "Completed"], logs

    # each worker took one of the flow runs (the worker labels the flow run it takes)
    with get_client(sync_client=True) as client:
        taken_by = {
            i: client.read_flow_run(UUID(i)).labels.get("prefect.worker.name") for i in flow_run_ids
        }
        limit = client.read_global_concurrency_limit_by_name(LIMIT)
    assert sorted(taken_by.values()) == sorted(names), taken_by

    # both robots ran, each with its own registry run, and worked the same queue
    runs = [r for r in registry.list_runs(db.sessions, "skolskjuts") if r.prefect_flow_run_id]
    assert sorted(r.prefect_flow_run_id for r in runs) == sorted(flow_run_ids)
    assert all(r.status == "completed" for r in runs), [(r.id, r.status) for r in runs]
    per_run = {r.id: r.stats["applications"] for r in runs}
    assert sum(per_run.values()) == APPLICATIONS and all(per_run.values()), per_run
    # in one attempt each: Prefect's retry would hide a clash of two runs starting together
    retried = sorted(p.parent.name for p in (settings.var_dir / "runs").glob("run-*/attempt-2"))
    assert not retried, f"robot tasks retried: {retried}"

    # every application decided exactly once, none lost (the case system's own ledger)
    assert_nothing_lost_nothing_twice(fresh_standins, WorkQueue(db.sessions), generated["ids"])

    # the licence: 2 seats per robot, both at once, never more than 4 in all
    assert limit.limit == LICENCE and limit.active_slots == 0
    print(
        f"two workers, {APPLICATIONS} applications: {elapsed:.0f} s; runs {per_run}; "
        f"peak slots {peaks.slots}, peak sessions {peaks.sessions} ({peaks.samples} samples)"
    )
    assert peaks.slots == 2 * SEATS_PER_ROBOT, "both robots held their seats at once"
    assert peaks.slots <= LICENCE and peaks.sessions <= LICENCE

    # and Prefect's own records are in PostgreSQL
    prefect_db = create_engine(profile_database(settings))
    try:
        with prefect_db.connect() as conn:
            stored = conn.execute(
                text("SELECT count(*) FROM flow_run WHERE id = ANY(:ids)"),
                {"ids": [UUID(i) for i in flow_run_ids]},
            ).scalar_one()
    finally:
        prefect_db.dispose()
        db.dispose()
    assert stored == 2


def profile_database(settings: Settings) -> str:
    """The Prefect server's database, for a synchronous look (psycopg instead of asyncpg)."""
    assert settings.prefect.database_url is not None
    url = make_url(settings.prefect.database_url.get_secret_value())
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
