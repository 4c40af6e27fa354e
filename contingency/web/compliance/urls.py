"""URLs of the compliance pages (mounted under o/<org>/)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("compliance/", views.index, name="compliance"),
    path("compliance/pack/", views.evidence_pack, name="compliance-pack"),
    path("compliance/import/", views.import_library, name="compliance-import"),
    path("compliance/evidence/<int:pk>/", views.evidence_file, name="compliance-evidence-file"),
    path("compliance/<slug:framework>/", views.framework_page, name="compliance-framework"),
    path("compliance/<slug:framework>/record/", views.record_evidence, name="compliance-record"),
    path("compliance/<slug:framework>/library.yaml", views.export_library, name="compliance-export"),
]
