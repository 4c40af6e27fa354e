"""The incident page's changes: each a POST that calls one service and redirects back with a message.

A refusal (the service's IncidentError, or a Refused for input of the wrong shape) re-renders the
incident page with status 400 and the message beside the form at fault and in the error summary;
nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from contingency.core.errors import Refused
from contingency.core.permissions import Capability
from contingency.incidents import assess, services, tasks
from contingency.incidents.models import Incident, InformTarget, Task
from contingency.incidents.snapshot import calendar_of, document_of
from contingency.plans.graph import Ref
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page

from .forms import ChecksForm, WallClockField
from .present import Problem, incident_of
from .views import render_page

# Fields with an input of id "<form>-<field>" on the page, for the error summary's link.
ANCHORED = frozenset({"reason", "assignee", "restored_at", "text", "audience", "confirm", "risk"})
TASK_FIELDS = frozenset({"reason", "assignee"})
Change = Callable[[Incident], str]  # does the change, returns the success message


def _run(
    request: HttpRequest, ctx: OrgContext, incident: Incident, form: str, change: Change, anchor: str = ""
) -> HttpResponse:
    with refusals.caught() as caught:
        done = change(incident)
    if caught.refused is not None:
        return render_page(request, ctx, incident, _problem(form, caught.refused), status=refusals.STATUS)
    messages.success(request, done)
    # A change made from "my next actions" goes back there (the only other page is the live one).
    name = "incident-mine" if request.POST.get("next") == "mine" else "incident"
    url = reverse(name, kwargs={"org": ctx.organisation.slug, "number": incident.number})
    return redirect(url + (f"#{anchor}" if anchor and name == "incident" else ""))


def _problem(form: str, refused: Refused) -> Problem:
    """The refusal beside the form's input it names (its id is "<form>-<field>"), else beside the form."""
    field = refused.field
    anchored = field in ANCHORED and not (form.startswith("task-") and field not in TASK_FIELDS)
    return Problem(form, field, refused.message, f"{form}-{field}" if anchored else form)


def _wall_clock(request: HttpRequest, incident: Incident, name: str) -> datetime | None:
    field = WallClockField(zone=calendar_of(incident).zone, required=False)
    try:
        value: datetime | None = field.clean(request.POST.get(name, ""))
    except ValidationError as bad:
        raise Refused(" ".join(bad.messages), name) from None
    return value


def _post(request: HttpRequest, name: str, of: int | None = None) -> str:
    """A posted field; `of` names the task or target whose field it is (`note-12`): the checklist is
    one form, so each task's fields carry its id. The plain name is read too (one task's own form)."""
    if of is not None and f"{name}-{of}" in request.POST:
        return request.POST.get(f"{name}-{of}", "")
    return request.POST.get(name, "")


def _task_of(incident: Incident, pk: int) -> Task:
    task = Task.objects.filter(incident=incident, pk=pk).select_related("incident__organisation").first()
    if task is None:
        raise Http404("No such task in this incident.")
    return task


@org_page(Capability.RESPOND)
@require_POST
def assess_again(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)

    def change(found: Incident) -> str:
        checks = assess.checks_for(document_of(found), Ref.parse(found.subject))
        form = ChecksForm(request.POST, checks=checks, initial_answers={})
        form.is_valid()
        updated = services.assess_again(incident=found, answers=form.answers(), actor=request.user)
        return f"Answers recorded: {updated.get_assessment_display() or 'still suspected'}."

    return _run(request, ctx, incident, "assess", change, "assessment")


@org_page(Capability.RESPOND)
@require_POST
def invoke(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)

    def change(found: Incident) -> str:
        done = services.invoke(incident=found, actor=request.user, risk=_post(request, "risk") or None)
        return f"Plan invoked for incident #{done.number}. The checklist for now is below."

    return _run(request, ctx, incident, "invoke", change, "checklist")


@org_page(Capability.RESPOND)
@require_POST
def close(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)

    def change(found: Incident) -> str:
        services.close_as_not_a_failure(incident=found, actor=request.user, reason=_post(request, "reason"))
        return f"Incident #{found.number} closed: not a failure."

    return _run(request, ctx, incident, "close", change)


@org_page(Capability.RESPOND)
@require_POST
def task(request: HttpRequest, ctx: OrgContext, number: int, task: int) -> HttpResponse:
    """One action on one task, named by the `action` field: assign, start, complete, skip or reopen."""
    incident = incident_of(ctx.organisation, number)
    found = _task_of(incident, task)
    action = _post(request, "action")
    form = f"task-{found.pk}-{action or 'action'}"

    def change(_: Incident) -> str:
        if action == "assign":
            who = _post(request, "assignee", found.pk)
            if who == "me":
                assignee: int | None = request.user.pk
            elif who.isdigit():
                assignee = int(who)
            elif who == "":
                assignee = None
            else:
                raise Refused("Choose a member of this organisation.", "assignee")
            done = tasks.assign(task=found, assignee_id=assignee, actor=request.user)
            return f"'{done.text}' assigned to {done.assignee.get_username() if done.assignee else 'nobody'}."
        if action == "start":
            tasks.start(task=found, actor=request.user)
            return f"Started: '{found.text}'."
        if action in ("complete", "skip"):
            text = _post(request, "note" if action == "complete" else "reason", found.pk)
            tasks.finish(task=found, actor=request.user, done=action == "complete", text=text)
            return f"{'Done' if action == 'complete' else 'Skipped'}: '{found.text}'."
        if action == "reopen":
            tasks.reopen(task=found, actor=request.user)
            return f"Reopened: '{found.text}'."
        raise Refused("Nothing was changed: choose what to do with the task.")

    return _run(request, ctx, incident, form, change, f"task-{found.pk}")


@org_page(Capability.RESPOND)
@require_POST
def task_group(request: HttpRequest, ctx: OrgContext, number: int, task: int) -> HttpResponse:
    """Complete or skip every open task of `task`'s group (its trigger point or procedure) with one reason."""
    incident = incident_of(ctx.organisation, number)
    found = _task_of(incident, task)
    action = _post(request, "action")
    form = f"group-{found.pk}"

    def change(_: Incident) -> str:
        if action not in ("complete", "skip"):
            raise Refused("Nothing was changed: choose to close or to skip the group's tasks.")
        closed = tasks.finish_group(
            incident=incident,
            source=found.source,
            origin=found.origin,
            actor=request.user,
            done=action == "complete",
            reason=_post(request, "group-reason", found.pk),
        )
        return f"{'Closed' if action == 'complete' else 'Skipped'} {len(closed)} task(s) of {found.origin or found.source}."

    return _run(request, ctx, incident, form, change, f"group-{found.pk}")


@org_page(Capability.RESPOND)
@require_POST
def told(request: HttpRequest, ctx: OrgContext, number: int, target: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    found = InformTarget.objects.filter(task__incident=incident, pk=target).select_related("task").first()
    if found is None:
        raise Http404("No such person or team to tell in this incident.")
    form = f"target-{found.task_id}-{found.pk}"

    def change(_: Incident) -> str:
        tasks.told(target=found, actor=request.user, how=_post(request, "how", found.pk))
        return f"Recorded: {found.name} told."

    return _run(request, ctx, incident, form, change, f"task-{found.task_id}")


@org_page(Capability.RESPOND)
@require_POST
def add_task(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)

    def change(found: Incident) -> str:
        added = tasks.add_ad_hoc(
            incident=found, text=_post(request, "text"), who=_post(request, "who"), actor=request.user
        )
        return f"Task added: '{added.text}'."

    return _run(request, ctx, incident, "add-task", change, "checklist")


@org_page(Capability.RESPOND)
@require_POST
def update(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    audience = _post(request, "audience")

    def change(found: Incident) -> str:
        decision = audience == "decision"
        tasks.post_update(
            incident=found, text=_post(request, "text"), audience=audience, decision=decision, actor=request.user
        )
        return "Decision recorded." if decision else f"Update for {audience} posted."

    return _run(request, ctx, incident, "update", change, "timeline")


@org_page(Capability.RESPOND)
@require_POST
def restore(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)

    def change(found: Incident) -> str:
        when = _wall_clock(request, found, "restored_at")
        services.restore(incident=found, actor=request.user, restored_at=when, note_text=_post(request, "note"))
        return "Service restored: the restoration steps are now on the checklist."

    return _run(request, ctx, incident, "restore", change, "checklist")


@org_page(Capability.RESPOND)
@require_POST
def stand_down(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)

    def change(found: Incident) -> str:
        if _post(request, "confirm") != "yes":
            raise Refused("Tick the box to confirm the incident is over.", "confirm")
        services.stand_down(incident=found, actor=request.user, reason=_post(request, "reason"))
        return f"Incident #{found.number} stood down. Write the review when you are ready."

    return _run(request, ctx, incident, "stand-down", change)
