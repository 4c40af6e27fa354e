"""Listening to incident events: a change to an incident may change what the status page shows.

The receiver runs inside the incident change's transaction (see incidents/events.py), so the page's
new version and its publish rows commit with the change.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from contingency.incidents import events
from contingency.incidents.models import Incident

from . import versions
from .models import PublishedService, StatusUpdate


def on_incident_changed(sender: Any, *, incident: Incident, **kwargs: Any) -> None:
    """A new version of the page when the incident's plan has a published service (or an update names it)."""
    shown = (
        PublishedService.objects.filter(organisation_id=incident.organisation_id, plan_key=incident.plan_key).exists()
        or StatusUpdate.objects.filter(incident=incident).exclude(state="").exists()
    )
    if shown:
        versions.changed(
            incident.organisation_id, at=timezone.now(), reason=f"incident #{incident.number} {incident.state}"
        )


def connect() -> None:
    events.incident_changed.connect(on_incident_changed, dispatch_uid="status.incident_changed")
