"""Listening to incident events: restoring the service (or standing the incident down) stops the supplier clocks
still running. The receiver runs inside the incident change's transaction (see incidents/events.py), so the
clocks' stop events, their audit entries and the timeline entry commit with the restoration or not at all."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from contingency.incidents import events
from contingency.incidents.models import Incident

from . import services


def on_incident_changed(sender: Any, *, incident: Incident, **kwargs: Any) -> None:
    if incident.state in services.ENDED:
        services.stop_on_restoration(incident=incident, now=timezone.now())


def connect() -> None:
    events.incident_changed.connect(on_incident_changed, dispatch_uid="suppliers.incident_changed")
