"""Recording a shift hand-over: who handed over to whom, when, with the report as it was read.

The incoming person becomes the incident lead, so the record names the outgoing and incoming lead.
Handing over the lead is the lead's (or an administrator's) to do, as any change of lead is; while no
member holds the lead, any responder may record the hand-over (see leads.py).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from contingency.core import audit

from . import leads
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
        incident = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("organisation", "lead", "deputy")
            .get(pk=incident.pk)
        )
        if not incident.is_open:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: there is nothing to hand over")
        if incident.lead_id is not None and not leads.may_change(actor, incident):
            lead = leads.current(incident)
            raise IncidentError(
                f"only the incident lead ({lead.shown if lead else ''}) or an administrator hands over the lead; "
                "ask to be lead first"
            )
        field = "to_user" if to_user_id is not None else "to_name"
        if to_user_id is None and not to_name.strip():
            raise IncidentError("say who takes over", "to_user")
        incoming = leads.chosen(incident.organisation, to_user_id=to_user_id, to_name=to_name, field=field)
        user = incoming.user
        name = (user.get_username() if user else incoming.name)[:200]
        outgoing = leads.current(incident)
        before = leads.roles_of(incident)
        report = handover_report(incident, now)
        record = Handover.objects.create(
            incident=incident,
            at=now,
            from_user=_user(actor),
            from_name=_name(actor, via),
            to_user=user,
            to_name=name,
            lead_from=outgoing.shown if outgoing else "",
            lead_to=incoming.shown,
            note=note_text.strip(),
            report=report.as_json(),
        )
        if user is not None and incident.deputy_id == user.pk:
            leads.put(incident, "deputy", None)  # one person is not both lead and deputy
        leads.put(incident, "lead", incoming)
        incident.save()
        leads.lapse_requests(incident, now, "handed the lead at a shift hand-over")
        lead_words = f" Incident lead: {record.lead_to}" + (
            f", in place of {record.lead_from}." if record.lead_from else "."
        )
        note(
            incident,
            EventKind.HANDOVER,
            f"Handed over from {record.from_name} to {name}: {len(report.open_tasks)} open task(s), "
            f"{len(report.overdue_tasks)} overdue." + lead_words + (f" {record.note}" if record.note else ""),
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
            before=before,
            after={
                "from": record.from_name,
                "to": name,
                "leadFrom": record.lead_from,
                "leadTo": record.lead_to,
                "note": record.note,
                **leads.roles_of(incident),
            },
            via=via,
        )
        touch(incident.pk)
    return record
