"""URLs of the probe pages under o/<org>/: a system's page (beside its plan) and the probes page."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("plans/<slug:plan>/systems/<slug:system>/", views.system_page, name="plan-system"),
    path("probes/", views.probes_page, name="probes"),
    path("probes/sites/", views.add_site, name="probe-site-add"),
    path("probes/sites/<int:pk>/revoke/", views.revoke_site, name="probe-site-revoke"),
]
