"""Personnummer: check digit, forms, samordningsnummer, masking."""

from __future__ import annotations

from datetime import date

import pytest

from caserobot.personnummer import (
    InvalidPersonnummer,
    Personnummer,
    is_test_number,
    luhn_check_digit,
    mask,
)


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
    text = "barn 201501019804 och 811218-9876, ärende 12345"
    assert mask(text) == "barn 20150101-**** och 811218-****, ärende 12345"


def _valid(yyyymmdd: str, birth_no: str = "999") -> str:
    """A 12-digit number with the right check digit (test series 980-999)."""
    return yyyymmdd + birth_no + str(luhn_check_digit(yyyymmdd[2:] + birth_no))


P = _valid("19781205")  # 197812059991
S = _valid("19781265")  # samordningsnummer: day 5 + 60
BAD_CHECK = P[:-1] + str((int(P[-1]) + 1) % 10)

# (text, masked): every form a personnummer or samordningsnummer is written in.
MASKED = [
    (P, f"{P[:8]}-****"),
    (f"{P[:8]}-{P[8:]}", f"{P[:8]}-****"),
    (f"{P[:8]}\u2013{P[8:]}", f"{P[:8]}-****"),  # en dash
    (f"{P[:8]}\u2212{P[8:]}", f"{P[:8]}-****"),  # minus sign
    (f"{P[:8]}+{P[8:]}", f"{P[:8]}-****"),
    (P[2:], f"{P[2:8]}-****"),  # 10 digits
    (f"{P[2:8]}-{P[8:]}", f"{P[2:8]}-****"),
    (f"{P[2:8]}\u2013{P[8:]}", f"{P[2:8]}-****"),
    (f"{P[2:8]}+{P[8:]}", f"{P[2:8]}-****"),
    (S, f"{S[:8]}-****"),  # samordningsnummer
    (f"{S[2:8]}-{S[8:]}", f"{S[2:8]}-****"),
    (f"pnr{P}x", f"pnr{P[:8]}-****x"),  # glued to letters
    (f"PNR:{P[2:8]}-{P[8:]}.", f"PNR:{P[2:8]}-****."),
    (f"({P})", f"({P[:8]}-****)"),
    (f"sökande {P}, barn {S}", f"sökande {P[:8]}-****, barn {S[:8]}-****"),
    (_valid("20000229"), "20000229-****"),  # a leap day exists
]

# (text): digits that are not a personnummer, or are part of something longer.
UNTOUCHED = [
    "ES-261201034512-00001",  # an e-service application id (Robot's logs)
    f"ES-{P}-00001",  # even when the digit run happens to be valid
    f"ES-{P[:8]}-{P[8:]}-00001",
    BAD_CHECK,  # wrong check digit
    f"{BAD_CHECK[:8]}-{BAD_CHECK[8:]}",
    _valid("19781305"),  # month 13
    _valid("19780230"),  # 30 February
    _valid("19781292"),  # samordningsnummer day 32
    _valid("19990229"),  # not a leap year
    _valid("25001205"),  # in the future
    f"1{P}",  # 13 digits
    f"{P}1",
    f"konto 8327-{P}",  # joined to a longer digit group
    f"{P}-42",
    "ärende 12345, belopp 250000 kr",
    "2026-12-01T07:00:00+01:00",
]


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_mask_masks_each_written_form(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize("text", UNTOUCHED)
def test_mask_leaves_what_is_not_a_personnummer(text: str) -> None:
    assert mask(text) == text


def test_mask_in_a_log_line_keeps_the_application_id() -> None:
    line = f"Ansökan ES-261201034512-00003 från {P[:8]}\u2013{P[8:]} avslutad"
    assert mask(line) == f"Ansökan ES-261201034512-00003 från {P[:8]}-**** avslutad"


def test_rejected_numbers_are_hidden_in_error_messages() -> None:
    with pytest.raises(InvalidPersonnummer) as err:
        Personnummer.parse(BAD_CHECK)
    assert BAD_CHECK[8:] not in str(err.value) and BAD_CHECK[:8] in str(err.value)
