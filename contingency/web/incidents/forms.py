"""Forms of the incident pages: shape only (required, lengths, dates); the services check the rest.

Times are typed on the organisation's wall clock (datetime-local) and turned into aware
datetimes in its zone here, so a clock change or a server in another zone cannot shift them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from contingency.incidents.assess import CheckItem
from contingency.incidents.models import Audience

TEXT_LIMIT = 2000
YES_NO = [("yes", "Yes"), ("no", "No")]


class WallClockField(forms.DateTimeField):
    """A datetime-local input read on the organisation's wall clock."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def __init__(self, *, zone: ZoneInfo, **kwargs: Any) -> None:
        self.zone = zone
        kwargs.setdefault(
            "error_messages", {"invalid": "Enter a date and time, such as 2027-10-29 16:40 (day, month, year, time)."}
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        found = super().to_python(value)
        if found is None:
            return None
        return found.replace(tzinfo=None).replace(tzinfo=self.zone)


def _text(label: str, *, required: bool = False, rows: int = 3, limit: int = TEXT_LIMIT, **kw: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        widget=forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput(),
        error_messages={"max_length": f"Keep this to {limit:,} characters or fewer."},
        **kw,
    )


class CheckAnswers(forms.Form):
    """A form with one yes/no question (check_<n>) per confirm check."""

    checks: list[CheckItem]

    def add_checks(self, checks: Sequence[CheckItem], answers: dict[str, Any] | None = None) -> None:
        self.checks = list(checks)
        for i, check in enumerate(self.checks):
            answer = (answers or {}).get(check.key)
            self.fields[f"check_{i}"] = forms.ChoiceField(
                label=check.check,
                choices=YES_NO,
                required=False,
                widget=forms.RadioSelect,
                initial=None if answer is None else ("yes" if answer else "no"),
            )

    def answers(self) -> dict[str, bool]:
        found: dict[str, bool] = {}
        for i, check in enumerate(self.checks):
            value = self.cleaned_data.get(f"check_{i}")
            if value in ("yes", "no"):
                found[check.key] = value == "yes"
        return found

    def check_fields(self) -> list[tuple[CheckItem, forms.BoundField]]:
        return [(check, self[f"check_{i}"]) for i, check in enumerate(self.checks)]


class ReportForm(CheckAnswers):
    """Step 2 of reporting: what failed (already chosen), when, where, and the checks."""

    plan = forms.CharField(widget=forms.HiddenInput)
    subject = forms.ChoiceField(
        label="What has failed", widget=forms.HiddenInput, error_messages={"required": "Choose the part that failed."}
    )
    area = _text("Area or site (for a failure confined to one place)", rows=0, limit=200)
    description = _text("What are you seeing?")

    def __init__(
        self,
        data: Any = None,
        *,
        zone: ZoneInfo,
        subjects: Sequence[tuple[str, Any]],
        checks: Sequence[CheckItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.fields["subject"].choices = list(subjects)  # type: ignore[attr-defined]
        self.fields["subject"].error_messages["invalid_choice"] = "Choose a function or system of this plan."
        self.fields["began_at"] = WallClockField(
            zone=zone, label="When was the service lost? (leave empty for now)", required=False
        )
        self.add_checks(checks)


class ChecksForm(CheckAnswers):
    """The checks again, for a report still being checked (assess_again)."""

    def __init__(self, data: Any = None, *, checks: Sequence[CheckItem], initial_answers: dict[str, Any]) -> None:
        super().__init__(data)
        self.add_checks(checks, initial_answers)


class HandoverForm(forms.Form):
    to_user = forms.TypedChoiceField(label="Hand over to a member", required=False, coerce=int, empty_value=None)
    to_name = forms.CharField(label="or to a person without an account (name)", required=False, max_length=200)
    note = _text("Note for the incoming lead")

    def __init__(self, data: Any = None, *, members: Sequence[tuple[int, str]]) -> None:
        super().__init__(data)
        self.fields["to_user"].choices = [("", "Choose a member"), *members]  # type: ignore[attr-defined]
        self.fields["to_user"].error_messages["invalid_choice"] = "Choose a member of this organisation."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("to_user") and not (data.get("to_name") or "").strip() and not self.errors:
            self.add_error("to_user", "Say who takes over: choose a member or write a name.")
        return data


class BriefingForm(forms.Form):
    text = _text("Briefing for the board", required=True, rows=18, limit=20000)
    text.error_messages["required"] = "Write the briefing before publishing it."


class ReviewForm(forms.Form):
    why_1 = _text("Why did it happen?", rows=0, limit=2000)
    why_2 = _text("Why? (2)", rows=0, limit=2000)
    why_3 = _text("Why? (3)", rows=0, limit=2000)
    why_4 = _text("Why? (4)", rows=0, limit=2000)
    why_5 = _text("Why? (5)", rows=0, limit=2000)
    root_cause = _text("Root cause", limit=20000)
    went_well = _text("What went well", limit=20000, rows=5)
    went_badly = _text("What went badly", limit=20000, rows=5)
    lessons = _text("Lessons learned", limit=20000, rows=5)
    complete = forms.BooleanField(label="Mark the review complete", required=False)

    def whys(self) -> list[str]:
        return [self.cleaned_data.get(f"why_{i}", "") for i in range(1, 6)]

    def why_fields(self) -> list[forms.BoundField]:
        return [self[f"why_{i}"] for i in range(1, 6)]


class ActionForm(forms.Form):
    text = _text("Action", required=True, rows=2)
    text.error_messages["required"] = "Say what is to be done."
    owner = forms.CharField(label="Owner", max_length=200, error_messages={"required": "Every action has an owner."})
    due_on = forms.DateField(
        label="Due date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Every action has a due date.", "invalid": "Enter a date such as 2027-11-30."},
    )


AUDIENCES = [(a.value, f"Update for {a.label.lower()}") for a in Audience] + [
    ("decision", "A decision, for the record")
]


class LeadForm(forms.Form):
    """Who becomes the lead (or the deputy): a member, or a person without an account."""

    to_user = forms.TypedChoiceField(label="A member", required=False, coerce=int, empty_value=None)
    to_name = forms.CharField(label="or a person without an account (name)", required=False, max_length=200)
    note = _text("Note for the timeline", rows=2)

    def __init__(self, data: Any = None, *, members: Sequence[tuple[int, str]], prefix: str, label: str) -> None:
        super().__init__(data, prefix=prefix)
        self.fields["to_user"].label = label
        self.fields["to_user"].choices = [("", "Choose a member"), *members]  # type: ignore[attr-defined]
        self.fields["to_user"].error_messages["invalid_choice"] = "Choose a member of this organisation."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("to_user") and not (data.get("to_name") or "").strip() and not self.errors:
            self.add_error("to_user", "Say who: choose a member or write a name.")
        return data


class AskLeadForm(forms.Form):
    note = _text("Why (optional, for the lead and the timeline)", rows=2)


class AnswerLeadForm(forms.Form):
    answer = _text("Reason, if you decline (optional)", rows=2)
    accept = forms.TypedChoiceField(
        choices=[("yes", "Accept"), ("no", "Decline")], coerce=lambda v: v == "yes", widget=forms.HiddenInput
    )
