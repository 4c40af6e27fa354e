"""`|web_href` and `|mailto_href`: a link's address only when the text really is one ("" otherwise).

Plan text such as a supplier's portal is shown as a link only when it is an http(s) address, and an
e-mail only when it is a plain address, so `javascript:` or `?bcc=` never becomes a link, even in
plans stored before the plan format refused them (contingency.lib.hrefs).
"""

from __future__ import annotations

from django import template

from contingency.lib import hrefs

register = template.Library()


@register.filter
def web_href(text: str | None) -> str:
    return hrefs.web_href(text)


@register.filter
def mailto_href(text: str | None) -> str:
    return hrefs.mailto_href(text)
