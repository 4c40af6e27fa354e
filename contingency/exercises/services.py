"""Exercise services: start one (the plan invoked as an incident marked as an exercise), finish it.

Keyword-only, one transaction each, their own audit entry; a refusal is an ExerciseError. Starting
reports and invokes through the incident services, inside this transaction, after the Exercise row is
written: every message the invocation sends already knows it is an exercise.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import CharField, F, Max, Value
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Refused
from contingency.core.models import Organisation
from contingency.incidents import services as incidents
from contingency.incidents.firing import note
from contingency.incidents.models import DueAction, DueKind, DueState, EventKind, Incident, State
from contingency.notify.models import Callout, Notification, NotificationState
from contingency.plans.lint import ExerciseDue
from contingency.plans.models import Plan
from contingency.plans.workflow import organisation_zone

from . import figures as figuring
from . import programme
from .models import Cadence, ClockAdvance, Exercise, Finding, Inject, Kind, duration_words

Actor = incidents.Actor
MAX_OUTCOME = 10_000
MAX_INJECT_TITLE = 200
MAX_INJECT_TEXT = 4_000
MAX_INJECT_MINUTES = 7 * 24 * 60  # a week of scenario time
MAX_ADVANCE_MINUTES = 7 * 24 * 60  # the clock moves on by at most a week at once
MAX_ADVANCE_REASON = 500
# What moves with the scenario's clock: trigger points, duration rules and changes of the time of day. Review
# reminders keep their real dates (they remind people after the event).
SCENARIO_TIMED = (DueKind.TRIGGER, DueKind.DURATION, DueKind.ROUTING)


class ExerciseError(Refused):
    """A request the exercise cannot take; `field` names the input at fault, when there is one."""

    code = "exercise.refused"


def exercise_key(exercise: Exercise) -> str:
    return f"exercise/{exercise.number}"


def _state(exercise: Exercise) -> dict[str, object]:
    return {
        "kind": exercise.kind,
        "plan": exercise.plan_key,
        "incident": exercise.incident.number if exercise.incident else None,
        "startedAt": exercise.started_at.isoformat(),
        "finishedAt": exercise.finished_at.isoformat() if exercise.finished_at else None,
        "outcome": exercise.outcome,
        "findings": [f.text for f in exercise.findings.all()] if exercise.pk else [],
        "clockAdvancedMinutes": round(
            sum((a.by for a in exercise.clock_advances.all()), timedelta(0)).total_seconds() / 60
        )
        if exercise.pk
        else 0,
        "injects": [
            {"position": i.position, "title": i.title, "minutes": i.minutes, "released": i.released_at is not None}
            for i in exercise.injects.all()
        ]
        if exercise.pk
        else [],
    }


def _audit(exercise: Exercise, *, actor: Actor, via: str, verb: str, what: str, before: object) -> None:
    audit.record(
        organisation=exercise.organisation,
        actor=actor,
        verb=verb,
        object_type="exercise",
        object_key=exercise_key(exercise),
        label=str(exercise),
        before=before,
        after=_state(exercise),
        note=what,
        via=via,
    )


def start(
    *,
    plan: Plan,
    kind: str,
    subject: str,
    actor: Actor,
    as_if: datetime | None = None,
    via: str = "web",
    at: datetime | None = None,
) -> Exercise:
    """Invoke `plan` for a pretended failure of `subject` as an exercise of `kind`: its call trees really run.

    `as_if`: run as if at that moment (say Sunday 02:00): in or out of hours, the lead and who is called are as
    then, for the whole exercise (the time of day does not change during it). Its trigger points fall due by the
    exercise's scenario time, which runs on from `as_if` (or now) and is moved on by `advance_clock`."""
    now = at or timezone.now()
    if kind not in Kind.values:
        raise ExerciseError(f"an exercise is one of: {', '.join(Kind.values)}", "kind")
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=plan.organisation_id)
        number = (Exercise.objects.filter(organisation=organisation).aggregate(n=Max("number"))["n"] or 0) + 1
        label = Kind(kind).label
        incident = incidents.report(
            plan=plan,
            subject=subject,
            actor=actor,
            title=f"EXERCISE {number}: {label} of {plan.title}",
            description=f"This is an exercise ({label}), not a real failure.",
            via=via,
            at=now,
        )
        # The exercise runs by scenario time: as_if (or now) at the start, then the real clock plus advances.
        incident.as_if = as_if
        incident.clock_shift = as_if - now if as_if is not None else timedelta(0)
        incident.save(update_fields=["as_if", "clock_shift"])
        exercise = Exercise.objects.create(
            organisation=organisation,
            number=number,
            plan=plan,
            plan_key=plan.key,
            plan_title=plan.title,
            kind=kind,
            incident=incident,
            as_if=as_if,
            started_at=now,
            started_by_name=audit.actor_name(actor, via),
        )
        exercise.incident = incidents.invoke(incident=incident, actor=actor, via=via, at=now)
        _audit(exercise, actor=actor, via=via, verb=audit.Verb.CREATE, what="started", before=None)
    return exercise


def owner_of(plan: Plan | None) -> str:
    """The plan's owner as the plan names them."""
    if plan is None:
        return "the plan's owner"
    if plan.owner is not None:
        return plan.owner.name
    return plan.owner_text or "the plan's owner"


def finish(*, exercise: Exercise, outcome: str, actor: Actor, via: str = "web", at: datetime | None = None) -> Exercise:
    """End the exercise: its incident stands down, the outcome is kept, each failed address becomes a finding."""
    now = at or timezone.now()
    outcome = outcome.strip()
    if not outcome:
        raise ExerciseError("say what the exercise showed", "outcome")
    if len(outcome) > MAX_OUTCOME:
        raise ExerciseError(f"keep the outcome under {MAX_OUTCOME:,} characters", "outcome")
    with transaction.atomic():
        exercise = (
            Exercise.objects.select_for_update(of=("self",))
            .select_related("organisation", "plan__owner")
            .get(pk=exercise.pk)
        )
        if exercise.finished_at is not None:
            raise ExerciseError(f"exercise {exercise.number} has already finished")
        before = _state(exercise)
        incident = exercise.incident
        if incident is not None and incident.state in (State.INVOKED, State.RESTORED):
            exercise.incident = incidents.stand_down(
                incident=incident, actor=actor, reason=f"Exercise finished. {outcome}", via=via, at=now
            )
        owner = owner_of(exercise.plan)
        found = of(exercise)
        Finding.objects.bulk_create(
            Finding(
                exercise=exercise,
                text=f"The {f.channel} to {f.name} at {f.address} failed ({f.error or 'no reason given'}): "
                f"check it in the plan.",
                owner_name=owner,
                created_at=now,
            )
            for f in found.failures
        )
        exercise.finished_at = now
        exercise.outcome = outcome
        exercise.save()
        _audit(exercise, actor=actor, via=via, verb=audit.Verb.CHANGE, what="finished", before=before)
    return exercise


def programme_of(
    organisation: Organisation, today: date, plans: list[tuple[str, str]] | None = None
) -> list[programme.Row]:
    """Each plan's exercise programme: finished exercises by kind, and reviewed real activations as the live one.

    `plans` as (key, title), when the caller has them already (the dashboard, a plan's lint), saves a query
    and reads the exercises of those plans only."""
    zone = organisation_zone(organisation)
    mine: dict[str, object] = {}
    if plans is None:
        plans = list(
            Plan.objects.filter(organisation=organisation).order_by("title", "key").values_list("key", "title")
        )
    else:
        mine = {"plan_key__in": [key for key, _ in plans]}
    # One query: finished exercises by kind, and real activations as the live one. A real activation counts
    # once its review is completed (EPRR, and the compliance rule `live-exercise`): an incident nobody
    # learned from exercised nothing. Both sides are annotations only, so their columns line up in the union.
    exercised = (
        Exercise.objects.filter(organisation=organisation, finished_at__isnull=False, **mine)
        .annotate(p=F("plan_key"), k=F("kind"), at=F("started_at"))
        .order_by()
        .values_list("p", "k", "at")
    )
    activated = (
        Incident.objects.filter(
            organisation=organisation,
            invoked_at__isnull=False,
            exercise__isnull=True,
            review__completed_at__isnull=False,
            **mine,
        )
        .annotate(p=F("plan_key"), k=Value(Kind.LIVE.value, output_field=CharField()), at=F("invoked_at"))
        .order_by()
        .values_list("p", "k", "at")
    )
    done = [
        (key, kind, timezone.localdate(at, timezone=zone)) for key, kind, at in exercised.union(activated, all=True)
    ]
    own = {
        (key, kind): months
        for key, kind, months in Cadence.objects.filter(organisation=organisation).values_list(
            "plan_key", "kind", "months"
        )
    }
    return programme.programme(plans, done, today, own=own)


def lint_facts(rows: Iterable[programme.Row], plan_key: str) -> tuple[ExerciseDue, ...]:
    """The programme's rows of one plan as the plan linter takes them (`Options.exercises`)."""
    return tuple(ExerciseDue(r.kind_label, r.months, r.last, r.due, r.overdue) for r in rows if r.plan_key == plan_key)


MAX_CADENCE_MONTHS = 120


def set_cadence(
    *, organisation: Organisation, actor: Actor, via: str, plan_key: str, kind: str, months: int | None, default: bool
) -> None:
    """Set how often a kind of exercise is due, for one plan or (plan_key "") every plan: every `months`, not
    required (`months` None), or back to the default (`default`)."""
    if kind not in Kind.values:
        raise ExerciseError(f"'{kind}' is not a kind of exercise", field="kind")
    if plan_key and not Plan.objects.filter(organisation=organisation, key=plan_key).exists():
        raise ExerciseError(f"There is no plan '{plan_key}' in {organisation.name}.", field="plan")
    if not default and months is not None and not 1 <= months <= MAX_CADENCE_MONTHS:
        raise ExerciseError(f"Give between 1 and {MAX_CADENCE_MONTHS} months.", field="months")
    with transaction.atomic():
        found = Cadence.objects.select_for_update().filter(organisation=organisation, plan_key=plan_key, kind=kind)
        before = [str(c) for c in found]
        found.delete()
        after = []
        if not default:
            after.append(
                str(Cadence.objects.create(organisation=organisation, plan_key=plan_key, kind=kind, months=months))
            )
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type="exercise-cadence",
            object_key=f"exercise-cadence/{plan_key or '*'}/{kind}",
            label=f"{Kind(kind).label} of {plan_key or 'every plan'}",
            before=before,
            after=after or ["the EPRR default"],
            note="exercise programme",
            via=via,
        )


def of(exercise: Exercise) -> figuring.Figures:
    """The communications figures of the exercise's incident, from its call-outs and messages."""
    incident_id = exercise.incident_id
    if incident_id is None:
        return figuring.figures([], [])
    callouts = [
        figuring.CalloutFact(key, name, detail, made, acked)
        for key, name, detail, made, acked in Callout.objects.filter(incident_id=incident_id).values_list(
            "recipient_key", "recipient_name", "detail", "created_at", "acknowledged_at"
        )
    ]
    messages = [
        figuring.MessageFact(name, channel, address, state == NotificationState.FAILED, error)
        for name, channel, address, state, error in Notification.objects.filter(incident_id=incident_id)
        .exclude(attempts=0)  # never tried (nothing here sends on its channel): a gap in this install, not the plan
        .order_by("id")
        .values_list("recipient_name", "channel", "address", "state", "last_error")
    ]
    return figuring.figures(callouts, messages)


def _locked(exercise: Exercise) -> Exercise:
    """The exercise row, locked for this transaction: two facilitators never release or number the same inject."""
    return (
        Exercise.objects.select_for_update(of=("self",)).select_related("organisation", "incident").get(pk=exercise.pk)
    )


def add_inject(
    *,
    exercise: Exercise,
    title: str,
    text: str,
    minutes: int,
    actor: Actor,
    via: str = "web",
) -> Inject:
    """Add a scenario update after the exercise's last inject, to be released in turn while the exercise runs."""
    title, text = title.strip(), text.strip()
    if not title:
        raise ExerciseError("give the inject a title", "title")
    if len(title) > MAX_INJECT_TITLE:
        raise ExerciseError(f"keep the title under {MAX_INJECT_TITLE} characters", "title")
    if not text:
        raise ExerciseError("say what happens in the scenario", "text")
    if len(text) > MAX_INJECT_TEXT:
        raise ExerciseError(f"keep the inject under {MAX_INJECT_TEXT:,} characters", "text")
    if not 0 <= minutes <= MAX_INJECT_MINUTES:
        raise ExerciseError(f"the minutes after the start are from 0 to {MAX_INJECT_MINUTES:,}", "minutes")
    with transaction.atomic():
        exercise = _locked(exercise)
        if exercise.finished_at is not None:
            raise ExerciseError(f"exercise {exercise.number} has finished: it takes no more injects")
        before = _state(exercise)
        position = (exercise.injects.aggregate(n=Max("position"))["n"] or 0) + 1
        inject = Inject.objects.create(
            exercise=exercise,
            position=position,
            title=title,
            text=text,
            minutes=minutes,
            added_by=actor if actor is not None and actor.is_authenticated else None,  # type: ignore[misc]
            added_by_name=audit.actor_name(actor, via),
        )
        _audit(exercise, actor=actor, via=via, verb=audit.Verb.CHANGE, what=f"inject {position} added", before=before)
    return inject


def release_next_inject(
    *, exercise: Exercise, actor: Actor, via: str = "web", at: datetime | None = None, advance: bool = False
) -> Inject:
    """Release the next unreleased inject in order: its text goes on the incident's timeline, marked EXERCISE.

    `advance`: when the inject stands for a scenario time later than the exercise's clock, move the clock on to
    it first (an advance of its own, recorded with the inject), so trigger points due by then fall due."""
    now = at or timezone.now()
    with transaction.atomic():
        exercise = _locked(exercise)
        if exercise.finished_at is not None:
            raise ExerciseError(f"exercise {exercise.number} has finished: no more injects are released")
        inject = exercise.injects.filter(released_at__isnull=True).order_by("position").first()
        if inject is None:
            raise ExerciseError(f"exercise {exercise.number} has no injects left to release")
        before = _state(exercise)
        inject.released_at = now
        inject.released_by = actor if actor is not None and actor.is_authenticated else None  # type: ignore[assignment]
        inject.released_by_name = audit.actor_name(actor, via)
        inject.scenario_at = (exercise.as_if or exercise.started_at) + timedelta(minutes=inject.minutes)
        inject.save(update_fields=["released_at", "released_by", "released_by_name", "scenario_at"])
        moved = ""
        if advance and exercise.incident is not None:
            incident = _locked_incident(exercise)
            gap = inject.scenario_at - (now + shift_of(exercise, incident))
            if gap >= MIN_ADVANCE:
                reason = f"to the time of inject {inject.position}, {inject.title}"
                step = _move(exercise, incident, gap, reason=reason, actor=actor, via=via, now=now, inject=inject)
                moved = f"; clock advanced by {duration_words(step.by)}"
        if exercise.incident is not None:
            note(
                exercise.incident,
                EventKind.UPDATE,
                f"EXERCISE inject {inject.position}: {inject.title}. {inject.text}",
                at=now,
                actor=audit.actor_name(actor, via),
            )
        _audit(
            exercise,
            actor=actor,
            via=via,
            verb=audit.Verb.CHANGE,
            what=f"inject {inject.position} released{moved}",
            before=before,
        )
    return inject


MIN_ADVANCE = timedelta(minutes=1)  # an inject less than a minute ahead of the clock does not move it


def shift_of(exercise: Exercise, incident: Incident) -> timedelta:
    """The exercise's scenario time minus the real time.

    An exercise started before the clock existed has none stored: its "as if" distance from the start."""
    if incident.clock_shift is not None:
        return incident.clock_shift
    return exercise.as_if - exercise.started_at if exercise.as_if is not None else timedelta(0)


def scenario_now(exercise: Exercise, at: datetime | None = None) -> datetime:
    """The exercise's scenario time now: where it pretends to be (it stops when the exercise finishes)."""
    moment = exercise.finished_at or at or timezone.now()
    if exercise.incident is None:
        return (exercise.as_if or exercise.started_at) + (moment - exercise.started_at)
    return moment + shift_of(exercise, exercise.incident)


def coming(exercise: Exercise, limit: int = 5) -> list[tuple[str, datetime]]:
    """The next trigger points and duration rules of a running exercise: (name, scenario time it falls due)."""
    incident = exercise.incident
    if incident is None or exercise.finished_at is not None:
        return []
    shift = shift_of(exercise, incident)
    rows = DueAction.objects.filter(
        incident=incident, state=DueState.PENDING, kind__in=(DueKind.TRIGGER, DueKind.DURATION)
    ).order_by("due_at", "id")
    return [(name, due + shift) for name, due in rows.values_list("name", "due_at")[:limit]]


def _locked_incident(exercise: Exercise) -> Incident:
    """The exercise's incident row, locked (after the exercise's): the worker fires nothing for it meanwhile."""
    assert exercise.incident_id is not None
    incident = Incident.objects.select_for_update().select_related("organisation").get(pk=exercise.incident_id)
    exercise.incident = incident
    return incident


def _move(
    exercise: Exercise,
    incident: Incident,
    by: timedelta,
    *,
    reason: str,
    actor: Actor,
    via: str,
    now: datetime,
    inject: Inject | None = None,
) -> ClockAdvance:
    """Move the scenario clock on by `by`, inside the caller's transaction with the exercise and incident locked.

    The pending trigger points, duration rules and time-of-day changes come forward by `by` (each is due at the
    real moment the scenario reaches it), so those that fall in the skipped window are due now: the worker fires
    each once, in order, as it fires any due row."""
    shift = shift_of(exercise, incident)
    scenario_from = now + shift
    incident.clock_shift = shift + by
    incident.save(update_fields=["clock_shift"])  # a new version: the incident's pages show the change
    pending = DueAction.objects.filter(incident=incident, state=DueState.PENDING, kind__in=SCENARIO_TIMED)
    pending.update(due_at=F("due_at") - by)
    due = pending.filter(due_at__lte=now).count()
    name = audit.actor_name(actor, via)
    step = ClockAdvance.objects.create(
        exercise=exercise,
        at=now,
        by=by,
        scenario_from=scenario_from,
        scenario_to=scenario_from + by,
        reason=reason,
        inject=inject,
        advanced_by=actor if actor is not None and actor.is_authenticated else None,  # type: ignore[misc]
        advanced_by_name=name,
    )
    local = timezone.localtime(step.scenario_to, organisation_zone(exercise.organisation))
    note(
        incident,
        EventKind.UPDATE,
        f"EXERCISE clock advanced by {duration_words(by)}, to {local:%H:%M} on {local:%A} {local.day} {local:%B} "
        f"(scenario time): {reason}."
        + (f" {due} timed action(s) now due." if due else " Nothing further falls due yet."),
        at=now,
        actor=name,
    )
    return step


def advance_clock(
    *, exercise: Exercise, minutes: int, reason: str, actor: Actor, via: str = "web", at: datetime | None = None
) -> ClockAdvance:
    """Move the exercise's scenario time on by `minutes`: what would fall due in that time falls due now."""
    now = at or timezone.now()
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ExerciseError("give the advance as a whole number of minutes", "minutes")
    if minutes <= 0:
        raise ExerciseError("the clock only moves forward: give a number of minutes above 0", "minutes")
    if minutes > MAX_ADVANCE_MINUTES:
        raise ExerciseError(
            f"advance the clock by at most a week (168 hours, {MAX_ADVANCE_MINUTES:,} minutes) at once",
            "minutes",
        )
    reason = reason.strip()
    if not reason:
        raise ExerciseError("say why the clock moves on (for example: skip to the next morning)", "reason")
    if len(reason) > MAX_ADVANCE_REASON:
        raise ExerciseError(f"keep the reason under {MAX_ADVANCE_REASON} characters", "reason")
    with transaction.atomic():
        exercise = _locked(exercise)
        if exercise.finished_at is not None:
            raise ExerciseError(f"exercise {exercise.number} has finished: its clock no longer moves")
        if exercise.incident_id is None:
            raise ExerciseError(f"exercise {exercise.number} has no incident to run the clock of")
        before = _state(exercise)
        incident = _locked_incident(exercise)
        step = _move(exercise, incident, timedelta(minutes=minutes), reason=reason, actor=actor, via=via, now=now)
        _audit(
            exercise,
            actor=actor,
            via=via,
            verb=audit.Verb.CHANGE,
            what=f"clock advanced by {duration_words(step.by)}",
            before=before,
        )
    return step
