"""Work other parts of the product still owe an incident, e.g. downtime records not yet re-entered.

Incidents never import those parts (imports flow one way): each registers a provider at start-up
(AppConfig.ready), and the incident asks them when it restores, hands over, briefs the board and
stands down. Standing down while any provider reports work outstanding needs a reason, which is
recorded with the counts (services.stand_down).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Incident


@dataclass(frozen=True)
class Outstanding:
    """What one part of the product has still to do for an incident."""

    title: str  # "Downtime records"
    count: int  # how many items are still to do; 0 when all is done
    summary: str  # one sentence: "12 of 40 downtime records still to re-enter; 1 discrepancy"
    lines: tuple[str, ...] = ()  # the detail, e.g. per function and kind


Provider = Callable[["Incident", datetime], "Outstanding | None"]
_PROVIDERS: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    """Add (or replace) the provider called `name`."""
    _PROVIDERS[name] = provider


def outstanding(incident: Incident, now: datetime) -> list[Outstanding]:
    """Every provider's report on the incident, in registration order (those with nothing to say left out)."""
    return [found for provider in _PROVIDERS.values() if (found := provider(incident, now)) is not None]


def open_work(incident: Incident, now: datetime) -> list[Outstanding]:
    return [found for found in outstanding(incident, now) if found.count]
