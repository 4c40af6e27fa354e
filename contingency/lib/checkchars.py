"""Check characters for identifiers typed by hand: downtime IDs (ISO/IEC 7064 MOD 37-2) and NHS numbers (mod 11).

Pure functions. A downtime ID is a prefix of letters, a zero-padded serial number and one check
character: `CT000123` + `H`, written `CT-000123-H` on the form (spaces and hyphens are ignored when
typed). MOD 37-2 is a pure ISO 7064 system over 0-9, A-Z and `*`: it catches every single mistyped
character and every swap of two neighbours (docs/decisions/0012).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"  # values 0-36; the check character may be `*`
_MODULUS = 37
_ID_RE = re.compile(r"^(?P<prefix>[A-Z]{1,8})(?P<number>[0-9]{1,12})(?P<check>[0-9A-Z*])$")
_SEPARATORS = re.compile(r"[\s\-]+")
MAX_PREFIX, MAX_DIGITS = 8, 12


class CheckError(ValueError):
    """An identifier that is not well formed or whose check character is wrong; the message says which."""


def mod37_2(body: str) -> str:
    """The ISO/IEC 7064 MOD 37-2 check character of `body` (digits and upper-case letters)."""
    total = 0
    for char in body:
        value = ALPHABET.find(char)
        if not 0 <= value < 36:
            raise CheckError(f"{char!r} cannot be part of a downtime ID: use letters and digits")
        total = ((total + value) * 2) % _MODULUS
    return ALPHABET[(_MODULUS + 1 - total) % _MODULUS]


def mod37_2_valid(code: str) -> bool:
    """Whether the last character of `code` is the MOD 37-2 check character of the rest."""
    if len(code) < 2 or code[-1] not in ALPHABET:
        return False
    try:
        return mod37_2(code[:-1]) == code[-1]
    except CheckError:
        return False


@dataclass(frozen=True)
class DowntimeId:
    prefix: str
    number: int
    digits: int  # how many digits the serial number is written with (zero-padded)
    check: str

    @property
    def code(self) -> str:
        """The canonical form, as stored: `CT000123H`."""
        return f"{self.prefix}{self.number:0{self.digits}d}{self.check}"

    @property
    def printed(self) -> str:
        """The form printed on paper: `CT-000123-H`."""
        return f"{self.prefix}-{self.number:0{self.digits}d}-{self.check}"


def make_id(prefix: str, number: int, digits: int) -> DowntimeId:
    """The downtime ID of serial `number` in a range of `prefix` written with `digits` digits."""
    if not re.fullmatch(r"[A-Z]{1,8}", prefix):
        raise CheckError(f"{prefix!r} is not a prefix: use 1 to {MAX_PREFIX} capital letters")
    if not 1 <= digits <= MAX_DIGITS or not 0 <= number < 10**digits:
        raise CheckError(f"{number} does not fit in {digits} digit(s)")
    body = f"{prefix}{number:0{digits}d}"
    return DowntimeId(prefix, number, digits, mod37_2(body))


def parse_id(text: str) -> DowntimeId:
    """A downtime ID as typed (any case, with spaces or hyphens); CheckError says what is wrong with it."""
    compact = _SEPARATORS.sub("", text).upper()
    if not compact:
        raise CheckError("no downtime ID given")
    match = _ID_RE.match(compact)
    if match is None:
        raise CheckError(
            f"{text.strip()!r} is not a downtime ID: expected letters, digits and a check character, e.g. CT-000123-H"
        )
    body = compact[:-1]
    if mod37_2(body) != match.group("check"):
        raise CheckError(
            f"{text.strip()!r} is not a valid downtime ID: its check character does not match "
            "(a character mistyped, or two swapped?)"
        )
    number = match.group("number")
    return DowntimeId(match.group("prefix"), int(number), len(number), match.group("check"))


def nhs_number(text: str) -> str:
    """An NHS number as typed (spaces or hyphens allowed) as 10 digits; CheckError when it is not one.

    The tenth digit is the mod-11 check digit of the first nine (weights 10 down to 2); a remainder
    giving 10 means the number was never issued.
    """
    digits = _SEPARATORS.sub("", text)
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise CheckError(f"{text.strip()!r} is not an NHS number: expected 10 digits, e.g. 943 476 5919")
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    if check == 10 or check != int(digits[9]):
        raise CheckError(
            f"{text.strip()!r} is not a valid NHS number: its check digit does not match "
            "(a digit mistyped, or two swapped?)"
        )
    return digits
