"""Members and roles, the organisation's audit log, one object's history, and the user's own account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contingency.core import audit, signin, tokens
from contingency.core.access import organisations_of, roles_in
from contingency.core.membership import add_member, remove_member, set_roles
from contingency.core.models import ApiToken, AuditEntry, Invitation, Membership, PersonLink, Role, TokenScope
from contingency.core.permissions import Capability
from contingency.lib.keys import KeyUnusable
from contingency.mirror.signer import public_key
from contingency.notify import invitations
from contingency.plans import people
from contingency.plans.models import Plan
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page

from .display import CAPABILITY_TEXT, ChangeRow, change_rows, day_bounds, role_table
from .forms import AddExistingForm, AuditFilterForm, InviteForm, RolesForm, TokenForm

MIRROR_TOKEN_DAYS = 90

PAGE_SIZE = 50


@dataclass
class MemberRow:
    user: User
    roles: list[str]
    form: RolesForm
    errors: list[str]
    person: PersonLink | None = None
    suggested: people.PlanPerson | None = None


def _members(ctx: OrgContext) -> list[MemberRow]:
    rows: dict[int, MemberRow] = {}
    for membership in Membership.objects.filter(organisation=ctx.organisation).select_related("user"):
        row = rows.get(membership.user_id)
        if row is None:
            row = rows[membership.user_id] = MemberRow(membership.user, [], RolesForm(), [])
        row.roles.append(membership.role)
    links = {link.user_id: link for link in PersonLink.objects.filter(organisation=ctx.organisation)}
    suggested = people.suggestions(ctx.organisation)
    for pk, row in rows.items():
        row.roles.sort()
        row.form = RolesForm(initial={"roles": row.roles})
        row.person, row.suggested = links.get(pk), suggested.get(pk)
    return sorted(rows.values(), key=lambda r: r.user.username.lower())


@org_page(Capability.ADMINISTER)
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """The member list with forms; every form posts here with an `action`."""
    rows = _members(ctx)
    add_form: Form = AddExistingForm(prefix="add")
    invite_form: Form = InviteForm(prefix="invite")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "add":
            add_form = AddExistingForm(request.POST, prefix="add")
            done = _add(request, ctx, add_form, creating=False)
        elif action == "invite":
            invite_form = InviteForm(request.POST, prefix="invite")
            done = _invite(request, ctx, invite_form)
        elif action in ("link", "unlink"):
            done = _link(request, ctx, rows, action)
        elif action in ("roles", "remove"):
            done = _change(request, ctx, rows, action)
        elif action == "unlock":
            done = _unlock(request, ctx)
        else:
            messages.error(request, "Nothing was changed: the form was not recognised.")
            done = False
        if done:
            return redirect("members", org=ctx.organisation.slug)
        status = 400
    context = {
        "ctx": ctx,
        "nav": "members",
        "rows": rows,
        "add_form": add_form,
        "invite_form": invite_form,
        "invited": Invitation.objects.filter(organisation=ctx.organisation, accepted_at=None)[:50],
        "capabilities": [(cap.value, CAPABILITY_TEXT[cap]) for cap in Capability],
        "role_table": role_table(),
        "locks": signin.current_locks([row.user.username for row in rows], timezone.now()),
        "zone": ctx.organisation.timezone,
    }
    return render(request, "web/members/members.html", context, status=status)


def _unlock(request: HttpRequest, ctx: OrgContext) -> bool:
    username = request.POST.get("username", "")
    try:
        signin.lift(organisation=ctx.organisation, username=username, actor=request.user)
    except signin.LockRefused as refused:
        messages.error(request, f"Nothing was changed: {refused}")
        return False
    messages.success(request, f"{username} can sign in again: the lock-out and any delay are lifted.")
    return True


def _add(request: HttpRequest, ctx: OrgContext, form: Form, *, creating: bool) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    with refusals.onto(form):
        user = add_member(ctx.organisation, username=data["username"], roles=data["roles"], actor=request.user)
        messages.success(request, f"{user.username} is now a member of {ctx.organisation.name}.")
        return True
    return False


def _invite(request: HttpRequest, ctx: OrgContext, form: Form) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    with refusals.onto(form):
        invitation, message = invitations.invite(
            organisation=ctx.organisation,
            email=data["email"],
            name=data["name"],
            roles=data["roles"],
            actor=request.user,
        )
        if message.state == "failed":
            messages.warning(
                request,
                f"No e-mail channel is configured, so nothing was sent: give {invitation.email} this link yourself "
                f"(it works once, for {invitations.INVITE_DAYS} days): {message.link}",
            )
        else:
            messages.success(request, f"An invitation is on its way to {invitation.email}.")
        return True
    return False


def _link(request: HttpRequest, ctx: OrgContext, rows: list[MemberRow], action: str) -> bool:
    username = request.POST.get("username", "")
    row = next((r for r in rows if r.user.username == username), None)
    if row is None:
        messages.error(request, f"Nothing was changed: {username!r} is not a member of {ctx.organisation.name}.")
        return False
    with refusals.flashed(request):
        if action == "unlink":
            people.unlink(organisation=ctx.organisation, user=row.user, actor=request.user)
            messages.success(request, f"{username} is no longer linked to a person in the plans.")
        else:
            made = people.link(
                organisation=ctx.organisation,
                person_key=request.POST.get("person", ""),
                user=row.user,
                actor=request.user,
            )
            messages.success(request, f"{username} is {made.person_name} in the plans.")
        return True
    return False


def _change(request: HttpRequest, ctx: OrgContext, rows: list[MemberRow], action: str) -> bool:
    username = request.POST.get("username", "")
    row = next((r for r in rows if r.user.username == username), None)
    if row is None:
        messages.error(request, f"Nothing was changed: {username!r} is not a member of {ctx.organisation.name}.")
        return False
    with refusals.caught() as caught:
        if action == "remove":
            remove_member(row.user, ctx.organisation, actor=request.user)
            messages.success(request, f"{username} is no longer a member of {ctx.organisation.name}.")
            return True
        row.form = RolesForm(request.POST)
        if not row.form.is_valid():
            return False
        roles = set_roles(row.user, ctx.organisation, row.form.cleaned_data["roles"], actor=request.user)
        messages.success(request, f"{username} now has the roles: {', '.join(roles)}.")
        return True
    row.errors = [message for _, message in caught.refused.problems()] if caught.refused else []
    return False


@dataclass(frozen=True)
class EntryRow:
    entry: AuditEntry
    changes: list[ChangeRow]


def _rows(entries: Any) -> list[EntryRow]:
    return [EntryRow(entry, change_rows(entry.before, entry.after)) for entry in entries]


@org_page(Capability.ADMINISTER)
@require_GET
def audit_log(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """Every audit entry of the organisation, newest first, filtered by a GET form."""
    entries = AuditEntry.objects.filter(organisation=ctx.organisation)
    form = AuditFilterForm(
        request.GET or None,
        object_types=list(entries.order_by("object_type").values_list("object_type", flat=True).distinct()),
        actors=list(entries.order_by("actor_name").values_list("actor_name", flat=True).distinct()),
    )
    if form.is_bound and form.is_valid():
        entries = _filtered(entries, form.cleaned_data, ZoneInfo(ctx.organisation.timezone))
    page = Paginator(entries.order_by("-at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "ctx": ctx,
        "nav": "audit",
        "form": form,
        "page": page,
        "rows": _rows(page.object_list),
        "query": query.urlencode(),
        "zone": ctx.organisation.timezone,
    }
    return render(request, "web/members/audit_log.html", context, status=400 if form.errors else 200)


def _filtered(entries: QuerySet[AuditEntry], data: dict[str, Any], zone: ZoneInfo) -> QuerySet[AuditEntry]:
    if data.get("object_type"):
        entries = entries.filter(object_type=data["object_type"])
    if data.get("actor"):
        entries = entries.filter(actor_name=data["actor"])
    since, until = day_bounds(data.get("since"), data.get("until"), zone)
    if since:
        entries = entries.filter(at__gte=since)
    if until:
        entries = entries.filter(at__lt=until)
    return entries


@org_page(Capability.VIEW)
@require_GET
def history(request: HttpRequest, ctx: OrgContext, object_type: str, key: str) -> HttpResponse:
    """Every recorded change of one object; a plan's history includes all its parts."""
    if audit.private(object_type) and not ctx.can_administer:
        raise PermissionDenied("The history of members, passwords, tokens and lock-outs is for administrators.")
    # A plan's history includes its parts (`<plan>/<section>/<part>`), only for a plan that exists.
    parts = object_type == "plan" and Plan.objects.filter(organisation=ctx.organisation, key=key).exists()
    entries = AuditEntry.objects.filter(organisation=ctx.organisation)
    entries = audit.history_of(entries, object_type, key, with_parts=parts).order_by("-at", "-id")
    context = {
        "ctx": ctx,
        "nav": "history",
        "object_type": object_type,
        "key": key,
        "rows": _rows(entries[:500]),
        "total": entries.count(),
        "zone": ctx.organisation.timezone,
    }
    return render(request, "web/members/history.html", context)


def _signed_in(request: HttpRequest) -> User:
    """The signed-in user of a @login_required view."""
    assert isinstance(request.user, User)
    return request.user


def _account_context(request: HttpRequest, token_form: TokenForm | None = None) -> dict[str, Any]:
    memberships = [(org, roles_in(request.user, org)) for org in organisations_of(request.user)]
    role_labels = dict(Role.choices)
    return {
        "nav": "account",
        "memberships": [(org, [role_labels[r] for r in roles]) for org, roles in memberships],
        "tokens": ApiToken.objects.filter(user=_signed_in(request)),
        "token_form": token_form or TokenForm(),
    }


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "web/members/account.html", _account_context(request))


@never_cache
@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Make a token and show it once: the page is not cached and the token is never shown again."""
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(request, "web/members/account.html", _account_context(request, form), status=400)
    user = _signed_in(request)
    scope = form.cleaned_data["scope"]
    expires = None
    if scope == TokenScope.MIRROR:
        expires = timezone.now() + timedelta(days=form.cleaned_data["days"] or MIRROR_TOKEN_DAYS)
    token, plain = tokens.create_token(user, form.cleaned_data["name"], scope=scope, expires_at=expires)
    context: dict[str, Any] = {"nav": "account", "token": token, "plain": plain}
    if scope == TokenScope.MIRROR:
        context |= _mirror_setup()
    return render(request, "web/members/token_created.html", context)


def _mirror_setup() -> dict[str, Any]:
    """What a laptop needs besides the token: this server's address and the public key to pin."""
    try:
        key, problem = public_key(), ""
    except KeyUnusable as exc:
        key, problem = "", str(exc)
    return {"server": settings.CONTINGENCY_BASE_URL, "server_key": key, "key_problem": problem}


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=_signed_in(request))
    tokens.revoke_token(token)
    messages.success(request, f"The token {token.name!r} is revoked: it no longer works.")
    return redirect("account")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/members/password_change.html"
    success_url = reverse_lazy("account")
    extra_context = {"nav": "account"}

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            for organisation in organisations_of(self.request.user):
                audit.record(
                    organisation=organisation,
                    actor=self.request.user,
                    verb=audit.Verb.CHANGE,
                    object_type=audit.USER,
                    object_key=self.request.user.get_username(),
                    note="password changed",
                )
        messages.success(self.request, "Your password is changed.")
        return response
