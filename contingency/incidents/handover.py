"""Recording a shift hand-over: who handed over to whom, when, with the report as it was read."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from contingency.core import audit

from .firing import note
from .models import EventKind, Handover, Incident, touch
from .reports import handover_report
from .services import Actor, IncidentError, _name, _user, incident_key


def hand_over(
    *,
    incident: Incident,
    actor: Actor,
    to_user_id: int | None = None,
    to_name: str = "",
    note_text: str = "",
    via: str = "web",
    at: datetime | None = None,
) -> Handover:
    """The incoming lead is a member (to_user_id) or a named person without an account (to_name)."""
    now = at or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
        if not incident.is_open:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: there is nothing to hand over")
        user = None
        if to_user_id is not None:
            user = (
                get_user_model()
                .objects.filter(pk=to_user_id, memberships__organisation=incident.organisation, is_active=True)
                .first()
            )
            if user is None:
                raise IncidentError("that person is not a member of this organisation", "to_user")
        name = (user.get_username() if user else to_name.strip())[:200]
        if not name:
            raise IncidentError("say who takes over", "to_user")
        report = handover_report(incident, now)
        record = Handover.objects.create(
            incident=incident,
            at=now,
            from_user=_user(actor),
            from_name=_name(actor, via),
            to_user=user,
            to_name=name,
            note=note_text.strip(),
            report=report.as_json(),
        )
        if user is not None:
            incident.lead = user
            incident.save(update_fields=["lead", "updated_at"])
        note(
            incident,
            EventKind.HANDOVER,
            f"Handed over from {record.from_name} to {name}: {len(report.open_tasks)} open task(s), "
            f"{len(report.overdue_tasks)} overdue." + (f" {record.note}" if record.note else ""),
            at=now,
            actor=record.from_name,
        )
        audit.record(
            organisation=incident.organisation,
            actor=actor,
            verb=audit.Verb.CREATE,
            object_type="incident-handover",
            object_key=incident_key(incident),
            label=f"#{incident.number} {incident.title}",
            after={"from": record.from_name, "to": name, "note": record.note},
            via=via,
        )
        touch(incident.pk)
    return record
