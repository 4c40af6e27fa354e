"""Forms of the status page's management page: shape only; the services check the rest."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from contingency.incidents.models import Incident
from contingency.status.models import Audience, PublishedService, ServiceState
from contingency.web.incidents.forms import WallClockField

LIMIT = 5000


def _line(label: str, *, required: bool = True, help_text: str = "", limit: int = 120) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        help_text=help_text,
        error_messages={"max_length": f"Keep this to {limit:,} characters or fewer.", "required": "Fill this in."},
    )


def _prose(label: str, *, required: bool = False, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=LIMIT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"Keep this to {LIMIT:,} characters or fewer.", "required": "Write the text."},
    )


class SiteForm(forms.Form):
    published = forms.BooleanField(
        label="Publish the page", required=False, help_text="Anyone may read it, without signing in."
    )
    title = _line("Heading", help_text="For example: Clearview Eyecare service status.")
    title_cy = _line("Heading in Welsh", required=False)
    intro = _prose("Introduction", help_text="How else to reach you while a service is down.")
    intro_cy = _prose("Introduction in Welsh")


class ServiceTextForm(forms.Form):
    name = _line("Public name")
    name_cy = _line("Public name in Welsh", required=False)
    description = _prose("Description")
    description_cy = _prose("Description in Welsh")


class ServiceAddForm(ServiceTextForm):
    key = forms.SlugField(
        label="Id",
        max_length=64,
        help_text="Lower-case letters, digits and '-', as it appears in the JSON and the feeds.",
        error_messages={"invalid": "Use lower-case letters, digits and '-'.", "required": "Fill this in."},
    )
    field_order = ["subject", "key", "name", "name_cy", "description", "description_cy"]

    def __init__(self, *args: Any, parts: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One choice of plan and part ("pacs-bcdr system:pacs"), named as the service names its subject.
        self.fields["subject"] = forms.ChoiceField(
            label="System or function", choices=[("", "Choose ..."), *parts], error_messages={"required": "Choose one."}
        )
        self.order_fields(self.field_order)

    def plan_and_subject(self) -> tuple[str, str]:
        plan, _, subject = self.cleaned_data["subject"].partition(" ")
        return plan, subject


class ServiceEditForm(ServiceTextForm):
    position = forms.IntegerField(label="Position in the list", min_value=0, max_value=10_000)


class StateForm(forms.Form):
    state = forms.ChoiceField(label="State", choices=ServiceState.choices)
    note = _line("Note for staff", required=False, limit=200)


def _services_field(services: list[PublishedService]) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label="Services",
        choices=[(s.key, s.name) for s in services],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose services of this page."},
    )


class UpdateForm(forms.Form):
    audience = forms.ChoiceField(
        label="For",
        choices=Audience.choices,
        widget=forms.RadioSelect,
        initial="public",
        error_messages={"required": "Choose who it is for.", "invalid_choice": "Choose the public or staff only."},
    )
    state = forms.ChoiceField(
        label="Announce a state",
        required=False,
        choices=[("", "No change"), *ServiceState.choices],
        help_text="For the services chosen: while the incident runs, or until changed when there is no incident.",
    )
    text = _prose("Update", required=True)
    text_cy = _prose("Update in Welsh", help_text="Optional: readers of the Welsh page see the English without it.")

    def __init__(self, *args: Any, services: list[PublishedService], incidents: list[Incident], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"] = _services_field(services)
        self.fields["incident"] = forms.TypedChoiceField(
            label="Incident",
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", "None"), *((i.number, f"#{i.number} {i.title}") for i in incidents)],
            error_messages={"invalid_choice": "Choose one of the open incidents."},
        )
        self.order_fields(["audience", "services", "state", "incident", "text", "text_cy"])


class MaintenanceForm(forms.Form):
    title = _line("Title")
    title_cy = _line("Title in Welsh", required=False)
    starts_at = forms.DateTimeField(label="Starts")
    ends_at = forms.DateTimeField(label="Ends")
    description = _prose("What happens")
    description_cy = _prose("What happens, in Welsh")

    def __init__(self, *args: Any, zone: ZoneInfo, services: list[PublishedService], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_at"] = WallClockField(zone=zone, label="Starts", error_messages=_when("start"))
        self.fields["ends_at"] = WallClockField(zone=zone, label="Ends", error_messages=_when("end"))
        self.fields["services"] = _services_field(services)
        self.order_fields(["title", "title_cy", "starts_at", "ends_at", "services", "description", "description_cy"])


def _when(what: str) -> dict[str, str]:
    return {
        "required": f"Give the {what}.",
        "invalid": "Enter a date and time, such as 2027-10-29 16:40 (day, month, year, time).",
    }


class NoticeForm(forms.Form):
    kind = forms.ChoiceField(
        label="Say",
        choices=[("outage", "Outage"), ("maintenance", "Maintenance")],
        widget=forms.RadioSelect,
        initial="outage",
        error_messages={"required": "Choose outage or maintenance.", "invalid_choice": "Choose outage or maintenance."},
    )
