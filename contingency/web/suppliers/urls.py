"""URLs of the suppliers pages (mounted under o/<org>/)."""

from django.urls import URLPattern, path

from . import views

TICKETS = "incidents/<int:number>/suppliers/"

urlpatterns: list[URLPattern] = [
    path("suppliers/", views.index, name="suppliers"),
    path("suppliers/<slug:supplier>/", views.edit, name="supplier-assurance"),
    path(TICKETS, views.tickets, name="incident-suppliers"),
    path(TICKETS + "log/", views.log_ticket, name="incident-supplier-log"),
    path(TICKETS + "<int:pk>/clock/", views.clock, name="incident-supplier-clock"),
    path(TICKETS + "<int:pk>/rca/", views.rca, name="incident-supplier-rca"),
]
