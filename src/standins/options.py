"""Options of ``standins serve`` (a light module: the CLI's help must not import uvicorn)."""

from __future__ import annotations

from dataclasses import dataclass


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
    log_level: str = "warning"
