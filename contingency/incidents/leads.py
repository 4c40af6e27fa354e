"""Incident roles: the lead and deputy, set at invocation, changed, asked for and handed over.

The lead is a member where one holds the role (a plan person an administrator has linked to a member,
or a member chosen here), else the words the plan gives (a team, a post, a name as written) with no
member behind them. Only the lead or an administrator changes the lead or deputy, or answers a
request to lead; a responder asks. While no member holds the lead nobody could answer, so a request
is granted at once (the timeline says so). Every change is one transaction, audited, on the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from contingency.core import audit
from contingency.core.access import capabilities
from contingency.core.models import Organisation, PersonLink
from contingency.core.permissions import Capability
from contingency.plans.spec import PlanDocument

from .firing import note
from .models import EventKind, Incident, LeadRequest, RequestState
from .roles import Holder, default_roles
from .services import Actor, IncidentError, _name, _user, incident_key

OBJECT_TYPE = "incident-lead"
Which = Literal["lead", "deputy"]


@dataclass(frozen=True)
class Chosen:
    """A lead or deputy as stored: a member (`user`) and/or the words shown, and the plan's key."""

    user: Any
    name: str
    key: str = ""

    @property
    def shown(self) -> str:
        """The name, with the member's username when it differs ("Helen Marsh (hmarsh)")."""
        username = self.user.get_username() if self.user is not None else self.name
        return self.name if username == self.name else f"{self.name} ({username})"


def _from_holder(organisation: Organisation, found: Holder | None) -> Chosen | None:
    if found is None:
        return None
    link = (
        PersonLink.objects.filter(organisation=organisation, person_key=found.person).select_related("user").first()
        if found.person
        else None
    )
    return Chosen(link.user if link else None, found.name[:200], found.key)


def member(organisation: Organisation, user_id: int | None, field: str) -> Chosen:
    """A member of the organisation, named as the plans name them when linked to a plan person."""
    user = (
        get_user_model().objects.filter(pk=user_id, memberships__organisation=organisation, is_active=True).first()
        if user_id is not None
        else None
    )
    if user is None:
        raise IncidentError("that person is not a member of this organisation", field)
    link = PersonLink.objects.filter(organisation=organisation, user=user).first()
    if link is not None:
        return Chosen(user, link.person_name, link.person_key)
    return Chosen(user, (user.get_full_name() or user.get_username())[:200])


def chosen(organisation: Organisation, *, to_user_id: int | None, to_name: str, field: str) -> Chosen:
    """A member (`to_user_id`) or a person without an account, by name."""
    if to_user_id is not None:
        return member(organisation, to_user_id, field)
    name = to_name.strip()[:200]
    if not name:
        raise IncidentError("say who: choose a member or write a name", field)
    return Chosen(None, name)


def current(incident: Incident, which: Which = "lead") -> Chosen | None:
    user = incident.lead if which == "lead" else incident.deputy
    name = incident.lead_name if which == "lead" else incident.deputy_name
    key = incident.lead_key if which == "lead" else incident.deputy_key
    if user is None and not name:
        return None
    return Chosen(user, name or (user.get_username() if user else ""), key)


def put(incident: Incident, which: Which, who: Chosen | None) -> None:
    user, name, key = (who.user, who.name, who.key) if who else (None, "", "")
    if which == "lead":
        incident.lead, incident.lead_name, incident.lead_key = user, name, key
    else:
        incident.deputy, incident.deputy_name, incident.deputy_key = user, name, key


def roles_of(incident: Incident) -> dict[str, str | None]:
    """The roles as the audit log and the API show them."""
    return {
        "lead": incident.lead_name or None,
        "leadMember": incident.lead.get_username() if incident.lead else None,
        "deputy": incident.deputy_name or None,
        "deputyMember": incident.deputy.get_username() if incident.deputy else None,
    }


def may_change(actor: Actor, incident: Incident) -> bool:
    """The lead, an administrator, or the system itself (actor None: the demo, a worker)."""
    if actor is None:
        return True
    if not actor.is_authenticated:
        return False
    if incident.lead_id is not None and incident.lead_id == actor.pk:
        return True
    return Capability.ADMINISTER in capabilities(actor, incident.organisation)


def _refuse_unless_allowed(actor: Actor, incident: Incident, doing: str) -> None:
    if not may_change(actor, incident):
        lead = current(incident)
        raise IncidentError(
            f"only the incident lead ({lead.shown if lead else 'nobody yet'}) or an administrator may {doing}"
            + ("; ask to be lead instead" if doing.startswith("change the lead") else "")
        )


def _locked(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("organisation", "lead", "deputy")
        .get(pk=incident.pk)
    )


def lapse_requests(incident: Incident, now: datetime, why: str) -> None:
    """Pending requests by whoever now leads are settled; others stay for the new lead to answer."""
    pending = LeadRequest.objects.filter(incident=incident, state=RequestState.PENDING)
    if incident.lead_id is not None:
        pending.filter(by_id=incident.lead_id).update(state=RequestState.LAPSED, decided_at=now, answer=why)


def _audit(incident: Incident, *, actor: Actor, via: str, verb: str, what: str, before: Any) -> None:
    audit.record(
        organisation=incident.organisation,
        actor=actor,
        verb=verb,
        object_type=OBJECT_TYPE,
        object_key=incident_key(incident),
        label=f"#{incident.number} {incident.title}",
        before=before,
        after=roles_of(incident),
        note=what,
        via=via,
    )


def assign_default(incident: Incident, document: PlanDocument, *, in_hours: bool, at: datetime, actor: str) -> str:
    """At invocation (inside `invoke`'s transaction and audit): the plan's lead and deputy for now.

    A lead already chosen (by hand, before invocation) is kept. Returns the sentence for the timeline.
    """
    if incident.lead_id is not None or incident.lead_name:
        return ""
    found = default_roles(document, in_hours)
    lead = _from_holder(incident.organisation, found.lead)
    deputy = _from_holder(incident.organisation, found.deputy)
    if lead is None:
        return ""
    if deputy is not None and lead.user is not None and deputy.user == lead.user:
        deputy = None
    put(incident, "lead", lead)
    if not (incident.deputy_id is not None or incident.deputy_name):
        put(incident, "deputy", deputy)
    return f"Incident lead: {lead.shown}, {found.why}" + (f"; deputy: {deputy.shown}." if deputy else ".")


def change(
    *,
    incident: Incident,
    actor: Actor,
    which: Which = "lead",
    to_user_id: int | None = None,
    to_name: str = "",
    note_text: str = "",
    via: str = "web",
    at: datetime | None = None,
) -> Incident:
    """Make someone the lead (the lead handing over outside a shift hand-over) or the deputy."""
    now = at or timezone.now()
    with transaction.atomic():
        incident = _locked(incident)
        if not incident.is_open:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: its roles are settled")
        _refuse_unless_allowed(actor, incident, f"change the {which}")
        field = "to_user" if to_user_id is not None else "to_name"
        who = chosen(incident.organisation, to_user_id=to_user_id, to_name=to_name, field=field)
        before, was = roles_of(incident), current(incident, which)
        if was is not None and (was.user, was.name) == (who.user, who.name):
            raise IncidentError(f"{who.shown} is already the {which}", field)
        other: Which = "deputy" if which == "lead" else "lead"
        if who.user is not None and (current(incident, other) or Chosen(None, "")).user == who.user:
            put(incident, other, None)  # one person is not both lead and deputy
        put(incident, which, who)
        incident.save()
        lapse_requests(incident, now, f"{who.name} was made lead")
        title = "Incident lead" if which == "lead" else "Deputy lead"
        note(
            incident,
            EventKind.LEAD,
            f"{title}: {who.shown}"
            + (f", in place of {was.shown}" if was else "")
            + "."
            + (f" {note_text.strip()}" if note_text.strip() else ""),
            at=now,
            actor=_name(actor, via),
        )
        _audit(incident, actor=actor, via=via, verb=audit.Verb.CHANGE, what=f"{which} changed", before=before)
    return incident


def ask(
    *, incident: Incident, actor: Actor, note_text: str = "", via: str = "web", at: datetime | None = None
) -> LeadRequest:
    """A responder asks to lead; granted at once when no member holds the lead to answer."""
    now = at or timezone.now()
    user = _user(actor)
    with transaction.atomic():
        incident = _locked(incident)
        if not incident.is_open:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: its roles are settled")
        if user is None or Capability.RESPOND not in capabilities(user, incident.organisation):
            raise IncidentError("only a member who responds to incidents may ask to lead")
        if incident.lead_id == user.pk:
            raise IncidentError("you are already the incident lead")
        if LeadRequest.objects.filter(incident=incident, by=user, state=RequestState.PENDING).exists():
            raise IncidentError("you have already asked: the lead has not answered yet")
        before = roles_of(incident)
        request = LeadRequest.objects.create(
            incident=incident, at=now, by=user, by_name=_name(actor, via), note=note_text.strip()
        )
        asker = member(incident.organisation, user.pk, "by")
        said = f" {request.note}" if request.note else ""
        note(incident, EventKind.LEAD, f"{asker.shown} asked to be incident lead.{said}", at=now, actor=request.by_name)
        if incident.lead_id is None:
            was = current(incident)
            _grant(incident, request, asker, now, decided_by="nobody signed in held the lead")
            note(
                incident,
                EventKind.LEAD,
                f"Incident lead: {asker.shown}"
                + (f", in place of {was.shown}" if was else "")
                + " (no member held the lead to answer, so the request was granted).",
                at=now,
                actor=request.by_name,
            )
            _audit(incident, actor=actor, via=via, verb=audit.Verb.CHANGE, what="took the lead", before=before)
        else:
            incident.save()  # a new version: the pages show the request
            _audit(incident, actor=actor, via=via, verb=audit.Verb.CREATE, what="asked to lead", before=before)
    return request


def _grant(incident: Incident, request: LeadRequest, who: Chosen, now: datetime, *, decided_by: str) -> None:
    if incident.deputy_id is not None and incident.deputy_id == who.user.pk:
        put(incident, "deputy", None)
    put(incident, "lead", who)
    incident.save()
    request.state, request.decided_at, request.decided_by_name = RequestState.ACCEPTED, now, decided_by
    request.save(update_fields=["state", "decided_at", "decided_by_name"])
    lapse_requests(incident, now, "already the lead")


def decide(
    *,
    lead_request: LeadRequest,
    actor: Actor,
    accept: bool,
    answer: str = "",
    via: str = "web",
    at: datetime | None = None,
) -> LeadRequest:
    """The lead (or an administrator) accepts a request to lead, handing the lead over, or declines it."""
    now = at or timezone.now()
    with transaction.atomic():
        incident = _locked(lead_request.incident)
        request = LeadRequest.objects.select_for_update(of=("self",)).select_related("by").get(pk=lead_request.pk)
        if request.state != RequestState.PENDING:
            raise IncidentError(f"{request.by_name}'s request was already {request.state}")
        if not incident.is_open:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: its roles are settled")
        _refuse_unless_allowed(actor, incident, "answer a request to lead")
        before = roles_of(incident)
        decider = _name(actor, via)
        if accept:
            if request.by is None:
                raise IncidentError(f"{request.by_name} is no longer a member")
            was = current(incident)
            who = member(incident.organisation, request.by.pk, "by")
            _grant(incident, request, who, now, decided_by=decider)
            text = f"{decider} accepted {who.shown}'s request: {who.shown} is incident lead" + (
                f" in place of {was.shown}." if was else "."
            )
        else:
            request.state, request.decided_at, request.decided_by_name = RequestState.DECLINED, now, decider
            request.answer = answer.strip()
            request.save(update_fields=["state", "decided_at", "decided_by_name", "answer"])
            incident.save()
            text = f"{decider} declined {request.by_name}'s request to lead." + (
                f" {request.answer}" if request.answer else ""
            )
        note(incident, EventKind.LEAD, text, at=now, actor=decider)
        _audit(
            incident,
            actor=actor,
            via=via,
            verb=audit.Verb.CHANGE,
            what=f"{'accepted' if accept else 'declined'} {request.by_name}'s request to lead",
            before=before,
        )
    return request


def pending(incident: Incident) -> list[LeadRequest]:
    return list(LeadRequest.objects.filter(incident=incident, state=RequestState.PENDING).order_by("at", "id"))
