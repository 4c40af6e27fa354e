"""Web addresses and e-mail addresses as links, only when they are what they claim to be (pure).

A plan's supplier portal and help-desk e-mail come from people (and once came from anyone who could
upload a plan): `javascript:alert(1)` is not a web address and `desk@example.org?bcc=x@example.net`
is not an e-mail address. The plan format refuses both; these functions make sure a page never
turns such text into a link, even from data stored before the format refused it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# A plain address: no spaces, quotes, '?', '%' or '&' that a mailto: link would read as more headers.
EMAIL_PATTERN = r"^[A-Za-z0-9._+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$"
_EMAIL = re.compile(EMAIL_PATTERN)
WEB_SCHEMES = ("http", "https")


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text))


def is_web_address(text: str) -> bool:
    """An absolute http(s) address with a host and nothing a browser would strip or misread."""
    if any(c.isspace() or ord(c) < 32 or c in "<>\"'\\`" for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def mailto_href(text: str | None) -> str:
    """`mailto:` and the address, or "" when the text is not a plain address."""
    return f"mailto:{text}" if text and is_email(text) else ""


def web_href(text: str | None) -> str:
    """The address itself when it is an http(s) address, else ""."""
    return text if text and is_web_address(text) else ""
