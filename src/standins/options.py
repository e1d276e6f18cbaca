"""Options of ``standins serve`` (a light module: the CLI's help must not import uvicorn)."""

from __future__ import annotations

from dataclasses import dataclass, field

FAULT_FLAGS = ("lost_answer_rate", "lost_answer_mode", "slow_write_rate", "slow_write_s",
               "hang_rate", "hang_s", "slow_page_rate", "slow_page_ms", "fault_seed",
               "session_expiry_rate", "seats_taken", "layout_variant")
"""Knobs (standins.knobs) that have a ``standins serve`` flag applying to every system."""


@dataclass
class ServeOptions:
    host: str = "127.0.0.1"
    eservice_port: int = 8701
    case_port: int = 8702
    population_port: int = 8703
    route_port: int = 8704
    income_port: int = 8705
    seed: int = 1
    seats: int = 4
    session_timeout_s: float = 600.0
    ui_latency_ms: float = 0.0
    api_latency_ms: float = 0.0
    fail_rate: float = 0.0
    lost_answer_rate: float = 0.0
    lost_answer_mode: str = "mixed"
    slow_write_rate: float = 0.0
    slow_write_s: float = 5.0
    hang_rate: float = 0.0
    hang_s: float = 120.0
    slow_page_rate: float = 0.0
    slow_page_ms: float = 3000.0
    fault_seed: int | None = None
    session_expiry_rate: float = 0.0
    seats_taken: int = 0
    layout_variant: str = "v1"
    maintenance_s: float = 0.0
    settings: list[str] = field(default_factory=list)  # --set SYSTEM.KNOB=VALUE
    outages: list[str] = field(default_factory=list)  # --outage SYSTEM:START_S:DURATION_S
    ports: list[str] = field(default_factory=list)  # --port SYSTEM=PORT (plugin systems too)
    log_level: str = "warning"
