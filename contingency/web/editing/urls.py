"""URLs of plan editing: forms per part, YAML upload and download (under /o/<org>/)."""

from django.urls import URLPattern, path

from . import views, word

# Upload comes before any `plans/<plan>/` page so that "upload" is never taken for a plan id.
urlpatterns: list[URLPattern] = [
    path("plans/upload/", views.plan_upload, name="plan-upload"),
    path("plans/upload/word/", word.plan_from_word, name="plan-from-word"),
    path("plans/<slug:plan>/upload/", views.plan_replace, name="plan-replace"),
    path("plans/<slug:plan>/download/", views.plan_download, name="plan-download"),
    path("plans/<slug:plan>/edit/", views.plan_edit, name="plan-edit"),
    # One address for a single section's form and for adding an item to a collection.
    path("plans/<slug:plan>/edit/<str:section>/", views.section_or_add, name="section-edit"),
    path("plans/<slug:plan>/edit/<str:section>/", views.section_or_add, name="part-add"),
    path("plans/<slug:plan>/edit/<str:section>/<str:key>/", views.part_edit, name="part-edit"),
    path("plans/<slug:plan>/edit/<str:section>/<str:key>/delete/", views.part_delete, name="part-delete"),
]
