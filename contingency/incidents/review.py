"""The post-incident review: five whys, what went well and badly, lessons, and actions until done."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from contingency.core import audit
from contingency.lib.calendar import from_organisation
from contingency.plans import people

from . import schedule
from .firing import note, reminder_key, write_reminder
from .models import DueAction, DueKind, DueState, EventKind, Incident, Review, ReviewAction, State, touch
from .services import Actor, IncidentError, _name, incident_key

REVIEWABLE = (State.RESTORED, State.STOOD_DOWN)
LIMIT = 20000


def _state(review: Review) -> dict[str, Any]:
    return {
        "whys": review.whys,
        "rootCause": review.root_cause,
        "wentWell": review.went_well,
        "wentBadly": review.went_badly,
        "lessons": review.lessons,
        "completed": review.completed_at is not None,
    }


def _audit(incident: Incident, actor: Actor, via: str, verb: str, before: Any, after: Any, what: str) -> None:
    audit.record(
        organisation=incident.organisation,
        actor=actor,
        verb=verb,
        object_type="incident-review",
        object_key=incident_key(incident),
        label=f"Review of #{incident.number} {incident.title}",
        before=before,
        after=after,
        note=what,
        via=via,
    )
    touch(incident.pk)


def review_of(incident: Incident) -> Review | None:
    return Review.objects.filter(incident=incident).first()


def save_review(
    *,
    incident: Incident,
    actor: Actor,
    whys: Sequence[str],
    root_cause: str,
    went_well: str,
    went_badly: str,
    lessons: str,
    complete: bool = False,
    via: str = "web",
    at: datetime | None = None,
) -> Review:
    """Write the review; `complete` marks it finished (it needs a root cause and lessons then)."""
    now = at or timezone.now()
    answers = [w.strip() for w in whys][:5]
    while answers and not answers[-1]:
        answers.pop()
    texts = {"root_cause": root_cause, "went_well": went_well, "went_badly": went_badly, "lessons": lessons}
    for field, value in texts.items():
        if len(value) > LIMIT:
            raise IncidentError(f"keep this under {LIMIT:,} characters", field)
    if complete and not root_cause.strip():
        raise IncidentError("a finished review states the root cause", "root_cause")
    if complete and not lessons.strip():
        raise IncidentError("a finished review states the lessons learned", "lessons")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
        if incident.state not in REVIEWABLE:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: review it once service is restored")
        review, created = Review.objects.get_or_create(incident=incident)
        before = None if created else _state(review)
        review.whys = answers
        review.root_cause = root_cause.strip()
        review.went_well = went_well.strip()
        review.went_badly = went_badly.strip()
        review.lessons = lessons.strip()
        if complete and review.completed_at is None:
            review.completed_at = now
            note(incident, EventKind.REVIEW, "Post-incident review completed.", at=now, actor=_name(actor, via))
        review.save()
        _audit(
            incident, actor, via, audit.Verb.CREATE if created else audit.Verb.CHANGE, before, _state(review), "review"
        )
    return review


def add_action(
    *,
    incident: Incident,
    text: str,
    owner_id: int | None,
    due_on: date | None,
    actor: Actor,
    via: str = "web",
    at: datetime | None = None,
) -> ReviewAction:
    """An action owned by a member, reminded by e-mail on its due date and weekly while overdue, until done."""
    now = at or timezone.now()
    text = text.strip()
    if not text:
        raise IncidentError("say what is to be done", "text")
    if len(text) > LIMIT:
        raise IncidentError(f"keep this under {LIMIT:,} characters", "text")
    if owner_id is None:
        raise IncidentError("every action has an owner: choose a member", "owner")
    if due_on is None:
        raise IncidentError("every action has a due date (YYYY-MM-DD)", "due_on")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
        if incident.state not in REVIEWABLE:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: review it once service is restored")
        owner = (
            get_user_model()
            .objects.filter(pk=owner_id, memberships__organisation=incident.organisation, is_active=True)
            .first()
        )
        if owner is None:
            raise IncidentError("the owner must be a member of this organisation", "owner")
        name = people.names(incident.organisation).get(owner.pk, owner.get_username())[:200]  # as the form lists
        review, _ = Review.objects.get_or_create(incident=incident)
        action = ReviewAction.objects.create(review=review, text=text, owner=name, owner_user=owner, due_on=due_on)
        calendar = from_organisation(incident.organisation)
        first = schedule.reminder_due(due_on, 0, calendar)
        write_reminder(incident, action, 0, first)
        note(
            incident,
            EventKind.REVIEW,
            f"Review action for {name}, due {due_on:%A} {due_on.day} {due_on:%B %Y}: {text}",
            at=now,
            actor=_name(actor, via),
        )
        _audit(
            incident,
            actor,
            via,
            audit.Verb.CREATE,
            None,
            {"action": text, "owner": name, "ownerId": owner.pk, "due": str(due_on)},
            "action",
        )
    return action


def complete_action(
    *, action: ReviewAction, actor: Actor, note_text: str = "", via: str = "web", at: datetime | None = None
) -> ReviewAction:
    now = at or timezone.now()
    with transaction.atomic():
        # The incident's row first, as the worker firing a reminder does (see models.touch): a reminder
        # being sent finishes before the action is done, and none is sent after.
        Incident.objects.select_for_update().filter(pk=action.review.incident_id).values_list("pk").first()
        action = (
            ReviewAction.objects.select_for_update().select_related("review__incident__organisation").get(pk=action.pk)
        )
        if action.done_at is not None:
            raise IncidentError("this action is already done")
        action.done_at = now
        action.done_note = note_text.strip()
        action.save(update_fields=["done_at", "done_note"])
        incident = action.review.incident
        # Done actions stop reminding: the pending reminder is cancelled with the change.
        DueAction.objects.filter(
            incident=incident, kind=DueKind.REVIEW, key=reminder_key(action), state=DueState.PENDING
        ).update(state=DueState.CANCELLED, note="action done", fired_at=now)
        _audit(
            incident,
            actor,
            via,
            audit.Verb.CHANGE,
            {"action": action.text, "done": False},
            {"action": action.text, "done": True},
            "action done",
        )
    return action
