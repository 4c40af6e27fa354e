"""URLs of the member, account and audit pages (placeholder until they land)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.user.get_username())


urlpatterns: list[URLPattern] = [path("account/", account, name="account")]
