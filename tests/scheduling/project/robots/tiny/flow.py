"""The tiny robot's flow: records the trigger and settings it ran with, and nothing else."""

from __future__ import annotations

import json
import os

from prefect import flow

from caserobot.settings import get_settings


@flow(name="tiny")
def tiny(greeting: str = "hej") -> dict[str, str]:
    """Write ``tiny-run.json`` into caserobot's var dir: what a real robot run would read."""
    settings = get_settings()
    seen = {
        "greeting": greeting,
        "trigger": os.environ.get("CASEROBOT_TRIGGER", ""),
        "var_dir": str(settings.var_dir),
    }
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    (settings.var_dir / "tiny-run.json").write_text(json.dumps(seen), encoding="utf-8")
    return seen
