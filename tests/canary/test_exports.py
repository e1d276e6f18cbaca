"""The canary's public surface (the web UI, the CLI and the engine use only these)."""

import caserobot.canary
import caserobot.legacy.casesystem.screens


def test_canary_exports() -> None:
    assert sorted(caserobot.canary.__all__) == [
        "ACTOR",
        "CanaryError",
        "CanaryGuard",
        "CanaryResult",
        "CanaryState",
        "EVENT",
        "LayoutChanged",
        "ScreenResult",
        "ScreenSet",
        "accept",
        "alerts",
        "change_message",
        "check",
        "check_robot",
        "emit_event",
        "robots_for",
        "screen_set",
        "screens_for",
        "state",
    ]
    assert caserobot.canary.EVENT == "caserobot.canary.layout-changed"


def test_screens_exports() -> None:
    assert sorted(caserobot.legacy.casesystem.screens.__all__) == [
        "Form",
        "ScreenSpec",
        "Table",
        "features",
        "findings",
        "fingerprint",
        "problems",
        "require",
        "structure",
    ]
