"""Case types are found through the entry-point group ``caserobot.case_types``: the two built
in, and one from a distribution installed beside them (real installed metadata, a
``.dist-info`` directory as pip writes it, on the path of a fresh interpreter)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from caserobot import discovery, rules
from caserobot.cases import handler_for
from caserobot.exceptions import ConfigurationError, InputError

LIST = (
    "from caserobot import case_types, discovery, rules\n"
    "try:\n"
    "    print(sorted(discovery.installed()), rules.case_types())\n"
    "    print(case_types.case_type('provtyp').label)\n"
    "except Exception as exc:\n"
    "    print(type(exc).__name__, exc)\n"
)


def test_the_built_in_case_types_are_found_through_their_entry_points() -> None:
    found = discovery.installed()
    assert {"skolskjuts", "ekonomiskt_bistand"} <= set(found)
    assert set(found) <= set(rules.case_types())
    for name, package in found.items():
        assert package.rules is rules.get_case_type(name)
        if package.handler is None:  # rules only so far: no robot can run it
            with pytest.raises(ConfigurationError, match="har bara regler"):
                handler_for(name)
            continue
        assert handler_for(name).case_type == name
    # A package says whether its decisions carry an amount: the caseworker's form follows.
    assert found["ekonomiskt_bistand"].decides_amount
    assert not found["skolskjuts"].decides_amount


def test_an_unknown_case_type_names_the_installed_ones() -> None:
    with pytest.raises(InputError) as caught:
        handler_for("finns_inte")
    assert caught.value.field == "case_type"
    assert "skolskjuts" in str(caught.value) and "finns_inte" in str(caught.value)


def _install(site: Path, name: str, value: str, module: str | None) -> None:
    """What ``pip install`` leaves: the package and its .dist-info with entry_points.txt."""
    info = site / f"caserobot_{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: caserobot-{name}\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[caserobot.case_types]\n{name} = {value}\n", encoding="utf-8"
    )
    if module is not None:
        (site / f"caserobot_{name}.py").write_text(module, encoding="utf-8")


def _run(site: Path, script: str) -> str:
    """What ``script`` prints in a fresh interpreter with ``site`` on its path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _list(site: Path) -> str:
    return _run(site, LIST)


def test_a_case_type_installed_as_its_own_distribution_is_found(tmp_path: Path) -> None:
    _install(
        tmp_path,
        "provtyp",
        "caserobot_provtyp:PACKAGE",
        "from pydantic import BaseModel\n"
        "from caserobot.discovery import CaseTypePackage\n"
        "from caserobot.rules import CaseType, register\n"
        "class Input(BaseModel):\n    x: int\n"
        "CASE = register(CaseType('provtyp', Input))\n"
        "PACKAGE = CaseTypePackage(name='provtyp', rules=CASE, handler='caserobot_provtyp:H',\n"
        "    profile={'label': 'Provärende', 'unit': 'Prov', 'sla_days': 5,\n"
        "             'manual_minutes': 10})\n",
    )
    found, label = _list(tmp_path).splitlines()
    assert "'provtyp'" in found.split("]")[0] and "'skolskjuts'" in found, found
    # Its own profile reaches the registry's case-type table, with no core file touched.
    assert label == "Provärende"


def test_a_broken_case_type_package_is_named(tmp_path: Path) -> None:
    _install(tmp_path, "trasig", "caserobot_trasig:PACKAGE", None)  # the module is missing
    out = _list(tmp_path)
    assert out.startswith("ConfigurationError") and "trasig" in out, out
    assert "Traceback" not in out


def test_a_profile_override_for_a_case_type_that_is_not_installed_is_refused(
    tmp_path: Path,
) -> None:
    from caserobot.case_types import load_case_types
    from caserobot.exceptions import ConfigurationError

    overrides = tmp_path / "case_types.yaml"
    overrides.write_text("skolskjuts:\n  sla_days: 14\n", encoding="utf-8")
    assert load_case_types(overrides)["skolskjuts"].sla_days == 14
    assert load_case_types(overrides)["skolskjuts"].label == "Skolskjuts"  # the package's

    overrides.write_text("komvuks:\n  sla_days: 14\n", encoding="utf-8")
    load_case_types.cache_clear()
    with pytest.raises(ConfigurationError) as caught:
        load_case_types(overrides)
    assert "komvuks" in str(caught.value) and "skolskjuts" in str(caught.value)


def test_the_packages_references_all_resolve() -> None:
    """Every "module:attr" a built-in package names can be imported (a typo fails here,
    not in a caseworker's write-back)."""
    for name, package in discovery.installed().items():
        if package.handler is None:  # rules only so far
            continue
        assert package.new_handler().case_type == name
        assert callable(package.caseworker_writer())
        screens = package.screen_set()
        assert screens is not None and screens.screens, name
        assert package.profile["unit"] and package.demo is not None


REASONS = (
    "from caserobot.exceptions import reason_codes, reason_label, BusinessException\n"
    "try:\n"
    "    print(reason_label('prov_skal'), BusinessException('prov_skal', 'x').reason.label)\n"
    "    print(len(reason_codes()))\n"
    "except Exception as exc:\n"
    "    print(type(exc).__name__, exc)\n"
)


def _reasons_package(members: str) -> str:
    return (
        "from pydantic import BaseModel\n"
        "from caserobot.discovery import CaseTypePackage\n"
        "from caserobot.exceptions import Reason\n"
        "from caserobot.rules import CaseType, register\n"
        "class Input(BaseModel):\n    x: int\n"
        f"class ProvReason(Reason):\n{members}"
        "CASE = register(CaseType('provtyp', Input))\n"
        "PACKAGE = CaseTypePackage(name='provtyp', rules=CASE, handler='caserobot_provtyp:H',\n"
        "    profile={'label': 'P', 'unit': 'P', 'sla_days': 5, 'manual_minutes': 10},\n"
        "    reasons=ProvReason)\n"
    )


def test_a_packages_own_reason_codes_are_known_with_their_labels(tmp_path: Path) -> None:
    _install(
        tmp_path,
        "provtyp",
        "caserobot_provtyp:PACKAGE",
        _reasons_package("    PROV_SKAL = ('prov_skal', 'Provskäl')\n"),
    )
    labels, count = _run(tmp_path, REASONS).splitlines()
    assert labels == "Provskäl Provskäl"
    from caserobot.exceptions import reason_codes

    assert int(count) == len(reason_codes()) + 1


def test_a_reason_code_taken_by_another_package_is_refused(tmp_path: Path) -> None:
    _install(
        tmp_path,
        "provtyp",
        "caserobot_provtyp:PACKAGE",
        _reasons_package(
            "    PROV_SKAL = ('prov_skal', 'Provskäl')\n"
            "    TAXI = ('taxi_requested', 'Taxi')\n"  # skolskjuts's code
        ),
    )
    out = _run(tmp_path, REASONS)
    assert out.startswith("ConfigurationError") and "taxi_requested" in out, out
