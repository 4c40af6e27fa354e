"""The invitation link's page (no log-in: the signed link is the credential): choose a username and password."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from contingency.notify import invitations
from contingency.web import refusals

from .forms import AcceptForm


@never_cache
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, signed: str) -> HttpResponse:
    try:
        invitation = invitations.find(signed)
    except invitations.InvitationInvalid as invalid:
        return render(request, "web/members/invite_invalid.html", {"problem": invalid.message}, status=410)
    suggested = invitation.email.split("@", 1)[0]
    form = AcceptForm(request.POST or None, initial={"username": suggested})
    if request.method == "POST" and form.is_valid():
        with refusals.onto(form):
            try:
                user = invitations.accept(
                    signed=signed, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
                )
            except invitations.InvitationInvalid as invalid:
                return render(request, "web/members/invite_invalid.html", {"problem": invalid.message}, status=410)
            messages.success(
                request, f"Welcome, {user.username}: you are a member of {invitation.organisation.name}. Sign in."
            )
            return redirect("login")
    context = {"invitation": invitation, "form": form}
    return render(request, "web/members/invite.html", context, status=400 if form.is_bound else 200)
