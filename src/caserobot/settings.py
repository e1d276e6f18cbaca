"""caserobot's configuration: one root :class:`Settings`, read from ``CASEROBOT_*`` variables.

Nested groups use a double underscore, e.g. ``CASEROBOT_DATABASE__URL`` or
``CASEROBOT_CASE_SYSTEM__SEAT_LIMIT``. Nothing else in caserobot reads ``os.environ``
for its own configuration; call :func:`get_settings`.
"""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


#: Debian's build of Chromium's old headless mode (package chromium-headless-shell).
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
#: Debian's full Chromium (package chromium).
FULL_CHROMIUM = "/usr/bin/chromium"


def _find_chromium() -> str | None:
    """The headless shell when installed (the robots run headless: measured at about half
    the CPU per case of the full browser's headless mode), else the full Chromium."""
    for candidate in (HEADLESS_SHELL, FULL_CHROMIUM, "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


class DatabaseSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the registry. Default: SQLite file var/caserobot.db. "
        "PostgreSQL: postgresql+psycopg://user@127.0.0.1:5432/caserobot",
    )


class ApiSystemSettings(BaseModel):
    """A register reached over its HTTP API."""

    base_url: str = Field(description="Base URL of the system's API")
    timeout_s: float = Field(default=10.0, description="Timeout per call, seconds")


class WebSystemSettings(BaseModel):
    """A legacy system reached only through its web UI, with seat licences."""

    base_url: str = Field(description="Base URL of the web UI")
    username: str = Field(default="robot01", description="Robot account in the system")
    password: SecretStr = Field(default=SecretStr("robot01"), description="Its password")
    seat_limit: int = Field(default=4, ge=1, description="Concurrent sessions (seat licences)")
    timeout_s: float = Field(default=15.0, description="Timeout per page, seconds")
    seat_wait_s: float = Field(
        default=120.0,
        ge=0,
        description="How long to wait for a free seat (seats of a crashed robot free up when "
        "its sessions time out)",
    )


class CaseSystemSettings(WebSystemSettings):
    """The legacy case system, where decisions are written, reached through its web UI."""

    base_url: str = Field(default="http://127.0.0.1:8702", description="Base URL of the web UI")
    write_settle_s: float = Field(
        default=120.0,
        gt=0,
        description="How long a write whose answer was lost may take to show on the case. "
        "Until then the robot reads back and never writes again; set it above the case "
        "system's own request timeout (IIS/ASP.NET: 110 s by default)",
    )


class BrowserSettings(BaseModel):
    executable_path: str | None = Field(
        default_factory=_find_chromium,
        description="Chromium binary for Playwright: Debian's /usr/bin/chromium-headless-shell "
        "when installed, else /usr/bin/chromium (needed for headless=false)",
    )
    headless: bool = Field(default=True, description="Run Chromium headless")


class WorkSettings(BaseModel):
    lease_seconds: int = Field(default=120, ge=1, description="How long a claimed item is held")
    max_attempts: int = Field(default=3, ge=1, description="Tries on application exceptions")
    retry_backoff_s: float = Field(default=1.0, ge=0, description="First backoff; doubles")
    max_backoff_s: float = Field(default=60.0, gt=0, description="Longest backoff, seconds")
    max_transient_failures: int = Field(
        default=50,
        ge=1,
        description="System failures (down, 5xx, no answer) an item may meet before it is "
        "given up; they do not use up max_attempts",
    )
    outage_wait_s: float = Field(
        default=600.0,
        ge=0,
        description="How long a run waits for a legacy system that is down before it ends "
        "with the items still waiting (the next run takes them)",
    )
    intake_batch: int = Field(
        default=500,
        ge=1,
        description="Applications the intake enqueues in one transaction before it marks "
        "them received in the e-service",
    )
    intake_concurrency: int = Field(
        default=16,
        ge=1,
        description="Calls the intake makes to the e-service at once (marking received)",
    )
    items_per_seat: int = Field(
        default=2,
        ge=1,
        le=8,
        description="Items a seat works on side by side (fast mode): while one waits for "
        "another system, the next uses the seat's sessions; a system still answers one "
        "page at a time per session, and a form is filled by one item at a time",
    )
    renew_context_every: int = Field(
        default=100,
        ge=0,
        description="Items a seat processes before it moves to a fresh browser context on "
        "the same logged-in session (keeps memory flat over long runs; 0: never)",
    )
    breaker_threshold: int = Field(
        default=5, ge=1, description="Consecutive failures that mark a legacy system as down"
    )
    breaker_max_probe_s: float = Field(
        default=30.0, gt=0, description="Longest wait between two probes of a system that is down"
    )


class WebSettings(BaseModel):
    """The web UI (``caserobot serve``)."""

    host: str = Field(default="127.0.0.1", description="Address the web server listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the web server listens on")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs session cookies, at least 32 characters. Unset: generated "
        "once and kept in var_dir/web-secret-key (mode 0600); an empty or short file is refused",
    )
    session_max_age_s: int = Field(
        default=8 * 3600, ge=60, description="How long a login lasts, seconds"
    )
    cookie_secure: bool = Field(
        default=False,
        description="Mark the session cookie Secure (sent over HTTPS only). Off for the "
        "loopback demo over http; turn it on in production behind HTTPS",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of reverse proxies whose X-Forwarded-For and "
        'X-Forwarded-Proto are believed, as JSON, e.g. ["10.0.0.5"] or ["10.0.0.0/24"]. '
        "Default none: the client's address is the connection's",
    )
    max_body_bytes: int = Field(
        default=100_000,
        ge=1024,
        description="Largest request body accepted; larger ones get 413 before they are read",
    )


class PrefectSettings(BaseModel):
    """Prefect's server that caserobot starts itself when ``PREFECT_API_URL`` is unset.

    An external server is Prefect's own business: ``PREFECT_API_URL`` and
    ``PREFECT_API_AUTH_STRING`` (see docs/production.md).
    """

    port: int = Field(
        default=4200,
        ge=1,
        le=65535,
        description="Port of the local Prefect server caserobot starts on 127.0.0.1; when "
        "another program holds it, caserobot starts its server on a free port instead",
    )
    auth_string: SecretStr | None = Field(
        default=None,
        description="'user:password' of the local server's basic auth. Unset: generated "
        "once and kept in var_dir/prefect-auth (mode 0600)",
    )
    startup_timeout_s: float = Field(
        default=120.0, gt=0, description="How long the local server may take to start"
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="Database of the local server, a SQLAlchemy async URL: "
        "postgresql+asyncpg://user:password@127.0.0.1:5432/prefect (given to the server as "
        "PREFECT_SERVER_DATABASE_CONNECTION_URL). Unset: Prefect's SQLite file in "
        "var_dir/prefect. An external server is configured on that server instead",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CASEROBOT_", env_nested_delimiter="__", extra="ignore"
    )

    var_dir: Path = Field(
        default=PROJECT_ROOT / "var", description="Run data: database, robot output, reports"
    )
    config_dir: Path = Field(
        default=PROJECT_ROOT / "config", description="Rules and case-type configuration"
    )
    municipality: str = Field(default="Nacka", description="The municipality whose rules apply")
    database: DatabaseSettings = DatabaseSettings()
    eservice: ApiSystemSettings = ApiSystemSettings(base_url="http://127.0.0.1:8701")
    case_system: CaseSystemSettings = CaseSystemSettings()
    population_register: ApiSystemSettings = ApiSystemSettings(base_url="http://127.0.0.1:8703")
    route_service: ApiSystemSettings = ApiSystemSettings(base_url="http://127.0.0.1:8704")
    income_register: ApiSystemSettings = ApiSystemSettings(base_url="http://127.0.0.1:8705")
    web_systems: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Settings of the web systems a case type brings, by name, over the "
        "defaults its package gives: CASEROBOT_WEB_SYSTEMS__<NAME>__BASE_URL and so on",
    )
    browser: BrowserSettings = BrowserSettings()
    work: WorkSettings = WorkSettings()
    web: WebSettings = WebSettings()
    prefect: PrefectSettings = PrefectSettings()

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.var_dir / 'caserobot.db'}"

    @property
    def rules_dir(self) -> Path:
        return self.config_dir / "rules"

    def web_system(self, name: str, defaults: dict[str, Any]) -> WebSystemSettings:
        """A case type's web system: its package's ``defaults``, then these settings."""
        return WebSystemSettings.model_validate(defaults | self.web_systems.get(name, {}))


@lru_cache
def get_settings() -> Settings:
    """The settings of this process (cached; call ``get_settings.cache_clear()`` in tests)."""
    return Settings()
