"""System checks for the status page: the publishing target variables."""

from __future__ import annotations

import os
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register

from .publishing.targets import TargetConfigError, load


@register(Tags.compatibility)
def publishing_targets(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        load(os.environ)
    except TargetConfigError as exc:
        return [
            Error(problem, hint="See the operator guide, Status page.", id="contingency.E021")
            for problem in exc.problems
        ]
    return []
