"""Incident services: report, invoke, restore, stand down. Each is one transaction, audited.

Keyword-only functions; the pure decisions live in assess, schedule and routing. Timed work
is written as DueAction rows in the same transaction; what is due at once (the at-invocation
and on-restoration triggers) is fired in that transaction by the same code the worker runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Refused
from contingency.core.models import Organisation
from contingency.lib.calendar import from_organisation
from contingency.plans import readmodel as plan_views
from contingency.plans.graph import BadReference, Ref
from contingency.plans.models import Plan

from . import assess, events, schedule
from .firing import add_tasks, fire, note, write_due, write_dues
from .models import (
    AffectedFunction,
    Assessment,
    DueAction,
    DueKind,
    DueState,
    EventKind,
    Incident,
    State,
    Task,
    TaskSource,
)
from .outstanding import open_work
from .reports import objectives, objectives_text
from .routing import tasks_for_now
from .snapshot import document_of, remember, resolver_for

Actor = AbstractBaseUser | AnonymousUser | None


class IncidentError(Refused):
    """A request the incident cannot take; `field` names the input at fault, when there is one."""

    code = "incident.refused"


def _user(actor: Actor) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


def _name(actor: Actor, via: str) -> str:
    return audit.actor_name(actor, via)


def incident_key(incident: Incident) -> str:
    return f"incident/{incident.number}"


def _audit(incident: Incident, *, actor: Actor, via: str, verb: str, what: str, before: Any, after: Any) -> None:
    audit.record(
        organisation=incident.organisation,
        actor=actor,
        verb=verb,
        object_type="incident",
        object_key=incident_key(incident),
        label=f"#{incident.number} {incident.title}",
        before=before,
        after=after,
        note=what,
        via=via,
    )
    events.incident_changed.send(sender=Incident, incident=incident)


def _changed(
    incident: Incident, kind: str, text: str, *, actor: Actor, via: str, now: datetime, what: str, before: Any
) -> None:
    """The timeline entry and the audit entry every state change writes, in its transaction."""
    note(incident, kind, text, at=now, actor=_name(actor, via))
    _audit(incident, actor=actor, via=via, verb=audit.Verb.CHANGE, what=what, before=before, after=state_of(incident))


def _apply(incident: Incident, proposal: assess.Proposal) -> None:
    """Copy the risk, severity, response and procedures a proposal found onto the incident."""
    incident.risk_key = proposal.risk.id if proposal.risk else ""
    incident.risk_title = proposal.risk.title if proposal.risk else ""
    incident.response = proposal.response
    incident.severity = proposal.severity
    incident.severity_band = proposal.band
    incident.procedures = list(proposal.procedures)


def state_of(incident: Incident) -> dict[str, Any]:
    return {
        "state": incident.state,
        "assessment": incident.assessment,
        "risk": incident.risk_key,
        "severity": incident.severity,
        "invokedAt": incident.invoked_at.isoformat() if incident.invoked_at else None,
        "restoredAt": incident.restored_at.isoformat() if incident.restored_at else None,
        "stoodDownAt": incident.stood_down_at.isoformat() if incident.stood_down_at else None,
    }


def _wall(local: datetime) -> str:
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B}"


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)


def report(
    *,
    plan: Plan,
    subject: str,
    actor: Actor,
    answers: Mapping[str, bool] | None = None,
    began_at: datetime | None = None,
    area: str = "",
    description: str = "",
    title: str = "",
    via: str = "web",
    at: datetime | None = None,
) -> Incident:
    """Record a suspected failure of `subject` (kind:id) with the answers to the plan's checks."""
    now = at or timezone.now()
    plan_view = plan_views.view(plan)
    document, graph = plan_view.document, plan_view.graph
    try:
        ref = graph.find(subject)
    except BadReference as exc:
        raise IncidentError(str(exc), "subject") from None
    if began_at is not None and began_at > now:
        raise IncidentError("the service cannot be lost in the future: give a time up to now", "began_at")
    checks = assess.checks_for(document, ref)
    try:
        found = assess.assess(checks, answers or {})
    except assess.UnknownCheck as exc:
        raise IncidentError(str(exc), "answers") from None
    proposal = assess.propose(document, ref, found)
    if not answers:
        found = assess.SUSPECTED  # nothing checked yet: a suspicion, not a complete failure
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=plan.organisation_id)
        number = (Incident.objects.filter(organisation=organisation).aggregate(n=Max("number"))["n"] or 0) + 1
        name = graph.name(ref)
        incident = Incident.objects.create(
            organisation=organisation,
            number=number,
            plan=plan,
            plan_key=plan.key,
            plan_title=plan.title,
            plan_issue=plan.issue,
            snapshot=plan_view.snapshot,
            title=title.strip() or f"{name} failure",
            subject=str(ref),
            subject_name=name,
            area=area.strip(),
            description=description.strip(),
            assessment=found,
            answers=[
                {"key": c.key, "check": c.check, "answer": answers.get(c.key) if answers else None} for c in checks
            ],
            risk_key=proposal.risk.id if proposal.risk else "",
            risk_title=proposal.risk.title if proposal.risk else "",
            response=proposal.response,
            severity=proposal.severity,
            severity_band=proposal.band,
            procedures=list(proposal.procedures),
            began_at=began_at or now,
            reported_at=now,
            reported_by=_user(actor),
            reported_by_name=_name(actor, via),
        )
        remember(incident, plan_view)  # the incident runs on this document: no need to parse its snapshot
        note(incident, EventKind.REPORTED, f"Suspected failure of {name} reported.", at=now, actor=_name(actor, via))
        answered = [a for a in incident.answers if a["answer"] is not None]
        if answered:
            words = Assessment(found).label
            note(incident, EventKind.ASSESSED, f"Checks worked through: {words}.", at=now, actor=_name(actor, via))
        _audit(
            incident,
            actor=actor,
            via=via,
            verb=audit.Verb.CREATE,
            what="reported",
            before=None,
            after=state_of(incident),
        )
    return incident


def assess_again(
    *, incident: Incident, answers: Mapping[str, bool], actor: Actor, via: str = "web", at: datetime | None = None
) -> Incident:
    """Record (new) answers to the checks of a reported incident, and the proposal they lead to."""
    now = at or timezone.now()
    with transaction.atomic():
        incident = _locked(incident)
        if incident.state != State.REPORTED:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: its checks are settled")
        document = document_of(incident)
        ref = Ref.parse(incident.subject)
        checks = assess.checks_for(document, ref)
        try:
            found = assess.assess(checks, answers)
        except assess.UnknownCheck as exc:
            raise IncidentError(str(exc), "answers") from None
        proposal = assess.propose(document, ref, found)
        if not answers:
            found = assess.SUSPECTED
        before = state_of(incident)
        incident.assessment = found
        incident.answers = [{"key": c.key, "check": c.check, "answer": answers.get(c.key)} for c in checks]
        _apply(incident, proposal)
        incident.save()
        _changed(
            incident,
            EventKind.ASSESSED,
            f"Checks worked through: {Assessment(found).label}." if found else "Checks not answered: still suspected.",
            actor=actor,
            via=via,
            now=now,
            what="assessed",
            before=before,
        )
    return incident


def close_as_not_a_failure(
    *, incident: Incident, actor: Actor, reason: str = "", via: str = "web", at: datetime | None = None
) -> Incident:
    now = at or timezone.now()
    with transaction.atomic():
        incident = _locked(incident)
        if incident.state != State.REPORTED:
            raise IncidentError(f"incident #{incident.number} is {incident.state}, not a report being checked")
        before = state_of(incident)
        incident.state = State.NOT_A_FAILURE
        incident.closed_note = reason.strip()
        incident.stood_down_at = now
        incident.stood_down_by_name = _name(actor, via)
        incident.save()
        _changed(
            incident,
            EventKind.STOOD_DOWN,
            "Closed: not a failure." + (f" {reason.strip()}" if reason.strip() else ""),
            actor=actor,
            via=via,
            now=now,
            what="closed as not a failure",
            before=before,
        )
    return incident


def invoke(
    *, incident: Incident, actor: Actor, risk: str | None = None, via: str = "web", at: datetime | None = None
) -> Incident:
    """Invoke the plan: mark what is lost, make the tasks for now, schedule every trigger and rule."""
    now = at or timezone.now()
    with transaction.atomic():
        incident = _locked(incident)
        if incident.state != State.REPORTED:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: only a reported incident is invoked")
        document = document_of(incident)
        ref = Ref.parse(incident.subject)
        assessment = incident.assessment or assess.COMPLETE
        if assessment == assess.NOT_A_FAILURE and not risk:
            assessment = assess.COMPLETE  # the person invoking overrides the checks
        if risk and not any(r.id == risk for r in document.risks):
            raise IncidentError(f"there is no risk {risk!r} in this plan", "risk")
        proposal = assess.propose(document, ref, assessment, risk)
        calendar = from_organisation(incident.organisation)
        before = state_of(incident)
        incident.state = State.INVOKED
        incident.assessment = assessment
        incident.invoked_at = now
        incident.invoked_by = _user(actor)
        incident.invoked_by_name = _name(actor, via)
        _apply(incident, proposal)
        routed_at = incident.as_if or now  # an exercise run as if at another moment is routed as then
        in_hours = calendar.is_in_hours(routed_at)
        incident.routing = "in-hours" if in_hours else "out-of-hours"
        from .leads import assign_default, roles_of  # leads builds on this module's helpers

        lead_text = assign_default(incident, document, in_hours=in_hours, at=now, actor=_name(actor, via))
        incident.save()
        affected = assess.affected_functions(document, ref, incident.began_at, calendar, proposal.risk)
        AffectedFunction.objects.bulk_create(
            AffectedFunction(
                incident=incident,
                position=i,
                key=a.key,
                name=a.name,
                chain=list(a.chain),
                degraded=a.degraded,
                rto=a.rto,
                rto_due_at=a.rto_due_at,
                mtpd=a.mtpd,
                mtpd_due_at=a.mtpd_due_at,
                impact=[{"at": at_.isoformat(), "level": level, "description": text} for at_, level, text in a.impact],
            )
            for i, a in enumerate(affected)
        )
        why = calendar.why_out_of_hours(routed_at)
        severity = f", severity {incident.severity} ({incident.severity_band})" if incident.severity else ""
        note(
            incident,
            EventKind.INVOKED,
            f"Plan invoked ({'in hours' if in_hours else 'out of hours: ' + (why or '')}){severity}. "
            f"Functions lost: {', '.join(a.name for a in affected if not a.degraded) or 'none'}.",
            at=now,
            actor=_name(actor, via),
        )
        if lead_text:
            note(incident, EventKind.LEAD, lead_text, at=now, actor=_name(actor, via))
        resolver = resolver_for(incident, now)
        add_tasks(incident, tasks_for_now(document, incident.procedures, resolver, in_hours), at=now)
        lost = [a.key for a in affected if not a.degraded]
        if incident.clock_shift is None:
            due = schedule.at_invocation(document, now, incident.began_at, calendar, lost)
        else:  # an exercise: scheduled by scenario time, each due at the real moment the scenario reaches it
            shift = incident.clock_shift
            due = [
                replace(o, due_at=o.due_at - shift)
                for o in schedule.at_invocation(document, now + shift, incident.began_at + shift, calendar, lost)
            ]
        if incident.as_if is None and (change := calendar.next_change(now)) is not None:
            due.append(schedule.Occurrence(DueKind.ROUTING, "routing", 0, change, "In hours / out of hours changes"))
        write_dues(incident, due)
        for row in DueAction.objects.filter(incident=incident, state=DueState.PENDING, due_at__lte=now).order_by(
            "due_at", "id"
        ):
            fire(row, at=now, worker="invocation")
        _audit(
            incident,
            actor=actor,
            via=via,
            verb=audit.Verb.CHANGE,
            what="invoked",
            before=before,
            after={**state_of(incident), **roles_of(incident)},
        )
    return incident


def restore(
    *,
    incident: Incident,
    actor: Actor,
    restored_at: datetime | None = None,
    note_text: str = "",
    via: str = "web",
    at: datetime | None = None,
) -> Incident:
    """Service is back: restoration steps become tasks, timed escalations stop, on-restoration triggers fire."""
    now = at or timezone.now()
    when = restored_at or now
    with transaction.atomic():
        incident = _locked(incident)
        if incident.state != State.INVOKED:
            raise IncidentError(
                f"incident #{incident.number} is {incident.state}: only an invoked incident is restored"
            )
        if when < incident.began_at:
            raise IncidentError("the service cannot be restored before it was lost", "restored_at")
        if when > now:
            raise IncidentError("restoration cannot be in the future: give a time up to now", "restored_at")
        document = document_of(incident)
        calendar = from_organisation(incident.organisation)
        before = state_of(incident)
        incident.state = State.RESTORED
        incident.restored_at = when
        incident.restored_by_name = _name(actor, via)
        restoration = assess.restoration_procedures(document, Ref.parse(incident.subject))
        incident.procedures = [*incident.procedures, *(p for p in restoration if p not in incident.procedures)]
        incident.save()
        cancelled = _cancel_on_restoration(incident, document, now)
        downtime = assess.elapsed_words(when - incident.began_at)
        against = objectives_text(objectives(incident, when))
        note(
            incident,
            EventKind.RESTORED,
            f"Service restored at {_wall(calendar.local(when))}, after {downtime} of downtime."
            + (f" {against}" if against else "")
            + (f" {note_text.strip()}" if note_text.strip() else "")
            + (f" {cancelled} timed escalation(s) will not happen." if cancelled else "")
            + "".join(f" Still to do: {w.summary}." for w in open_work(incident, now)),
            at=now,
            actor=_name(actor, via),
        )
        resolver = resolver_for(incident, now)
        in_hours = calendar.is_in_hours(now)
        existing = set(Task.objects.filter(incident=incident).values_list("key", flat=True))
        specs = [s for s in tasks_for_now(document, restoration, resolver, in_hours) if s.key not in existing]
        add_tasks(incident, specs, at=now)
        for occurrence in schedule.on_restoration(document, now):
            write_due(incident, occurrence)
        for row in DueAction.objects.filter(
            incident=incident, state=DueState.PENDING, due_at__lte=now, kind=DueKind.TRIGGER
        ).order_by("due_at", "id"):
            fire(row, at=now, worker="restoration")
        _audit(
            incident,
            actor=actor,
            via=via,
            verb=audit.Verb.CHANGE,
            what="restored",
            before=before,
            after=state_of(incident),
        )
    return incident


def _cancel_on_restoration(incident: Incident, document: Any, now: datetime) -> int:
    """Recurring triggers, 'after' triggers that hold unless restored, and duration rules stop."""
    keep = {t.id for t in document.triggers if t.kind.value == "after" and not t.unless_restored}
    pending = DueAction.objects.filter(incident=incident, state=DueState.PENDING).exclude(
        kind__in=(DueKind.ROUTING, DueKind.REVIEW)
    )
    rows = [row for row in pending if not (row.kind == DueKind.TRIGGER and row.key in keep)]
    for row in rows:
        DueAction.objects.filter(pk=row.pk, state=DueState.PENDING).update(
            state=DueState.CANCELLED, note="service restored first", fired_at=now
        )
    return len(rows)


def stand_down(
    *, incident: Incident, actor: Actor, reason: str = "", via: str = "web", at: datetime | None = None
) -> Incident:
    """End the incident: nothing further is scheduled; open tasks stay as they are, for the review."""
    now = at or timezone.now()
    with transaction.atomic():
        incident = _locked(incident)
        if incident.state not in (State.INVOKED, State.RESTORED):
            raise IncidentError(f"incident #{incident.number} is {incident.state}: only a running incident stands down")
        work = open_work(incident, now)
        if work and not reason.strip():
            still = "; ".join(w.summary for w in work)
            raise IncidentError(f"{still}: say why the incident stands down with this outstanding", "reason")
        open_tasks = Task.objects.filter(incident=incident, state__in=("open", "started")).count()
        if open_tasks and not reason.strip():
            raise IncidentError(
                f"{open_tasks} task(s) are still open: say why the incident stands down with them open, "
                "or close them first",
                "reason",
            )
        before = state_of(incident)
        incident.state = State.STOOD_DOWN
        incident.stood_down_at = now
        incident.stood_down_by_name = _name(actor, via)
        incident.closed_note = reason.strip()
        incident.save()
        # The review's reminders go on: its actions are still owed after the stand-down.
        DueAction.objects.filter(incident=incident, state=DueState.PENDING).exclude(kind=DueKind.REVIEW).update(
            state=DueState.CANCELLED, note="stood down", fired_at=now
        )
        events.incident_closed.send(sender=Incident, incident=incident, at=now)
        _changed(
            incident,
            EventKind.STOOD_DOWN,
            "Stood down."
            + (f" {reason.strip()}" if reason.strip() else "")
            + (f" {open_tasks} task(s) were still open." if open_tasks else "")
            + "".join(f" Outstanding: {w.summary}." for w in work),
            actor=actor,
            via=via,
            now=now,
            what="stood down" + "".join(f"; outstanding: {w.summary}" for w in work),
            before=before,
        )
    return incident


__all__ = [
    "IncidentError",
    "TaskSource",
    "assess_again",
    "close_as_not_a_failure",
    "invoke",
    "report",
    "restore",
    "stand_down",
]
