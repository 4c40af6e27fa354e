"""`{% reached_panel %}`: the incident page's "Who has been reached" panel, a self-contained part of the page.

It reads the incident (and any refused change) from the page's context and lays out what
contingency.web.notify.present works out, so the live region shows it whenever it is drawn.
"""

from __future__ import annotations

from typing import Any

from django import template

from contingency.web.notify.present import panel_context

register = template.Library()


@register.inclusion_tag("web/notify/_reached.html", takes_context=True)
def reached_panel(context: template.Context) -> dict[str, Any]:
    return panel_context({str(key): value for key, value in context.flatten().items()})


@register.simple_tag
def catcher_on() -> bool:
    """Whether the demo's catcher keeps this installation's texts and e-mails (the Caught messages page)."""
    from contingency.web.notify.caught import catching

    return catching()
