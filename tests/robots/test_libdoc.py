"""The keyword library's documentation builds with Robot Framework's libdoc."""

from __future__ import annotations

import json

from robot.libdoc import libdoc


def test_libdoc_documents_every_keyword(tmp_path) -> None:
    out = tmp_path / "CaseRobot.json"
    libdoc("caserobot.robotlib.CaseRobot", str(out), format="JSON")
    spec = json.loads(out.read_text())
    keywords = {k["name"]: k for k in spec["keywords"]}
    assert "Process Work Items" in keywords
    assert all(k["doc"].strip() for k in keywords.values())
    assert [a["name"] for a in keywords["Process Work Items"]["args"]][:2] == ["case_type", "seats"]
