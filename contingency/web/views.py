"""Pages outside any organisation: sign in and out, and the list of one's organisations."""

from __future__ import annotations

import math
from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from contingency.core import signin
from contingency.core.access import organisations_of

THROTTLED = "throttled"


def check_throttle(request: HttpRequest | None, username: str | None) -> None:
    """Refuse, before the password is checked, a username that must wait longer from this address.
    A username locked out here is left to django-axes, which shows the lock-out page."""
    if request is None or not username or signin.locked_out(request, username):
        return
    wait = signin.wait_for(username, signin.client_address(request), timezone.now())
    if wait:
        seconds = math.ceil(wait.total_seconds())
        raise ValidationError(
            f"Too many wrong passwords for {username} from here: try again in {seconds} "
            f"second{'' if seconds == 1 else 's'}. Nothing was checked this time.",
            code=THROTTLED,
        )


class SignInForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        check_throttle(self.request, self.cleaned_data.get("username"))
        return super().clean()


class AdminSignInForm(AdminAuthenticationForm):
    """The admin site's sign-in, slowed down the same way."""

    def clean(self) -> dict[str, Any]:
        check_throttle(self.request, self.cleaned_data.get("username"))
        return super().clean()


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    form_class = SignInForm

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if any(error.code == THROTTLED for error in form.non_field_errors().as_data()):
            response.status_code = 429
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight to the dashboard for a member of one organisation; a choice for members of several."""
    organisations = organisations_of(request.user)
    if len(organisations) == 1:
        return redirect("dashboard", org=organisations[0].slug)
    return render(request, "web/home.html", {"organisations": organisations})
