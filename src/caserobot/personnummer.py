"""Swedish personnummer and samordningsnummer: parsing, check digit, masking.

Only Skatteverket's test personnummer may appear in caserobot's data; see
:func:`is_test_number`. Numbers are stored in the 12-digit form ``YYYYMMDDNNNC``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_PNR_RE = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$")
# Separators people and systems write between the date and the birth number: hyphen, en
# dash, minus sign, non-breaking hyphen, plus (100 years or older), or none.
_SEPARATORS = "-\u2013\u2212\u2011+"
# A candidate: 12 or 10 digits with an optional separator, not inside a longer run of
# digits. Letters around it do not matter ("pnr199812059991x" is a number glued to text);
# a digit group joined by a separator does ("ES-261201034512-00001" is one id).
_MASK_RE = re.compile(
    rf"(?<!\d)(?<!\d[{_SEPARATORS}])"
    rf"(?P<date>(?:\d{{2}})?\d{{6}})(?P<sep>[{_SEPARATORS}]?)(?P<serial>\d{{4}})"
    rf"(?!\d)(?![{_SEPARATORS}]\d)"
)


def luhn_check_digit(nine_digits: str) -> int:
    """Check digit by modulus 10 with weights 2,1 (Skatteverket)."""
    total = 0
    for i, ch in enumerate(nine_digits):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


class InvalidPersonnummer(ValueError):
    """The string is not a valid personnummer or samordningsnummer."""


@dataclass(frozen=True)
class Personnummer:
    """A validated personnummer (or samordningsnummer: day + 60)."""

    digits: str  # 12 digits, YYYYMMDDNNNC

    @classmethod
    def parse(cls, text: str, *, today: date | None = None) -> Personnummer:
        raw = str(text).strip().replace(" ", "")
        m = _PNR_RE.match(raw)
        if not m:
            raise InvalidPersonnummer(f"'{_hide(raw)}' har inte formen ÅÅÅÅMMDD-NNNN")
        century, yy, mm, dd, sep, birth_no, check = m.groups()
        if century is None:
            today = today or date.today()
            year = 2000 + int(yy)
            if year > today.year:
                year -= 100
            if sep == "+":
                year -= 100
            century = str(year)[:2]
        nine = f"{yy}{mm}{dd}{birth_no}"
        if luhn_check_digit(nine) != int(check):
            raise InvalidPersonnummer(f"'{_hide(raw)}' har fel kontrollsiffra")
        day = int(dd) - 60 if int(dd) > 60 else int(dd)
        try:
            date(int(century + yy), int(mm), day)
        except ValueError as exc:
            raise InvalidPersonnummer(f"'{_hide(raw)}' innehåller inget giltigt datum") from exc
        return cls(f"{century}{yy}{mm}{dd}{birth_no}{check}")

    @property
    def is_samordningsnummer(self) -> bool:
        return int(self.digits[6:8]) > 60

    @property
    def birth_date(self) -> date:
        day = int(self.digits[6:8])
        day = day - 60 if day > 60 else day
        return date(int(self.digits[:4]), int(self.digits[4:6]), day)

    @property
    def masked(self) -> str:
        return mask(self.digits)

    def __str__(self) -> str:
        return f"{self.digits[:8]}-{self.digits[8:]}"


def is_valid(text: str) -> bool:
    try:
        Personnummer.parse(text)
    except InvalidPersonnummer:
        return False
    return True


def is_test_number(text: str) -> bool:
    """True for numbers in Skatteverket's test series (birth numbers 980-999).

    The official "Testpersonnummer" dataset could not be downloaded on the build machine
    (no network); its numbers use the birth-number series 980-999, which is what caserobot's
    synthetic data generator draws from. The check keeps real-looking numbers out of fixtures.
    """
    try:
        pnr = Personnummer.parse(text)
    except InvalidPersonnummer:
        return False
    return int(pnr.digits[8:11]) >= 980


def mask(text: str) -> str:
    """Mask every personnummer and samordningsnummer in ``text`` for logs: ``20150101-****``.

    Only what is one is masked: 10 or 12 digits (separator hyphen, en dash, plus or none)
    whose date exists (day + 60 for a samordningsnummer) and whose last digit is the Luhn
    check digit. Digit runs inside a longer id (``ES-261201034512-00001``, an account
    number, a longer run of digits) are left alone.
    """

    def _sub(m: re.Match[str]) -> str:
        if not _looks_real(m["date"], m["serial"]):
            return m.group(0)
        return f"{m['date']}-****"

    return _MASK_RE.sub(_sub, str(text))


def _looks_real(date_part: str, serial: str) -> bool:
    """A valid date (samordningsnummer: day + 60) and a matching Luhn check digit."""
    yymmdd = date_part[-6:]
    if luhn_check_digit(yymmdd + serial[:3]) != int(serial[3]):
        return False
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    day = day - 60 if day > 60 else day
    # A 12-digit number names its century; a 10-digit one may be any century: use a
    # leap year so 29 February stays possible.
    year = int(date_part[:4]) if len(date_part) == 8 else 2000
    if len(date_part) == 8 and not 1800 <= year <= date.today().year:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _hide(raw: str) -> str:
    """A rejected number in an error message: its date part at most, never the rest.

    A number that fails the checks may still be someone's (a typo), so unlike
    :func:`mask` this hides whatever is there.
    """
    digits = "".join(ch for ch in raw if ch.isdigit())
    head = digits[:8] if len(digits) >= 12 else digits[:6]
    return f"{head}-****" if digits else "****"
