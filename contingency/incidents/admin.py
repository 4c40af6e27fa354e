"""Read-only admin for incidents: operators can look; every change goes through the audited services."""

from __future__ import annotations

from django.contrib import admin

from contingency.core.admin import ModelAdmin, ReadOnly, TabularInline

from .models import AffectedFunction, DueAction, Incident, Task, TimelineEntry


class AffectedInline(ReadOnly, TabularInline[AffectedFunction, Incident]):
    model = AffectedFunction
    fields = ("name", "degraded", "rto", "rto_due_at", "mtpd", "mtpd_due_at")
    extra = 0


@admin.register(Incident)
class IncidentAdmin(ReadOnly, ModelAdmin[Incident]):
    list_display = ("number", "organisation", "title", "state", "severity", "began_at", "restored_at")
    list_filter = ("organisation", "state")
    search_fields = ("title", "subject")
    exclude = ("snapshot",)
    inlines = (AffectedInline,)


@admin.register(Task)
class TaskAdmin(ReadOnly, ModelAdmin[Task]):
    list_display = ("incident", "text", "source", "state", "who_name", "due_at")
    list_filter = ("state", "source")


@admin.register(DueAction)
class DueActionAdmin(ReadOnly, ModelAdmin[DueAction]):
    list_display = ("incident", "kind", "name", "due_at", "state", "fired_at", "fired_by", "attempts", "retry_at")
    list_filter = ("kind", "state")
    search_fields = ("name", "last_error")


@admin.register(TimelineEntry)
class TimelineAdmin(ReadOnly, ModelAdmin[TimelineEntry]):
    list_display = ("incident", "at", "kind", "text", "actor_name")
    list_filter = ("kind",)
