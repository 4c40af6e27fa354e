"""Template filters of the downtime pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Mapping[str, Any], key: str) -> Any:
    """`names|get_item:key`: the name of a plan part by key, or the key itself."""
    return mapping.get(key, key)
