"""URLs of the status page: management under o/<org>/status/, the incident's button, and the public pages
under status/ (no log-in)."""

from django.urls import URLPattern, path

from . import manage, notice, public

urlpatterns: list[URLPattern] = [
    path("status/", manage.manage, name="status-manage"),
    path("status/settings/", manage.settings, name="status-settings"),
    path("status/services/", manage.service_add, name="status-service-add"),
    path("status/services/<slug:key>/", manage.service_edit, name="status-service-edit"),
    path("status/services/<slug:key>/remove/", manage.service_remove, name="status-service-remove"),
    path("status/services/<slug:key>/state/", manage.service_state, name="status-service-state"),
    path("status/updates/", manage.update, name="status-update"),
    path("status/maintenance/", manage.maintenance, name="status-maintenance"),
    path("status/maintenance/<int:pk>/cancel/", manage.maintenance_cancel, name="status-maintenance-cancel"),
    path("incidents/<int:number>/status-notice/", notice.incident_notice, name="incident-status-notice"),
]

# No log-in: the page is public, and the signed links are their own credential.
public_urls: list[URLPattern] = [
    path("status/<slug:org>/", public.page, name="status-page"),
    path("status/<slug:org>/subscribe/", public.subscribe, name="status-subscribe"),
    path("status/<slug:org>/<str:name>", public.status_file, name="status-file"),
    path("status-links/confirm/<str:signed>/", public.confirm, name="status-confirm"),
    path("status-links/unsubscribe/<str:signed>/", public.unsubscribe, name="status-unsubscribe"),
]
