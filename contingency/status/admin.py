"""Read-only admin for the status page: operators can look (the publishing queue above all); every change
goes through the audited services. Subscribers' addresses are not shown here."""

from __future__ import annotations

from django.contrib import admin

from contingency.core.admin import ModelAdmin, ReadOnly

from .models import MaintenanceWindow, PublishedService, PublishJob, StatusSite, StatusUpdate


@admin.register(StatusSite)
class StatusSiteAdmin(ReadOnly, ModelAdmin[StatusSite]):
    list_display = ("organisation", "title", "published", "changed_at", "version")


@admin.register(PublishedService)
class PublishedServiceAdmin(ReadOnly, ModelAdmin[PublishedService]):
    list_display = ("organisation", "key", "name", "plan_key", "subject", "state")
    list_filter = ("organisation", "state")


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ReadOnly, ModelAdmin[StatusUpdate]):
    list_display = ("organisation", "at", "audience", "state", "text", "author_name")
    list_filter = ("organisation", "audience")


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(ReadOnly, ModelAdmin[MaintenanceWindow]):
    list_display = ("organisation", "title", "starts_at", "ends_at", "cancelled_at")


@admin.register(PublishJob)
class PublishJobAdmin(ReadOnly, ModelAdmin[PublishJob]):
    list_display = ("organisation", "target", "reason", "due_at", "state", "attempts", "retry_at", "finished_at")
    list_filter = ("target", "state")
    search_fields = ("reason", "last_error")
