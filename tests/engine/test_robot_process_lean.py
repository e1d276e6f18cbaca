"""A robot process stays lean (issue 9): it does not load Prefect's client.

The flow that starts a robot reads its credentials from Prefect and hands them over
(:func:`caserobot.credentials.for_robot_process`); the robot's own process, importing the
keyword library and the engine with every installed case type, must not import ``prefect``
(about 37 MB of every robot's memory).
"""

from __future__ import annotations

import subprocess
import sys


def test_the_robot_library_and_engine_do_not_import_prefect() -> None:
    code = (
        "import sys\n"
        "import caserobot.robotlib, caserobot.worker, caserobot.robotlog\n"
        "from caserobot import discovery\n"
        "for name, package in discovery.installed().items():\n"
        "    package.new_handler(None, None) if package.robot else None\n"
        "loaded = sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.'))\n"
        "print(len(loaded), loaded[:5])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.startswith("0 "), out.stdout + out.stderr
