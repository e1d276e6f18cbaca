"""The list of Sweden's municipalities behind the unknown-municipality referral."""

from __future__ import annotations

from datetime import date

from caserobot.rules import get_case_type
from caserobot.rules._parameters import load_parameters

PARAMETERS = get_case_type("skolskjuts").config_dir / "parameters.yaml"


def test_290_unique_municipalities_in_21_counties() -> None:
    table = load_parameters(PARAMETERS).value("known_municipalities", date(2026, 8, 1))
    assert len(table) == 290
    assert len({name.casefold() for name in table}) == 290
    assert len(set(table.values())) == 21
    assert all(county.endswith(" län") for county in table.values())
    assert table["Nacka"] == "Stockholms län" and table["Knivsta"] == "Uppsala län"
