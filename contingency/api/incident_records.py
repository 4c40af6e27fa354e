"""An incident's hand-over between shifts, the board's briefing draft, and the post-incident review."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError

from contingency.core.permissions import Capability
from contingency.incidents import handover, reports, review
from contingency.incidents.models import (
    Handover,
    Incident,
    ReviewAction,
)

from . import incident_schemas as i
from .auth import caller
from .incident_access import (
    CHANGED,
    INCIDENT,
    LARGEST,
    incident_for,
    local,
    member_named,
)
from .plans import DENIED

router = Router(by_alias=True)

# ---------------------------------------------------------------- hand-over and briefing


def report_out(found: reports.HandoverReport | dict[str, Any]) -> dict[str, Any]:
    data = found.as_json() if isinstance(found, reports.HandoverReport) else found
    return {
        **data,
        "next_triggers": [{"when": w, "what": t} for w, t in data["next_triggers"]],
        "decisions": [{"when": w, "who": p, "text": t} for w, p, t in data["decisions"]],
        "updates": [{"when": w, "audience": a, "text": t} for w, a, t in data["updates"]],
        "work": [{"title": t, "summary": s, "lines": list(lines)} for t, s, lines in data.get("work", [])],
    }


def record_out(incident: Incident, record: Handover) -> dict[str, Any]:
    return {
        "at": record.at,
        "local": local(incident, record.at),
        "from_name": record.from_name,
        "to_name": record.to_name,
        "to": record.to_user.get_username() if record.to_user else None,
        "lead_from": record.lead_from,
        "lead_to": record.lead_to,
        "note": record.note,
    }


@router.get(INCIDENT + "/handover", response={200: i.Handover, **DENIED}, url_name="incident-handover")
def get_handover(request: HttpRequest, org: str, number: int) -> dict[str, Any]:
    """The hand-over report now (open and overdue tasks, who has been told, next triggers), and past hand-overs."""
    incident = incident_for(request, org, number, Capability.VIEW)
    history = Handover.objects.filter(incident=incident).select_related("to_user").order_by("at", "id")
    return {
        "report": report_out(reports.handover_report(incident, timezone.now())),
        "history": [record_out(incident, h) for h in history],
    }


@router.post(INCIDENT + "/handover", response={201: i.HandedOver, **CHANGED}, url_name="incident-handover")
def post_handover(request: HttpRequest, org: str, number: int, body: i.HandoverIn) -> Status[dict[str, Any]]:
    """Record a hand-over to a member (`to`, who becomes the lead) or to someone named (`toName`)."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    to = member_named(incident.organisation, body.to, "to") if body.to else None
    record = handover.hand_over(
        incident=incident,
        actor=caller(request),
        to_user_id=to.pk if to else None,
        to_name=body.to_name,
        note_text=body.note,
        via="api",
    )
    return Status(201, {"record": record_out(incident, record), "report": report_out(record.report)})


@router.get(INCIDENT + "/briefing", response={200: i.Briefing, **DENIED}, url_name="incident-briefing")
def briefing(request: HttpRequest, org: str, number: int) -> dict[str, Any]:
    """A daily briefing draft for the board, from the incident's facts, as at now."""
    incident = incident_for(request, org, number, Capability.VIEW)
    now = timezone.now()
    return {"at": now, "text": reports.briefing(incident, now)}


# ---------------------------------------------------------------- review


def review_out(incident: Incident) -> dict[str, Any]:
    found = review.review_of(incident)
    actions = list(ReviewAction.objects.filter(review=found).order_by("due_on", "id")) if found else []
    return {
        "started": found is not None,
        "whys": found.whys if found else [],
        "root_cause": found.root_cause if found else "",
        "went_well": found.went_well if found else "",
        "went_badly": found.went_badly if found else "",
        "lessons": found.lessons if found else "",
        "complete": bool(found and found.completed_at),
        "completed_at": found.completed_at if found else None,
        "actions": [action_out(a) for a in actions],
    }


def action_out(action: ReviewAction) -> dict[str, Any]:
    return {
        "id": action.pk,
        "text": action.text,
        "owner": action.owner,
        "due_on": action.due_on,
        "done": action.done_at is not None,
        "done_at": action.done_at,
        "done_note": action.done_note,
    }


@router.get(INCIDENT + "/review", response={200: i.ReviewOut, **DENIED}, url_name="incident-review")
def get_review(request: HttpRequest, org: str, number: int) -> dict[str, Any]:
    """The post-incident review and its actions (empty until first saved)."""
    return review_out(incident_for(request, org, number, Capability.VIEW))


@router.put(INCIDENT + "/review", response={200: i.ReviewOut, **CHANGED}, url_name="incident-review")
def put_review(request: HttpRequest, org: str, number: int, body: i.ReviewIn) -> dict[str, Any]:
    """Write the review (once service is restored); `complete: true` needs a root cause and lessons."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    review.save_review(
        incident=incident,
        actor=caller(request),
        whys=body.whys,
        root_cause=body.root_cause,
        went_well=body.went_well,
        went_badly=body.went_badly,
        lessons=body.lessons,
        complete=body.complete,
        via="api",
    )
    return review_out(incident)


@router.post(
    INCIDENT + "/review/actions", response={201: i.ReviewActionOut, **CHANGED}, url_name="incident-review-actions"
)
def add_action(request: HttpRequest, org: str, number: int, body: i.ReviewActionIn) -> Status[dict[str, Any]]:
    """An action from the review, with an owner and a due date; it stays open until done."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    action = review.add_action(
        incident=incident, text=body.text, owner=body.owner, due_on=body.due_on, actor=caller(request), via="api"
    )
    return Status(201, action_out(action))


@router.post(
    INCIDENT + "/review/actions/{action}/done",
    response={200: i.ReviewActionOut, **CHANGED},
    url_name="incident-review-action-done",
)
def action_done(request: HttpRequest, org: str, number: int, action: int, body: i.ActionDoneIn) -> dict[str, Any]:
    """Mark a review action done, with a note."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    found = ReviewAction.objects.filter(review__incident=incident, pk=action).first() if 0 < action <= LARGEST else None
    if found is None:
        raise HttpError(404, f"Incident #{incident.number} has no review action {action}.")
    done = review.complete_action(action=found, actor=caller(request), note_text=body.note, via="api")
    return action_out(done)
