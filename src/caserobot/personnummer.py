"""Swedish personnummer and samordningsnummer: parsing, check digit, masking.

Only Skatteverket's test personnummer may appear in caserobot's data; see
:func:`is_test_number`. Numbers are stored in the 12-digit form ``YYYYMMDDNNNC``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_PNR_RE = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$")
_MASK_RE = re.compile(r"\b(\d{2})?(\d{6})[-+]?(\d{4})\b")


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
            raise InvalidPersonnummer(f"'{mask(raw)}' har inte formen ÅÅÅÅMMDD-NNNN")
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
            raise InvalidPersonnummer(f"'{mask(raw)}' har fel kontrollsiffra")
        day = int(dd) - 60 if int(dd) > 60 else int(dd)
        try:
            date(int(century + yy), int(mm), day)
        except ValueError as exc:
            raise InvalidPersonnummer(f"'{mask(raw)}' innehåller inget giltigt datum") from exc
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
    """Mask every personnummer-like number in ``text`` for logs: ``20150101-****``."""

    def _sub(m: re.Match[str]) -> str:
        return f"{m.group(1) or ''}{m.group(2)}-****"

    return _MASK_RE.sub(_sub, str(text))
