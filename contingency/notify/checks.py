"""System checks for notifications: the channel variables and the address links in messages start with."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .channels.registry import ChannelConfigError, load


@register(Tags.compatibility)
def channels(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    import os

    try:
        load(os.environ)
    except ChannelConfigError as exc:
        return [
            Error(problem, hint="See the operator guide, Notifications.", id="contingency.E011")
            for problem in exc.problems
        ]
    return []


@register(Tags.compatibility)
def base_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    url = settings.CONTINGENCY_BASE_URL
    if not url.startswith(("https://", "http://")):
        return [
            Error(
                f"CONTINGENCY_BASE_URL={url!r} is not an http(s) address.",
                hint="Set it to the address people open Contingency at, e.g. https://contingency.example.org.",
                id="contingency.E012",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def plain_links(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.CONTINGENCY_BASE_URL.startswith("http://"):
        return [
            Warning(
                "Links in notifications use plain HTTP.",
                hint="Set CONTINGENCY_BASE_URL to the https:// address of this server.",
                id="contingency.W003",
            )
        ]
    return []
