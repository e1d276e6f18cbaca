"""What the benchmarks share: the stand-ins' ports and settings, and their request counts.

Imported by the benchmark scripts beside it (run as ``python benchmarks/<name>.py``).
"""

from __future__ import annotations

import socket

import httpx

#: The API systems: every request to them is a call, not a page.
API_SYSTEMS = ("eservice", "population", "route", "income")


def listening(port: int) -> bool:
    """Whether something answers on 127.0.0.1:``port``."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def web_standins(case_type: str, first_port: int) -> dict[str, tuple[str, int]]:
    """The case type's own web systems played by stand-ins: stand-in → (setting, port)."""
    from caserobot import discovery

    systems = discovery.package(case_type).web_systems
    played = sorted((spec.standin, name) for name, spec in systems.items() if spec.standin)
    return {standin: (name, first_port + i) for i, (standin, name) in enumerate(played)}


def settings_env(ports: dict[str, int], own: dict[str, tuple[str, int]], seats: int) -> dict:
    """``CASEROBOT_*`` settings that point caserobot at stand-ins on ``ports`` (and the case
    type's own web systems ``own``), each web system with ``seats`` licences."""
    url = "http://127.0.0.1:{}".format
    return {
        "CASEROBOT_ESERVICE__BASE_URL": url(ports["eservice"]),
        "CASEROBOT_CASE_SYSTEM__BASE_URL": url(ports["case"]),
        "CASEROBOT_CASE_SYSTEM__SEAT_LIMIT": str(seats),
        "CASEROBOT_POPULATION_REGISTER__BASE_URL": url(ports["population"]),
        "CASEROBOT_ROUTE_SERVICE__BASE_URL": url(ports["route"]),
        "CASEROBOT_INCOME_REGISTER__BASE_URL": url(ports["income"]),
        **{
            f"CASEROBOT_WEB_SYSTEMS__{name.upper()}__{key}": str(value)
            for name, port in own.values()
            for key, value in (("BASE_URL", url(port)), ("SEAT_LIMIT", seats))
        },
    }


def base_urls(settings, own: dict[str, tuple[str, int]]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each stand-in's base URL, by the names the counts use."""
    return {
        "eservice": settings.eservice.base_url,
        "case": settings.case_system.base_url,
        "population": settings.population_register.base_url,
        "route": settings.route_service.base_url,
        "income": settings.income_register.base_url,
        **{standin: f"http://127.0.0.1:{port}" for standin, (_, port) in own.items()},
    }


def server_counts(base: dict[str, str]) -> dict[str, int]:
    """Requests each stand-in served, and each one's logins and logouts."""
    out = {}
    for name, url in base.items():
        stats = httpx.get(f"{url}/_test/stats", timeout=10).json()
        out[name] = stats["requests"]
        out[f"{name}_logins"] = stats.get("login_requests", 0)
    return out
