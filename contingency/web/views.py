"""Pages outside any organisation: sign in and out, and the list of one's organisations."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from contingency.core.access import organisations_of


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight to the dashboard for a member of one organisation; a choice for members of several."""
    organisations = organisations_of(request.user)
    if len(organisations) == 1:
        return redirect("dashboard", org=organisations[0].slug)
    return render(request, "web/home.html", {"organisations": organisations})
