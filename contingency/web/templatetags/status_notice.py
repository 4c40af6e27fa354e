"""`{% status_notice %}`: the incident page's box to post an outage notice on the status page (web/status/notice.py)."""

from __future__ import annotations

from typing import Any

from django import template

from contingency.web.status.notice import panel

register = template.Library()


@register.inclusion_tag("web/status/_notice.html", takes_context=True)
def status_notice(context: template.Context) -> dict[str, Any]:
    ctx = context.get("ctx")
    return {**panel(context["incident"], bool(ctx and ctx.can_respond)), "ctx": ctx}
