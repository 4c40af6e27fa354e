"""Admin for organisations, and admin base classes the other apps share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin

from .models import Organisation

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


@admin.register(Organisation)
class OrganisationAdmin(ModelAdmin[Organisation]):
    list_display = ("slug", "name", "nation", "timezone", "updated_at")
    list_filter = ("nation",)
    search_fields = ("slug", "name")
    readonly_fields = ("created_at", "updated_at")
