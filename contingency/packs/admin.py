"""Read-only admin for the print register and the queued pack builds (changes go through the services)."""

from __future__ import annotations

from django.contrib import admin

from contingency.core.admin import ModelAdmin, ReadOnly

from .models import PackJob, PrintPolicy, PrintRecord


@admin.register(PrintRecord)
class PrintRecordAdmin(ReadOnly, ModelAdmin[PrintRecord]):
    list_display = ("built_at", "organisation", "plan_key", "issue", "built_by_name", "via")
    list_filter = ("organisation", "via")
    search_fields = ("plan_key", "plan_title", "built_by_name")
    exclude = ("manifest",)


@admin.register(PackJob)
class PackJobAdmin(ReadOnly, ModelAdmin[PackJob]):
    list_display = ("created_at", "plan", "issue", "reason", "state", "attempts", "claimed_by", "last_error")
    list_filter = ("state", "reason")


@admin.register(PrintPolicy)
class PrintPolicyAdmin(ReadOnly, ModelAdmin[PrintPolicy]):
    list_display = ("organisation", "contact_list_months")
