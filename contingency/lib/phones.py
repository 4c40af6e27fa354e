"""Telephone numbers as links."""

from __future__ import annotations

import re


def tel_href(number: str) -> str:
    """`tel:` and the digits of a written number, a leading + kept: 07700 900123 -> tel:07700900123."""
    digits = re.sub(r"\D", "", number)
    return f"tel:{'+' if number.strip().startswith('+') else ''}{digits}"
