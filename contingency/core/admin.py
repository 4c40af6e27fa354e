"""Admin for organisations, and admin base classes the other apps share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ApiToken, AuditEntry, Membership, Organisation

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline
    StackedInline = admin.StackedInline
else:
    # django-stubs makes these generic (ModelAdmin[Plan]) but Django's classes take no
    # parameters at runtime, and django-stubs-ext is not a runtime dependency.
    class _Parameters:
        def __class_getitem__(cls, *args: Any) -> type:
            return cls

    class ModelAdmin(_Parameters, admin.ModelAdmin):
        pass

    class TabularInline(_Parameters, admin.TabularInline):
        pass

    class StackedInline(_Parameters, admin.StackedInline):
        pass


class ReadOnly:
    """Admin that only looks: domain objects change through the app's services, which audit them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(ModelAdmin[Organisation]):
    list_display = ("slug", "name", "nation", "timezone", "updated_at")
    list_filter = ("nation",)
    search_fields = ("slug", "name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Membership)
class MembershipAdmin(ReadOnly, ModelAdmin[Membership]):
    list_display = ("user", "organisation", "role")
    list_filter = ("organisation", "role")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly, ModelAdmin[AuditEntry]):
    list_display = ("at", "organisation", "actor_name", "verb", "object_type", "object_key")
    list_filter = ("organisation", "verb", "object_type")
    search_fields = ("object_key", "actor_name")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnly, ModelAdmin[ApiToken]):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("digest",)
