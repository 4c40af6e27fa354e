"""System check: the imaging archive's variables, explained at start-up (`contingency serve`, `manage check`).

Registered when imported; the downtime app's `ready()` imports it (`from .archive import checks`).
"""

from __future__ import annotations

import os
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .config import ArchiveConfigError, load


@register(Tags.compatibility)
def archive_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        config = load(os.environ)
    except ArchiveConfigError as exc:
        return [
            Error(problem, hint="See the operator guide, Imaging archive.", id="contingency.E020")
            for problem in exc.problems
        ]
    if config is not None and not config.systems:
        return [
            Warning(
                "The imaging archive is configured, but not which of the plans' systems it is: no incident's "
                "records are reconciled with it",
                hint="Set CONTINGENCY_ARCHIVE_SYSTEM to the plan's system id (e.g. pacs); see the operator guide.",
                id="contingency.W021",
            )
        ]
    return []
