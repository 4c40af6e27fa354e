"""URLs of the read-only plan page."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("plans/<slug:plan>/", views.plan_page, name="plan"),
    path("plans/<slug:plan>/dependencies/", views.plan_dependencies, name="plan-dependencies"),
]
