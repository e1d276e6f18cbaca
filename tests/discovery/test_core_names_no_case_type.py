"""The core names no case type (issue 8's measure of done): a case type's name in a module
under ``src/caserobot/`` is the sign that a seam is wrong."""

from __future__ import annotations

import re
from pathlib import Path

from caserobot import discovery

CORE = Path(__file__).resolve().parents[2] / "src" / "caserobot"


def test_no_core_module_names_a_case_type() -> None:
    names = {"skolskjuts", "ekonomiskt", "komvux", *discovery.installed()}
    pattern = re.compile("|".join(sorted(map(re.escape, names))), re.IGNORECASE)
    found = [
        f"{path.relative_to(CORE)}:{n}: {line.strip()}"
        for path in sorted(CORE.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert not found, "\n".join(found)
