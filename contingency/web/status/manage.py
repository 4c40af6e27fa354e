"""The status page's management page (members only): what is published, its state, updates, maintenance,
subscribers and publishing, with a form for each change.

Members see it; responders post updates, set states and plan maintenance; administrators set the page
up and choose the services it publishes. Each form posts to its own address and, when refused or
invalid, the page is shown again with the errors beside the fields (400) and nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from contingency.core.permissions import Capability
from contingency.incidents.models import OPEN_STATES, Incident
from contingency.incidents.queries import real
from contingency.lib.calendar import from_organisation
from contingency.plans.graph import build_graph
from contingency.plans.models import Plan
from contingency.plans.store import export_plan
from contingency.status import current, services, updates
from contingency.status.models import (
    JobState,
    MaintenanceWindow,
    PublishedService,
    PublishJob,
    StatusUpdate,
    Subscriber,
)
from contingency.status.publishing.targets import from_settings as targets
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page

from .forms import MaintenanceForm, ServiceAddForm, ServiceEditForm, SiteForm, StateForm, UpdateForm

UPDATES_SHOWN = 30


@dataclass
class ServiceRow:
    service: PublishedService
    current: current.Current
    edit: ServiceEditForm
    state: StateForm


@dataclass
class TargetRow:
    name: str
    where: str
    last_done: PublishJob | None
    pending: int
    failing: PublishJob | None


def _parts(ctx: OrgContext) -> list[tuple[str, str]]:
    """Every system and function of the organisation's plans, as choices "plan subject"."""
    found: list[tuple[str, str]] = []
    for plan in Plan.objects.filter(organisation=ctx.organisation).order_by("title"):
        graph = build_graph(export_plan(plan))
        for ref, node in graph.nodes.items():
            if ref.kind in services.PUBLISHABLE:
                found.append((f"{plan.key} {ref}", f"{plan.title}: {ref.kind.value} {node.name}"))
    return found


def _targets(ctx: OrgContext) -> list[TargetRow]:
    rows = []
    jobs = PublishJob.objects.filter(organisation=ctx.organisation)
    for name, where in targets().describe():
        mine = jobs.filter(target=name)
        rows.append(
            TargetRow(
                name=name,
                where=where,
                last_done=mine.filter(state=JobState.DONE, covered_by=None).order_by("-finished_at", "-id").first(),
                pending=mine.exclude(state=JobState.DONE).count(),
                failing=mine.exclude(state=JobState.DONE).filter(attempts__gt=0).order_by("due_at", "id").first(),
            )
        )
    return rows


def _open_incidents(ctx: OrgContext) -> list[Incident]:
    return list(real(Incident.objects.filter(organisation=ctx.organisation, state__in=OPEN_STATES)).order_by("-number"))


def _chosen(published: list[PublishedService], keys: list[str]) -> list[PublishedService]:
    return [service for service in published if service.key in keys]


def _edit_form(service: PublishedService) -> ServiceEditForm:
    initial = {
        "name": service.name,
        "name_cy": service.name_cy,
        "description": service.description,
        "description_cy": service.description_cy,
        "position": service.position,
    }
    return ServiceEditForm(prefix=f"edit-{service.key}", initial=initial)


def context(ctx: OrgContext, forms_given: dict[str, forms.Form], edit_key: str = "") -> dict[str, Any]:
    """The page's context; `forms_given` are forms posted and refused (shown with their errors)."""
    site = services.site_of(ctx.organisation)
    zone = from_organisation(ctx.organisation).zone
    published = list(PublishedService.objects.filter(organisation=ctx.organisation))
    now = timezone.now()
    states = current.states(ctx.organisation, published, at=now)
    edited = forms_given.get("edit")
    rows = [
        ServiceRow(
            service=s,
            current=states[s.pk],
            edit=edited if isinstance(edited, ServiceEditForm) and edit_key == s.key else _edit_form(s),
            state=StateForm(prefix=f"state-{s.key}", initial={"state": s.state, "note": s.state_note}),
        )
        for s in published
    ]
    subscribers = Subscriber.objects.filter(organisation=ctx.organisation).aggregate(
        n=Count("id"), last=Max("confirmed_at")
    )
    return {
        "ctx": ctx,
        "nav": "status",
        "site": site,
        "zone": zone,
        "now": now,
        "rows": rows,
        "site_form": forms_given.get("site")
        or SiteForm(
            prefix="site",
            initial={
                "published": site.published if site else False,
                "title": site.title if site else f"{ctx.organisation.name} service status",
                "title_cy": site.title_cy if site else "",
                "intro": site.intro if site else "",
                "intro_cy": site.intro_cy if site else "",
            },
        ),
        "add_form": forms_given.get("add")
        or (ServiceAddForm(prefix="add", parts=_parts(ctx)) if ctx.can_administer else None),
        "update_form": forms_given.get("update")
        or UpdateForm(
            prefix="update", services=published, incidents=_open_incidents(ctx), initial={"audience": "public"}
        ),
        "maintenance_form": forms_given.get("maintenance")
        or MaintenanceForm(prefix="maintenance", zone=zone, services=published),
        "updates": StatusUpdate.objects.filter(organisation=ctx.organisation)
        .select_related("incident")
        .prefetch_related("services")[:UPDATES_SHOWN],
        "windows": MaintenanceWindow.objects.filter(organisation=ctx.organisation, ends_at__gt=now).prefetch_related(
            "services"
        ),
        "subscribers": subscribers["n"],
        "last_subscriber": subscribers["last"],
        "targets": _targets(ctx),
    }


def _page(
    request: HttpRequest,
    ctx: OrgContext,
    status: int = 200,
    forms_given: dict[str, forms.Form] | None = None,
    edit_key: str = "",
) -> HttpResponse:
    return render(request, "web/status/manage.html", context(ctx, forms_given or {}, edit_key), status=status)


def _done(request: HttpRequest, ctx: OrgContext, message: str, anchor: str = "") -> HttpResponse:
    messages.success(request, message)
    response = redirect("status-manage", org=ctx.organisation.slug)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@org_page(Capability.VIEW)
@require_GET
def manage(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    return _page(request, ctx)


def _submit(
    request: HttpRequest,
    ctx: OrgContext,
    form: forms.Form,
    name: str,
    change: Callable[[dict[str, Any]], str],
    anchor: str,
    edit_key: str = "",
) -> HttpResponse:
    """Validate, call the service; done: back to the page with a message; else the page with the errors."""
    if form.is_valid():
        with refusals.onto(form):
            return _done(request, ctx, change(form.cleaned_data), anchor)
    return _page(request, ctx, status=refusals.STATUS, forms_given={name: form}, edit_key=edit_key)


@org_page(Capability.ADMINISTER)
@require_POST
def settings(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    def change(data: dict[str, Any]) -> str:
        site = services.configure_site(organisation=ctx.organisation, actor=request.user, **data)
        return "The page is published." if site.published else "Saved. The page is not published."

    return _submit(request, ctx, SiteForm(request.POST, prefix="site"), "site", change, "settings")


@org_page(Capability.ADMINISTER)
@require_POST
def service_add(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    form = ServiceAddForm(request.POST, prefix="add", parts=_parts(ctx))

    def change(data: dict[str, Any]) -> str:
        plan, subject = form.plan_and_subject()
        added = services.add_service(
            organisation=ctx.organisation,
            key=data["key"],
            plan_key=plan,
            subject=subject,
            name=data["name"],
            name_cy=data["name_cy"],
            description=data["description"],
            description_cy=data["description_cy"],
            actor=request.user,
        )
        return f"{added.name} is published."

    return _submit(request, ctx, form, "add", change, "services")


def _service(ctx: OrgContext, key: str) -> PublishedService:
    return get_object_or_404(PublishedService, organisation=ctx.organisation, key=key)


@org_page(Capability.ADMINISTER)
@require_POST
def service_edit(request: HttpRequest, ctx: OrgContext, key: str) -> HttpResponse:
    service = _service(ctx, key)
    form = ServiceEditForm(request.POST, prefix=f"edit-{key}")

    def change(data: dict[str, Any]) -> str:
        changed = services.change_service(service=service, actor=request.user, **data)
        return f"{changed.name} is changed."

    return _submit(request, ctx, form, "edit", change, f"service-{key}", edit_key=key)


@org_page(Capability.ADMINISTER)
@require_POST
def service_remove(request: HttpRequest, ctx: OrgContext, key: str) -> HttpResponse:
    service = _service(ctx, key)
    with refusals.flashed(request):
        services.remove_service(service=service, actor=request.user)
        messages.success(request, f"{service.name} is no longer published.")
    return redirect("status-manage", org=ctx.organisation.slug)


@org_page(Capability.RESPOND)
@require_POST
def service_state(request: HttpRequest, ctx: OrgContext, key: str) -> HttpResponse:
    service = _service(ctx, key)
    form = StateForm(request.POST, prefix=f"state-{key}")
    if form.is_valid():
        with refusals.flashed(request):
            changed = services.set_state(service=service, actor=request.user, **form.cleaned_data)
            return _done(request, ctx, f"{changed.name}: {changed.get_state_display()}.", f"service-{key}")
    else:
        messages.error(request, f"{service.name}: the state was not changed: choose one of the states listed.")
    return redirect("status-manage", org=ctx.organisation.slug)


@org_page(Capability.RESPOND)
@require_POST
def update(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    published = list(PublishedService.objects.filter(organisation=ctx.organisation))
    running = _open_incidents(ctx)
    form = UpdateForm(request.POST, prefix="update", services=published, incidents=running)

    def change(data: dict[str, Any]) -> str:
        posted = updates.post_update(
            organisation=ctx.organisation,
            text=data["text"],
            text_cy=data["text_cy"],
            audience=data["audience"],
            services=_chosen(published, data["services"]),
            state=data["state"],
            incident=next((i for i in running if i.number == data["incident"]), None),
            actor=request.user,
        )
        return "Update posted." if posted.audience == "public" else "Update for staff posted (not shown publicly)."

    return _submit(request, ctx, form, "update", change, "updates")


@org_page(Capability.RESPOND)
@require_POST
def maintenance(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    published = list(PublishedService.objects.filter(organisation=ctx.organisation))
    zone = from_organisation(ctx.organisation).zone
    form = MaintenanceForm(request.POST, prefix="maintenance", zone=zone, services=published)

    def change(data: dict[str, Any]) -> str:
        window = updates.schedule_maintenance(
            organisation=ctx.organisation,
            actor=request.user,
            **{**data, "services": _chosen(published, data["services"])},
        )
        return f"Maintenance planned: {window.title}."

    return _submit(request, ctx, form, "maintenance", change, "maintenance")


@org_page(Capability.RESPOND)
@require_POST
def maintenance_cancel(request: HttpRequest, ctx: OrgContext, pk: int) -> HttpResponse:
    window = get_object_or_404(MaintenanceWindow, organisation=ctx.organisation, pk=pk)
    with refusals.flashed(request):
        updates.cancel_maintenance(window=window, actor=request.user)
        messages.success(request, f"Maintenance cancelled: {window.title}.")
    return redirect("status-manage", org=ctx.organisation.slug)
