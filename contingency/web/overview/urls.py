"""URLs of the organisation overview pages (placeholder until the dashboard lands)."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from contingency.core.permissions import Capability
from contingency.web.access import OrgContext, org_page


@org_page(Capability.VIEW)
def dashboard(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    return HttpResponse(ctx.organisation.name)


urlpatterns: list[URLPattern] = [path("", dashboard, name="dashboard")]
