"""`{% copy_banner %}`: on a laptop copy, every page of a copied organisation says how current it is."""

from __future__ import annotations

from typing import Any

from django import template

from contingency.mirror.status import copy_status

register = template.Library()


@register.inclusion_tag("web/_copy_banner.html", takes_context=True)
def copy_banner(context: template.Context) -> dict[str, Any]:
    ctx = context.get("ctx")
    organisation = getattr(ctx, "organisation", None)
    return {"copy": copy_status(organisation) if organisation is not None else None}
