"""Credentials of legacy systems, kept as Prefect Secret blocks.

One block per system, named ``legacy-<system>-credentials``, holding the JSON value
``{"username": …, "password": …}``. Prefect stores block secrets encrypted and shows them
obfuscated in its UI. caserobot never shows a stored password again and never logs it: the
audit log gets ``"password": "***"``, listings get the username and when it was stored.

Robots read them with :func:`apply` (the case system's account over the settings'
``case_system.username/password`` when a block exists; otherwise the settings stand).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from caserobot.audit import Sessions
from caserobot.exceptions import ApplicationException, InputError
from caserobot.settings import Settings, get_settings

PREFIX = "legacy-"
SUFFIX = "-credentials"
CASE_SYSTEM = "arendesystem"
logger = logging.getLogger(__name__)


class StoredCredentials(BaseModel):
    """What may be shown about stored credentials: never the password."""

    model_config = ConfigDict(frozen=True)

    system: str
    username: str
    stored_at: datetime | None


class Credentials(BaseModel):
    """A legacy system's account, for robots (the password stays a SecretStr)."""

    model_config = ConfigDict(frozen=True)

    username: str
    password: SecretStr


def block_name(system: str) -> str:
    return f"{PREFIX}{system}{SUFFIX}"


def known_systems(settings: Settings | None = None) -> list[str]:
    """The legacy systems caserobot knows (the names robot manifests use)."""
    from caserobot.orchestration import legacy_systems

    return list(legacy_systems(settings or get_settings()))


def store(
    system: str,
    username: str,
    password: str,
    *,
    actor: str,
    settings: Settings | None = None,
    client_address: str | None = None,
    sessions: Sessions | None = None,
) -> StoredCredentials:
    """Store (or replace) a system's credentials as a Prefect Secret block; audited.

    Raises:
        InputError: unknown system, empty username or password.
    """
    from prefect.blocks.system import Secret

    from caserobot import audit, scheduling
    from caserobot.db import init_db

    settings = settings or get_settings()
    _check_system(system, settings)
    username = username.strip()
    if not username or any(c.isspace() for c in username):
        raise InputError("username", "användarnamnet får inte vara tomt eller innehålla blanksteg")
    if not password:
        raise InputError("password", "lösenordet får inte vara tomt")
    before = next((c for c in list_stored() if c.system == system), None)
    with scheduling.prefect_client():  # for its clear error when Prefect does not answer
        Secret(value={"username": username, "password": password}).save(
            block_name(system), overwrite=True
        )
    audit.record_now(
        sessions or init_db(settings).sessions,
        actor=actor,
        action="credentials.store",
        target=f"system:{system}",
        before={"username": before.username, "password": "***"} if before else None,
        after={"username": username, "password": "***"},
        client=client_address,
    )
    return next(c for c in list_stored() if c.system == system)


def exists(system: str) -> bool:
    """Whether Prefect holds credentials for the system."""
    return any(c.system == system for c in list_stored())


def load(system: str) -> Credentials | None:
    """The system's stored credentials, or None when Prefect has none (internal use)."""
    from prefect.blocks.system import Secret
    from prefect.exceptions import ObjectNotFound

    from caserobot import scheduling

    with scheduling.prefect_client():
        try:
            value = Secret.load(block_name(system)).get()
        except (ObjectNotFound, ValueError):  # Prefect: ValueError when the name is unknown
            return None
    return Credentials(username=value["username"], password=SecretStr(value["password"]))


def list_stored() -> list[StoredCredentials]:
    """Systems with stored credentials: username and time stored, never the password."""
    from caserobot import scheduling

    with scheduling.prefect_client() as client:
        documents = client.read_block_documents_by_type("secret", include_secrets=True)
    stored = []
    for doc in documents:
        name = doc.name or ""
        if not (name.startswith(PREFIX) and name.endswith(SUFFIX)):
            continue
        value = _json_value(doc.data.get("value"))
        if isinstance(value, dict) and "username" in value:
            stored.append(
                StoredCredentials(
                    system=name.removeprefix(PREFIX).removesuffix(SUFFIX),
                    username=str(value["username"]),
                    stored_at=doc.updated or doc.created,
                )
            )
    return sorted(stored, key=lambda c: c.system)


def apply(settings: Settings) -> Settings:
    """Settings with the case system's stored account, when Prefect holds one.

    Falls back to the settings' own ``case_system.username/password`` when no Prefect server
    is configured (a robot run outside Prefect), when Prefect holds no credentials for the
    case system, or when it does not answer (logged, without any secret).
    """
    # Only a configured server is asked: without one, Prefect's client would start a
    # temporary server of its own inside the robot process.
    if not os.environ.get("PREFECT_API_URL"):
        return settings
    try:
        stored = load(CASE_SYSTEM)
    except ApplicationException as exc:
        logger.warning("Inloggningsuppgifter från Prefect kunde inte läsas: %s", exc)
        return settings
    if stored is None:
        return settings
    case_system = settings.case_system.model_copy(
        update={"username": stored.username, "password": stored.password}
    )
    return settings.model_copy(update={"case_system": case_system})


def _check_system(system: str, settings: Settings) -> None:
    known = known_systems(settings)
    if system not in known:
        raise InputError("system", f"okänt system '{system}' (kända: {', '.join(known)})")


def _json_value(value: Any) -> Any:
    import json

    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value
