"""System check: the imaging archive's variables, explained at start-up (`contingency serve`, `manage check`).

Registered when imported; the downtime app's `ready()` imports it (`from .archive import checks`).
"""

from __future__ import annotations

import os
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register

from .config import ArchiveConfigError, load


@register(Tags.compatibility)
def archive_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        load(os.environ)
    except ArchiveConfigError as exc:
        return [
            Error(problem, hint="See the operator guide, Imaging archive.", id="contingency.E020")
            for problem in exc.problems
        ]
    return []
