"""System checks that explain misconfiguration in plain words at start-up."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connection


@register(Tags.compatibility)
def configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Problems found while reading settings from the environment."""
    return [Error(message, hint=hint, id=check_id) for check_id, message, hint in settings.CONFIG_PROBLEMS]


@register(Tags.security, deploy=True)
def production_safety(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Settings that are fine on a laptop but not on a shared server."""
    found: list[CheckMessage] = []
    if settings.DEBUG:
        found.append(Warning("DEBUG is on.", hint="Unset DEBUG on a shared server.", id="contingency.W001"))
    if not settings.SESSION_COOKIE_SECURE:
        found.append(
            Warning(
                "Cookies are sent over plain HTTP.",
                hint="Set SECURE_COOKIES=true when serving over HTTPS.",
                id="contingency.W002",
            )
        )
    elif settings.CONTINGENCY_TRUSTED_PROXIES == 0:
        found.append(
            Warning(
                "HTTPS comes through a proxy, but TRUSTED_PROXIES is 0: wrong-password delays and lock-outs would "
                "see every user at the proxy's address.",
                hint="Set TRUSTED_PROXIES to the number of proxies in front of the server (usually 1).",
                id="contingency.W004",
            )
        )
    return found


@register(Tags.database)
def sqlite_journal(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """SQLite must run in WAL mode so the worker and the web server do not block each other."""
    if not databases or connection.vendor != "sqlite" or connection.settings_dict["NAME"] in ("", ":memory:"):
        return []
    with connection.cursor() as cursor:
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        return [
            Error(
                f"SQLite is in {mode} journal mode, not WAL.",
                hint="Check the database file is on a local disk that supports shared memory (not a network share).",
                id="contingency.E010",
            )
        ]
    return []
