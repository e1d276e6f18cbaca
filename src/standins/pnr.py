"""Personnummer for the synthetic world: Skatteverket's test series only.

A deliberate copy of the check-digit function in ``caserobot.personnummer``: the stand-ins
must not import the platform they are used to judge.
"""

from __future__ import annotations

import re
from datetime import date

TEST_SERIES = range(980, 1000)
"""Birth numbers reserved for Skatteverket's test personnummer."""

_DIGITS_RE = re.compile(r"^\d{12}$")


def luhn_check_digit(nine_digits: str) -> int:
    """Check digit by modulus 10 with weights 2,1 over ``YYMMDDNNN``."""
    total = 0
    for i, ch in enumerate(nine_digits):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def make(birth: date, birth_number: int) -> str:
    """The 12-digit personnummer ``YYYYMMDDNNNC`` for a birth date and birth number."""
    if birth_number not in TEST_SERIES:
        raise ValueError(f"birth number {birth_number} is outside the test series 980-999")
    body = f"{birth:%Y%m%d}{birth_number:03d}"
    return body + str(luhn_check_digit(body[2:]))


def make_samordningsnummer(birth: date, birth_number: int) -> str:
    """The 12-digit samordningsnummer (day of birth + 60) for a birth date and number."""
    if birth_number not in TEST_SERIES:
        raise ValueError(f"birth number {birth_number} is outside the test series 980-999")
    body = f"{birth:%Y%m}{birth.day + 60:02d}{birth_number:03d}"
    return body + str(luhn_check_digit(body[2:]))


def is_samordningsnummer(text: str) -> bool:
    """True for a 12-digit samordningsnummer (day + 60) with a valid date and check digit."""
    digits = normalize(text)
    if not _DIGITS_RE.match(digits) or not 61 <= int(digits[6:8]) <= 91:
        return False
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]) - 60)
    except ValueError:
        return False
    return luhn_check_digit(digits[2:11]) == int(digits[11])


def normalize(text: str) -> str:
    """Digits only: ``"20150101-9808"`` → ``"201501019808"``."""
    return "".join(ch for ch in str(text) if ch.isdigit())


def hyphenated(digits: str) -> str:
    """``"201501019808"`` → ``"20150101-9808"`` (the e-service's form)."""
    return f"{digits[:8]}-{digits[8:]}"


def is_valid(text: str) -> bool:
    """True for a 12-digit personnummer with a valid date and check digit."""
    digits = normalize(text)
    if not _DIGITS_RE.match(digits):
        return False
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return luhn_check_digit(digits[2:11]) == int(digits[11])


def is_test_number(text: str) -> bool:
    """True for a valid personnummer whose birth number is in the test series."""
    return is_valid(text) and int(normalize(text)[8:11]) in TEST_SERIES


def with_wrong_check_digit(digits: str) -> str:
    """The same number with a check digit that fails validation (for malformed data)."""
    digits = normalize(digits)
    return digits[:11] + str((int(digits[11]) + 1) % 10)
