"""The exercise pages: the organisation's exercises (any member), starting one and finishing it (responders),
and an exercise's communications figures and findings (any member)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contingency.core.permissions import Capability
from contingency.exercises import services
from contingency.exercises.models import Exercise, Kind
from contingency.plans import readmodel
from contingency.plans.models import Plan
from contingency.plans.workflow import local_today, organisation_zone
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page
from contingency.web.incidents.forms import WallClockField
from contingency.web.incidents.reporting import plans_of, subjects_of


def _choices(ctx: OrgContext) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every part of every plan, grouped by plan: what the exercise pretends has failed."""
    grouped = []
    for plan in plans_of(ctx):
        graph = readmodel.view(plan).graph
        options = [(f"{plan.key} {value}", f"{label} ({group.lower()[:-1]})")
                   for group, items in subjects_of(graph) for value, label in items]  # fmt: skip
        if options:
            grouped.append((plan.title, options))
    return grouped


class StartForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of exercise",
        choices=Kind.choices,
        error_messages={"required": "Choose the kind of exercise."},
    )
    part = forms.ChoiceField(
        label="What the exercise pretends has failed",
        help_text="The plan is invoked for it, and its call trees really send messages, each starting EXERCISE.",
        error_messages={"required": "Choose what the exercise pretends has failed."},
    )

    def __init__(self, *args: object, ctx: OrgContext, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["part"].choices = [("", "Choose…"), *_choices(ctx)]  # type: ignore[attr-defined]
        self.fields["as_if"] = WallClockField(
            zone=organisation_zone(ctx.organisation),
            label="Run as if at (optional)",
            required=False,
            help_text="For example a Sunday at 02:00: in or out of hours, the lead and who is called are as then. "
            "Left empty: now.",
        )


class FinishForm(forms.Form):
    outcome = forms.CharField(
        label="What the exercise showed",
        max_length=services.MAX_OUTCOME,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say what the exercise showed."},
    )


class InjectForm(forms.Form):
    title = forms.CharField(
        label="Title", max_length=services.MAX_INJECT_TITLE, error_messages={"required": "Give the inject a title."}
    )
    text = forms.CharField(
        label="What happens in the scenario",
        max_length=services.MAX_INJECT_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: the PACS database fails over and the standby does not come up.",
        error_messages={"required": "Say what happens in the scenario."},
    )
    minutes = forms.IntegerField(
        label="Minutes after the scenario starts",
        min_value=0,
        max_value=services.MAX_INJECT_MINUTES,
        initial=0,
        error_messages={"required": "Give the minutes after the scenario starts."},
    )


class AdvanceForm(forms.Form):
    amount = forms.IntegerField(
        label="Advance by",
        min_value=1,
        help_text="A whole number of minutes or hours.",
        error_messages={
            "required": "Give how far to move the clock on.",
            "invalid": "Give a whole number, such as 30 or 2.",
            "min_value": "The clock only moves forward: give a number above 0.",
        },
    )
    unit = forms.ChoiceField(
        label="Minutes or hours", choices=[("minutes", "minutes"), ("hours", "hours")], initial="hours"
    )
    reason = forms.CharField(
        label="Why",
        max_length=services.MAX_ADVANCE_REASON,
        help_text="For example: skip to the next morning's conference call. It goes on the incident's timeline.",
        error_messages={"required": "Say why the clock moves on."},
    )

    def minutes(self) -> int:
        amount: int = self.cleaned_data["amount"]
        return amount * 60 if self.cleaned_data["unit"] == "hours" else amount


def _exercise(ctx: OrgContext, number: int) -> Exercise:
    found = (
        Exercise.objects.filter(organisation=ctx.organisation, number=number)
        .select_related("organisation", "incident", "plan__owner")
        .first()
    )
    if found is None:
        raise Http404(f"There is no exercise {number} in {ctx.organisation.name}.")
    return found


class CadenceForm(forms.Form):
    plan = forms.ChoiceField(
        label="For", required=False, help_text="Every plan, or one plan (which then keeps its own setting)."
    )
    kind = forms.ChoiceField(label="Kind of exercise", choices=Kind.choices)
    setting = forms.ChoiceField(
        label="How often",
        widget=forms.RadioSelect,
        choices=[
            ("months", "Every so many months"),
            ("not-required", "Not required"),
            ("default", "The NHS EPRR default (communications 6, table-top 12, live 36 months)"),
        ],
        initial="months",
    )
    months = forms.IntegerField(
        label="Months between exercises",
        required=False,
        min_value=1,
        max_value=services.MAX_CADENCE_MONTHS,
        help_text="Only for \u201cevery so many months\u201d.",
    )

    def __init__(self, *args: object, ctx: OrgContext, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        plans = Plan.objects.filter(organisation=ctx.organisation).order_by("title", "key").values_list("key", "title")
        self.fields["plan"].choices = [("", "Every plan"), *plans]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("setting") == "months" and data.get("months") is None and "months" not in self.errors:
            self.add_error("months", "Give the months between exercises.")
        return data


def _index(request: HttpRequest, ctx: OrgContext, cadence_form: CadenceForm | None, status: int) -> HttpResponse:
    exercises = Exercise.objects.filter(organisation=ctx.organisation).select_related("incident")
    return render(
        request,
        "web/exercises/list.html",
        {
            "ctx": ctx,
            "nav": "exercises",
            "exercises": exercises,
            "programme": services.programme_of(ctx.organisation, local_today(ctx.organisation)),
            "zone": organisation_zone(ctx.organisation),
            "form": StartForm(ctx=ctx) if ctx.can_respond else None,
            "cadence_form": (cadence_form or CadenceForm(ctx=ctx)) if ctx.can_edit else None,
        },
        status=status,
    )


@org_page(Capability.VIEW)
@require_GET
def index(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    return _index(request, ctx, None, 200)


@org_page(Capability.EDIT)
@require_POST
def cadence(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    form = CadenceForm(request.POST, ctx=ctx)
    if form.is_valid():
        setting = form.cleaned_data["setting"]
        with refusals.onto(form):
            services.set_cadence(
                organisation=ctx.organisation,
                actor=request.user,
                via="web",
                plan_key=form.cleaned_data["plan"],
                kind=form.cleaned_data["kind"],
                months=form.cleaned_data["months"] if setting == "months" else None,
                default=setting == "default",
            )
            messages.success(request, "The exercise programme is changed.")
            return redirect(reverse("exercises", kwargs={"org": ctx.organisation.slug}))
    return _index(request, ctx, form, 400)


@org_page(Capability.RESPOND)
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    form = StartForm(request.POST or None, ctx=ctx)
    if request.method == "POST" and form.is_valid():
        plan_key, subject = form.cleaned_data["part"].split(" ", 1)
        plan = Plan.objects.filter(organisation=ctx.organisation, key=plan_key).first()
        if plan is None:
            form.add_error("part", f"There is no plan '{plan_key}' in {ctx.organisation.name}.")
        else:
            with refusals.onto(form):
                exercise = services.start(
                    plan=plan,
                    kind=form.cleaned_data["kind"],
                    subject=subject,
                    as_if=form.cleaned_data.get("as_if"),
                    actor=request.user,
                    via="web",
                )
                messages.success(request, f"Exercise {exercise.number} started: its messages are on their way.")
                return redirect(reverse("exercise", kwargs={"org": ctx.organisation.slug, "number": exercise.number}))
    return render(
        request,
        "web/exercises/start.html",
        {"ctx": ctx, "nav": "exercises", "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _page(
    request: HttpRequest,
    ctx: OrgContext,
    exercise: Exercise,
    form: FinishForm | None,
    status: int,
    inject_form: InjectForm | None = None,
    advance_form: AdvanceForm | None = None,
) -> HttpResponse:
    running = ctx.can_respond and exercise.is_running
    injects = list(exercise.injects.all())
    clock_form = (advance_form or AdvanceForm()) if running and exercise.incident_id is not None else None
    return render(
        request,
        "web/exercises/exercise.html",
        {
            "ctx": ctx,
            "nav": "exercises",
            "exercise": exercise,
            "figures": services.of(exercise),
            "findings": list(exercise.findings.all()),
            "owner": services.owner_of(exercise.plan),
            "zone": organisation_zone(ctx.organisation),
            "form": form,
            "injects": injects,
            "next_inject": next((i for i in injects if i.released_at is None), None),
            "inject_form": (inject_form or InjectForm()) if running else None,
            "can_release": running,
            "scenario_now": services.scenario_now(exercise),
            "advances": list(exercise.clock_advances.select_related("inject")),
            "coming": services.coming(exercise),
            "advance_form": clock_form,
        },
        status=status,
    )


@org_page(Capability.VIEW)
@require_GET
def exercise_page(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    exercise = _exercise(ctx, number)
    form = FinishForm() if ctx.can_respond and exercise.is_running else None
    return _page(request, ctx, exercise, form, 200)


@org_page(Capability.RESPOND)
@require_POST
def finish(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    exercise = _exercise(ctx, number)
    form = FinishForm(request.POST)
    if form.is_valid():
        with refusals.onto(form):
            services.finish(exercise=exercise, outcome=form.cleaned_data["outcome"], actor=request.user, via="web")
            messages.success(request, f"Exercise {exercise.number} finished.")
            return redirect(reverse("exercise", kwargs={"org": ctx.organisation.slug, "number": exercise.number}))
    return _page(request, ctx, exercise, form, 400)


@org_page(Capability.RESPOND)
@require_POST
def add_inject(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    exercise = _exercise(ctx, number)
    form = InjectForm(request.POST)
    if form.is_valid():
        with refusals.onto(form):
            inject = services.add_inject(
                exercise=exercise,
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
                minutes=form.cleaned_data["minutes"],
                actor=request.user,
                via="web",
            )
            messages.success(request, f"Inject {inject.position} added.")
            return redirect(reverse("exercise", kwargs={"org": ctx.organisation.slug, "number": exercise.number}))
    finish_form = FinishForm() if exercise.is_running else None
    return _page(request, ctx, exercise, finish_form, 400, inject_form=form)


@org_page(Capability.RESPOND)
@require_POST
def advance_clock(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    exercise = _exercise(ctx, number)
    form = AdvanceForm(request.POST)
    if form.is_valid():
        with refusals.caught() as caught:
            step = services.advance_clock(
                exercise=exercise,
                minutes=form.minutes(),
                reason=form.cleaned_data["reason"],
                actor=request.user,
                via="web",
            )
            messages.success(request, f"The exercise clock moved on by {step.by_words}.")
            return redirect(reverse("exercise", kwargs={"org": ctx.organisation.slug, "number": exercise.number}))
        for field, problem in caught.refused.problems() if caught.refused else ():
            # The service counts minutes; the form asks for minutes or hours in "amount".
            named = "amount" if field == "minutes" else field
            form.add_error(named if named in form.fields else None, problem)
    finish_form = FinishForm() if exercise.is_running else None
    return _page(request, ctx, exercise, finish_form, 400, advance_form=form)


@org_page(Capability.RESPOND)
@require_POST
def release_inject(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    exercise = _exercise(ctx, number)
    with refusals.flashed(request):
        inject = services.release_next_inject(
            exercise=exercise, actor=request.user, via="web", advance=request.POST.get("advance") == "yes"
        )
        messages.success(request, f"Inject {inject.position} released: it is on the incident's timeline.")
    return redirect(reverse("exercise", kwargs={"org": ctx.organisation.slug, "number": exercise.number}))
