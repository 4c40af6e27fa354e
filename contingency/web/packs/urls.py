"""URLs of the grab-pack downloads (mounted under o/<org>/)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("pack/", views.organisation_pack, name="organisation-pack"),
    path("plans/<slug:plan>/pack/", views.plan_pack, name="plan-pack"),
    path("plans/<slug:plan>/pack/print/", views.plan_pack_print, name="plan-pack-print"),
    path("plans/<slug:plan>/prints/<int:pk>/", views.print_download, name="print-download"),
    # No log-in: the signed token is the credential (see packs/links.py).
    path("packs/<str:token>/", views.pack_copy, name="pack-copy"),
]
