"""Telephone numbers as links."""

from __future__ import annotations

import re


def tel_href(number: str) -> str:
    """`tel:` and the digits of a written number, a leading + kept: 07700 900123 -> tel:07700900123."""
    digits = re.sub(r"\D", "", number)
    return f"tel:{'+' if number.strip().startswith('+') else ''}{digits}"


def is_uk_mobile(number: str) -> bool:
    """Whether a written number is a UK mobile, so it can be texted: 07700 900123, +44 7700 900123."""
    digits = re.sub(r"[\s().\-]", "", number)
    for prefix in ("+44", "0044", "44", "0"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    else:
        return False
    return digits.isdigit() and len(digits) == 10 and digits.startswith("7")
