"""Personnummer: check digit, forms, samordningsnummer, masking."""

from __future__ import annotations

from datetime import date

import pytest

from caserobot.personnummer import InvalidPersonnummer, Personnummer, is_test_number, mask


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("640823-3234", "196408233234"),  # Skatteverket's worked example
        ("196408233234", "196408233234"),
        ("19811218-9876", "198112189876"),
        ("701063-2391", "197010632391"),  # samordningsnummer
        ("121212+1212", "191212121212"),  # over 100: plus sign
    ],
)
def test_parses_every_written_form(text: str, digits: str) -> None:
    assert Personnummer.parse(text, today=date(2026, 11, 23)).digits == digits


@pytest.mark.parametrize("text", ["640823-3235", "19640823-323", "abc", "", "20261340-9801"])
def test_rejects_bad_numbers_with_a_masked_message(text: str) -> None:
    with pytest.raises(InvalidPersonnummer) as err:
        Personnummer.parse(text)
    assert "3234" not in str(err.value)


def test_samordningsnummer_birth_date() -> None:
    p = Personnummer.parse("197010632391")
    assert p.is_samordningsnummer and p.birth_date == date(1970, 10, 3)


def test_test_series_only() -> None:
    assert is_test_number("198112189876")
    assert not is_test_number("196408233234")


def test_mask_hides_the_last_four_digits_everywhere() -> None:
    text = "barn 201501019800 och 811218-9876, ärende 12345"
    assert mask(text) == "barn 20150101-**** och 811218-****, ärende 12345"
