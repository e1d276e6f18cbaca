"""Credentials of legacy systems, kept as Prefect blocks.

One block per system, named ``legacy-<system>-credentials``, of caserobot's block type
``caserobot-legacy-credentials`` (:func:`block_type`): ``username`` in plain, ``password`` a
secret field. Prefect stores secret fields encrypted and obfuscates them unless a client asks
for them (``include_secrets``); listings never ask, so a listing never carries a password.
caserobot never shows a stored password again and never logs it: the audit log gets
``"password": "***"``, listings get the username and when it was stored.

Blocks stored by earlier versions (a Prefect ``Secret`` block holding
``{"username": …, "password": …}``) are still read by :func:`load`, listed without their
username, and replaced by the next :func:`store`.

Robots read them with :func:`apply` (the case system's account over the settings'
``case_system.username/password`` when a block exists; otherwise the settings stand).
Prefect's API must be protected: see :mod:`caserobot.runtime` and docs/production.md.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from caserobot.audit import Sessions
from caserobot.exceptions import ApplicationException, InputError
from caserobot.settings import Settings, get_settings

PREFIX = "legacy-"
SUFFIX = "-credentials"
CASE_SYSTEM = "arendesystem"
BLOCK_TYPE = "caserobot-legacy-credentials"
#: Shown for a block of the earlier format, whose username is inside the secret.
UNKNOWN_USERNAME = "(okänt: lagra om)"
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


@cache
def block_type() -> type[Any]:
    """caserobot's Prefect block type for an account (imported with Prefect, when needed)."""
    from prefect.blocks.core import Block

    class LegacyCredentials(Block):
        """A legacy system's account for caserobot's robots."""

        _block_type_name = "caserobot legacy credentials"
        _block_type_slug = BLOCK_TYPE
        _description = "Inloggning för en robot i ett verksamhetssystem (lösenordet är hemligt)."

        username: str
        password: SecretStr

    return LegacyCredentials


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
    with scheduling.prefect_client() as client:  # for its clear error on an unreachable Prefect
        block_type()(username=username, password=SecretStr(password)).save(
            block_name(system), overwrite=True
        )
        _delete_legacy_secret(client, system)
    audit.record_now(
        sessions or init_db(settings).sessions,
        actor=actor,
        action="credentials.store",
        target=f"system:{system}",
        before={"username": before.username, "password": "***"} if before else None,  # nosec B105  # the audit log's mask for a password, not a password
        after={"username": username, "password": "***"},  # nosec B105  # the audit log's mask for a password, not a password
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
            block = block_type().load(block_name(system))
            return Credentials(username=block.username, password=block.password)
        except (ObjectNotFound, ValueError):  # Prefect: ValueError when the name is unknown
            pass
        try:  # the earlier format
            value = Secret.load(block_name(system)).get()
        except (ObjectNotFound, ValueError):
            return None
    return Credentials(username=value["username"], password=SecretStr(value["password"]))


def list_stored() -> list[StoredCredentials]:
    """Systems with stored credentials: username and time stored, never the password.

    Asks Prefect without secrets (``include_secrets=False``): no password leaves Prefect.
    """
    from caserobot import scheduling

    stored: dict[str, StoredCredentials] = {}
    with scheduling.prefect_client() as client:
        for slug in ("secret", BLOCK_TYPE):  # the earlier format first: the new one wins
            for doc in _documents(client, slug):
                name = doc.name or ""
                if not (name.startswith(PREFIX) and name.endswith(SUFFIX)):
                    continue
                system = name.removeprefix(PREFIX).removesuffix(SUFFIX)
                username = doc.data.get("username") if slug == BLOCK_TYPE else None
                stored[system] = StoredCredentials(
                    system=system,
                    username=str(username) if username else UNKNOWN_USERNAME,
                    stored_at=doc.updated or doc.created,
                )
    return sorted(stored.values(), key=lambda c: c.system)


#: Set for a robot process by the flow that starts it: the flow (which has Prefect's client
#: loaded anyway) has read the case system's account and, when one is stored, handed it over
#: as ``CASEROBOT_CASE_SYSTEM__USERNAME``/``__PASSWORD`` (the way the worker hands over
#: Prefect's own auth string). The robot process then never loads Prefect's client, about
#: 37 MB of each robot's memory (issue 9).
RESOLVED = "CASEROBOT_CREDENTIALS_RESOLVED"


def for_robot_process() -> dict[str, str]:
    """Environment for a robot process this one starts: the stored account, read here.

    Empty when no Prefect server is configured or it does not answer (the robot then falls
    back as :func:`apply` does).
    """
    if not os.environ.get("PREFECT_API_URL"):
        return {}
    try:
        stored = load(CASE_SYSTEM)
    except ApplicationException as exc:
        logger.warning("Inloggningsuppgifter från Prefect kunde inte läsas: %s", exc)
        return {}
    env = {RESOLVED: "1"}
    if stored is not None:
        env["CASEROBOT_CASE_SYSTEM__USERNAME"] = stored.username
        env["CASEROBOT_CASE_SYSTEM__PASSWORD"] = stored.password.get_secret_value()
    return env


def apply(settings: Settings) -> Settings:
    """Settings with the case system's stored account, when Prefect holds one.

    Falls back to the settings' own ``case_system.username/password`` when no Prefect server
    is configured (a robot run outside Prefect), when Prefect holds no credentials for the
    case system, or when it does not answer (logged, without any secret). A robot process
    started by a flow has them already (:func:`for_robot_process`).
    """
    # Only a configured server is asked: without one, Prefect's client would start a
    # temporary server of its own inside the robot process.
    if not os.environ.get("PREFECT_API_URL") or os.environ.get(RESOLVED):
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


def _documents(client: Any, slug: str) -> list[Any]:
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    try:
        return list(client.read_block_documents_by_type(slug, include_secrets=False))
    except ObjectNotFound:  # the block type is not registered yet: nothing stored
        return []
    except PrefectHTTPStatusError as exc:
        if exc.response.status_code == 404:
            return []
        raise


def _delete_legacy_secret(client: Any, system: str) -> None:
    """Remove a block of the earlier format once the system's account is stored anew."""
    from prefect.exceptions import ObjectNotFound

    try:
        doc = client.read_block_document_by_name(
            block_name(system), "secret", include_secrets=False
        )
    except ObjectNotFound:
        return
    client.delete_block_document(doc.id)
