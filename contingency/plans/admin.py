"""Admin for plans and their parts.

Plan files are the source of truth (`contingency plan import` replaces every part), and every
change goes through the audited services, so this is only for looking. Parts are listed per table with a filter by plan; only the
short, plan-owned lists are inlines: document changes and copy holders under the plan, and
confirm checks and steps under their procedure.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from django.contrib import admin
from django.forms import BaseInlineFormSet, ModelForm

from contingency.core.admin import ModelAdmin as BaseModelAdmin
from contingency.core.admin import ReadOnly
from contingency.core.admin import StackedInline as BaseStackedInline
from contingency.core.admin import TabularInline as BaseTabularInline

from .models import (
    ChangeRecord,
    ConfirmCheck,
    ContactList,
    CopyHolder,
    CriticalFunction,
    EscalationLevel,
    MonitoringActivity,
    Person,
    Plan,
    PlanPart,
    Procedure,
    ProcedureStep,
    Risk,
    Role,
    Site,
    Supplier,
    System,
    TriggerPoint,
)

M = TypeVar("M", bound=PlanPart)


class ChangeRecordInline(ReadOnly, BaseTabularInline[ChangeRecord, Plan]):
    model = ChangeRecord
    extra = 0
    raw_id_fields = ("author",)


class CopyHolderInline(ReadOnly, BaseTabularInline[CopyHolder, Plan]):
    model = CopyHolder
    extra = 0
    raw_id_fields = ("holder",)


@admin.register(Plan)
class PlanAdmin(ReadOnly, BaseModelAdmin[Plan]):
    list_display = ("key", "title", "organisation", "number", "issue", "review_date", "updated_at")
    list_filter = ("organisation",)
    list_select_related = ("organisation",)
    search_fields = ("key", "title", "number")
    raw_id_fields = ("originator", "owner", "approved_by")
    readonly_fields = ("source", "created_at", "updated_at")
    inlines = (ChangeRecordInline, CopyHolderInline)


class PartAdmin(ReadOnly, BaseModelAdmin[M]):
    """A table of plan parts: filtered by plan, in document order."""

    list_filter: ClassVar[tuple[str, ...]] = ("plan",)
    list_select_related = ("plan",)
    ordering: ClassVar[tuple[str, ...]] = ("plan", "position")
    search_fields: ClassVar[tuple[str, ...]] = ("key", "name")


@admin.register(Person)
class PersonAdmin(PartAdmin[Person]):
    list_display = ("key", "name", "job_title", "employer", "email", "plan")


@admin.register(Supplier)
class SupplierAdmin(PartAdmin[Supplier]):
    list_display = ("key", "name", "kind", "contract_reference", "plan")
    list_filter = ("kind", "plan")


@admin.register(Site)
class SiteAdmin(PartAdmin[Site]):
    list_display = ("key", "name", "kind", "operator", "plan")
    list_filter = ("kind", "plan")
    raw_id_fields = ("operator",)


@admin.register(Role)
class RoleAdmin(PartAdmin[Role]):
    list_display = ("key", "name", "kind", "plan")
    list_filter = ("kind", "plan")


@admin.register(ContactList)
class ContactListAdmin(PartAdmin[ContactList]):
    list_display = ("key", "name", "plan")


@admin.register(System)
class SystemAdmin(PartAdmin[System]):
    list_display = ("key", "name", "redundancy", "site", "supplier", "plan")
    list_filter = ("redundancy", "plan")
    raw_id_fields = ("site", "supplier")


@admin.register(CriticalFunction)
class CriticalFunctionAdmin(PartAdmin[CriticalFunction]):
    list_display = ("key", "name", "owner", "deputy", "rpo", "mtpd", "plan")
    raw_id_fields = ("owner", "deputy")


@admin.register(Risk)
class RiskAdmin(PartAdmin[Risk]):
    list_display = ("key", "title", "likelihood", "consequence", "score", "failure", "plan")
    list_filter = ("failure", "plan")
    search_fields = ("key", "title")


@admin.register(EscalationLevel)
class EscalationLevelAdmin(PartAdmin[EscalationLevel]):
    list_display = ("level", "name", "invokes_plan", "plan")
    search_fields = ("name",)


class SamePlanFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Checks and steps belong to their procedure's plan; set it before the form is validated."""

    def _construct_form(self, i: int, **kwargs: Any) -> ModelForm:  # type: ignore[type-arg]
        # Django's own hook for setting the parent key on each inline instance; not in the stubs.
        form: ModelForm = super()._construct_form(i, **kwargs)  # type: ignore[misc,type-arg]
        form.instance.plan_id = self.instance.plan_id
        return form


class ConfirmCheckInline(ReadOnly, BaseTabularInline[ConfirmCheck, Procedure]):
    model = ConfirmCheck
    formset = SamePlanFormSet
    exclude = ("plan",)
    extra = 0


class ProcedureStepInline(ReadOnly, BaseStackedInline[ProcedureStep, Procedure]):
    model = ProcedureStep
    formset = SamePlanFormSet
    exclude = ("plan",)
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(PartAdmin[Procedure]):
    list_display = ("key", "title", "phase", "plan")
    list_filter = ("phase", "plan")
    search_fields = ("key", "title")
    inlines = (ConfirmCheckInline, ProcedureStepInline)


@admin.register(ConfirmCheck)
class ConfirmCheckAdmin(PartAdmin[ConfirmCheck]):
    list_display = ("statement", "key", "if_not", "procedure", "plan")
    ordering = ("plan", "procedure", "position")
    search_fields = ("key", "statement")


@admin.register(ProcedureStep)
class ProcedureStepAdmin(PartAdmin[ProcedureStep]):
    list_display = ("text", "key", "kind", "when", "who_key", "procedure", "plan")
    list_filter = ("kind", "when", "plan")
    ordering = ("plan", "procedure", "position")
    search_fields = ("key", "text")


@admin.register(TriggerPoint)
class TriggerPointAdmin(PartAdmin[TriggerPoint]):
    list_display = ("key", "name", "kind", "every", "after", "chair_key", "plan")
    list_filter = ("kind", "plan")


@admin.register(ChangeRecord)
class ChangeRecordAdmin(PartAdmin[ChangeRecord]):
    list_display = ("issue", "date", "summary", "author", "plan")
    search_fields = ("summary",)
    raw_id_fields = ("author",)


@admin.register(CopyHolder)
class CopyHolderAdmin(PartAdmin[CopyHolder]):
    list_display = ("copy_number", "holder", "location", "acknowledged_issue", "plan")
    search_fields = ("holder__name", "location")
    raw_id_fields = ("holder",)


@admin.register(MonitoringActivity)
class MonitoringActivityAdmin(PartAdmin[MonitoringActivity]):
    list_display = ("activity", "every", "owner_key", "plan")
    search_fields = ("activity",)
