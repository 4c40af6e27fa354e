"""The organisation's dashboard, the "it's broken - what do I do?" page of each function, and the contacts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import URLPattern, path
from django.utils import timezone

from contingency import planlint
from contingency.core.models import Organisation
from contingency.core.permissions import Capability
from contingency.exercises import services as exercise_services
from contingency.incidents import assess
from contingency.incidents.models import Incident, State
from contingency.lib.calendar import CalendarError, WorkingCalendar, from_organisation
from contingency.packs import register
from contingency.plans import readmodel
from contingency.plans.graph import Kind, Ref
from contingency.plans.guidance import what_to_do
from contingency.plans.models import Plan
from contingency.plans.spec import PlanDocument
from contingency.plans.workflow import local_today
from contingency.suppliers import services as supplier_services
from contingency.web.access import OrgContext, org_page
from contingency.web.fragments import Fragments
from contingency.web.offline import save_offline
from contingency.web.plan.sections import directory

from .summary import (
    LintCounts,
    Review,
    counts_of,
    evidence_of_testing,
    most_responsible,
    review_state,
    untested_functions,
)


@dataclass(frozen=True)
class PlanRow:
    plan: Plan
    document: PlanDocument
    review: Review
    lint: LintCounts
    evidence: list[str]
    locations: list[register.LocationState]

    @property
    def out_of_date(self) -> list[register.LocationState]:
        return [place for place in self.locations if place.state != "current"]


@dataclass(frozen=True)
class DashboardRow:
    """One plan on the dashboard: its links and its table row, as HTML."""

    links: str  # HTML, rendered (and escaped) by the template engine
    row: str


DASHBOARD_FRAGMENTS: Fragments[str] = Fragments(4096)
# The columns the dashboard shows; a plan's view (readmodel) is built from the whole row only when missing.
DASHBOARD_COLUMNS = (
    "organisation",
    "key",
    "title",
    "number",
    "issue",
    "review_date",
    "status",
    "revision",
    "mirrored_from",  # a laptop copy has no exercise or supplier records to lint against (planlint)
)


def calendar_of(organisation: Organisation) -> WorkingCalendar | None:
    """The organisation's calendar, or None when its settings are broken (the page says so)."""
    try:
        return from_organisation(organisation)
    except CalendarError:
        return None


@org_page(Capability.VIEW)
def dashboard(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """Every plan of the organisation: a handful of queries and no plan rebuilt, however many plans.

    Each plan's parts of the page are rendered once per revision (and day, for the review state and
    the lint findings that depend on the date); the summary over all plans once per set of revisions.
    """
    calendar = calendar_of(ctx.organisation)
    today = local_today(ctx.organisation)
    org = ctx.organisation
    plans = list(Plan.objects.filter(organisation=org).only(*DASHBOARD_COLUMNS).order_by("title", "key"))
    for plan in plans:
        plan.organisation = org
    printed = register.version(org)  # lint counts and the grab packs' table follow the print register too
    # Read each time, not cached with the plans: finishing an exercise or recording a supplier's assurance
    # changes no plan revision. What lint makes of them is part of each row's cache key (planlint).
    programme = exercise_services.programme_of(org, today, [(p.key, p.title) for p in plans])
    held = supplier_services.assurance_facts(org)
    known = {plan.pk: planlint.known(plan, today, rows=programme, held=held) for plan in plans}
    rows = [_dashboard_row(ctx, plan, today, printed, known[plan.pk]) for plan in plans]
    revisions = tuple((plan.pk, plan.revision) for plan in plans)
    summary = DASHBOARD_FRAGMENTS.get(
        ("summary", org.pk, org.slug, revisions, today, printed), lambda: _summary(ctx, plans, today, known)
    )
    now = timezone.now()
    exercises_due = [row for row in programme if row.overdue]
    return render(
        request,
        "web/overview/dashboard.html",
        {
            "ctx": ctx,
            "nav": "dashboard",
            "rows": rows,
            "summary": summary,
            "exercises_due": exercises_due,
            "in_hours": calendar.is_in_hours(now) if calendar else None,
        },
    )


def _plan_row(plan: Plan, today: date, known: planlint.Known) -> PlanRow:
    document = readmodel.view(plan).document
    counts = counts_of(planlint.findings(plan, today, facts=known))
    review = review_state(plan.review_date, today)
    return PlanRow(plan, document, review, counts, evidence_of_testing(document), register.locations(plan))


def _dashboard_row(
    ctx: OrgContext, plan: Plan, today: date, printed: tuple[int, int, int], known: planlint.Known
) -> DashboardRow:
    slug = ctx.organisation.slug

    def links() -> str:
        context = {"ctx": ctx, "plan": plan, "document": readmodel.view(plan).document}
        return render_to_string("web/overview/_plan_links.html", context)

    def row() -> str:
        return render_to_string("web/overview/_plan_row.html", {"ctx": ctx, "row": _plan_row(plan, today, known)})

    return DashboardRow(
        DASHBOARD_FRAGMENTS.get(("links", plan.pk, plan.revision, slug), links),
        DASHBOARD_FRAGMENTS.get(("row", plan.pk, plan.revision, slug, today, printed, known), row),
    )


def _summary(ctx: OrgContext, plans: list[Plan], today: date, known: dict[int, planlint.Known]) -> str:
    rows = [_plan_row(plan, today, known[plan.pk]) for plan in plans]
    documents = [row.document for row in rows]
    context = {
        "ctx": ctx,
        "rows": rows,
        "untested": untested_functions(documents),
        "holders": most_responsible(documents),
        "contact_list_months": register.contact_list_months(ctx.organisation),
    }
    return render_to_string("web/overview/_dashboard_summary.html", context)


NOW_FRAGMENTS: Fragments[str] = Fragments(1024)
NOW_COLUMNS = (
    "organisation",
    "key",
    "title",
    "revision",
    "issue",
    "mirrored_from",
)  # what the page reads of the plan's row


def _running_for(organisation: Organisation, plan: Plan, function: str) -> tuple[tuple[int, str, str], ...]:
    """(number, title, first procedure) of the plan's running incidents that lose `function`."""
    found = (
        Incident.objects.filter(
            organisation=organisation,
            plan=plan,
            state__in=(State.INVOKED, State.RESTORED),
            affected__key=function,
            exercise__isnull=True,  # an exercise's incident is not a real loss of the function
        )
        .defer("snapshot")
        .distinct()
        .order_by("number")
    )
    return tuple((i.number, i.title, (i.procedures or [""])[0]) for i in found)


def applies_now(document: PlanDocument, function: str, running: tuple[tuple[int, str, str], ...]) -> str:
    """The procedure a running incident follows, else the one a complete failure of the function calls for."""
    for _, _, procedure in running:
        if procedure:
            return procedure
    chosen = assess.propose(document, Ref(Kind.FUNCTION, function), assess.COMPLETE).procedures
    return chosen[0] if chosen else ""


@org_page(Capability.VIEW)
def function_now(request: HttpRequest, ctx: OrgContext, plan: str, function: str) -> HttpResponse:
    stored = ctx.plan(plan, only=NOW_COLUMNS)
    calendar = calendar_of(ctx.organisation)
    if calendar is None:
        return render(request, "web/overview/calendar_broken.html", {"ctx": ctx, "plan": stored})
    plan_view = readmodel.view(stored)
    name = next((f.name for f in plan_view.document.functions if f.id == function), None)
    if name is None:
        raise Http404("No such function in this plan.")
    # What the page says changes with the plan, the calendar, the minute and the reader's rights:
    # the body is rendered once for each of those and shared by everyone reading it.
    minute = timezone.now().replace(second=0, microsecond=0)
    running = _running_for(ctx.organisation, stored, function)
    key = (stored.pk, stored.revision, function, calendar, minute, ctx.organisation.slug, ctx.can_respond, running)

    def draw() -> str:
        guidance = what_to_do(plan_view.document, function, minute, calendar)
        # The procedure that applies now first; the others are folded away below it.
        first = applies_now(plan_view.document, function, running)
        ordered = sorted(guidance.procedures, key=lambda p: p.id != first)
        context = {
            "ctx": ctx,
            "plan": stored,
            "g": replace(guidance, procedures=tuple(ordered)),
            "running": running,
        }
        return render_to_string("web/overview/_function_now.html", context)

    body = NOW_FRAGMENTS.get(key, draw)
    page = render(request, "web/overview/function_now.html", {"ctx": ctx, "body": body, "function_name": name})
    return save_offline(page)


@org_page(Capability.VIEW)
def contacts(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """Every plan's contact directory on one page: whom to ring, saved on a phone for when all is down."""
    plans = Plan.objects.filter(organisation=ctx.organisation).order_by("title", "key")
    found = [(plan, directory(readmodel.view(plan).document)) for plan in plans]
    page = render(request, "web/overview/contacts.html", {"ctx": ctx, "nav": "contacts", "plans": found})
    return save_offline(page)


urlpatterns: list[URLPattern] = [
    path("", dashboard, name="dashboard"),
    path("plans/<slug:plan>/functions/<slug:function>/now/", function_now, name="function-now"),
    path("contacts/", contacts, name="contacts"),
]
