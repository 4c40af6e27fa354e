"""Forms of the members, audit and account pages (checks of shape only; services check the rest)."""

from __future__ import annotations

from django import forms

from contingency.core.models import Role, TokenScope

ROLE_CHOICES = [(role.value, str(role.label)) for role in Role]


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self) -> None:
        super().__init__(
            choices=ROLE_CHOICES,
            error_messages={"required": "Choose at least one role.", "invalid_choice": "Unknown role: %(value)s."},
        )


class AddExistingForm(forms.Form):
    username = forms.CharField(max_length=150, error_messages={"required": "Enter the username of an existing user."})
    roles = RolesField()


class CreateUserForm(forms.Form):
    username = forms.CharField(max_length=150, error_messages={"required": "Enter a username for the new user."})
    email = forms.CharField(max_length=254, error_messages={"required": "Enter an email address."})
    password = forms.CharField(
        widget=forms.PasswordInput, strip=False, error_messages={"required": "Enter a first password."}
    )
    roles = RolesField()


class InviteForm(forms.Form):
    email = forms.CharField(
        label="E-mail address", max_length=254, error_messages={"required": "Enter their e-mail address."}
    )
    name = forms.CharField(label="Name (optional)", max_length=150, required=False)
    roles = RolesField()


class AcceptForm(forms.Form):
    username = forms.CharField(max_length=150, error_messages={"required": "Choose a username."})
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text="At least 12 characters, not a common password, not all numbers and not like the username.",
        error_messages={"required": "Choose a password."},
    )
    again = forms.CharField(
        label="The same password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        error_messages={"required": "Type the password again."},
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("again") and data["password"] != data["again"]:
            self.add_error("again", "The two passwords differ.")
        return data


class RolesForm(forms.Form):
    roles = RolesField()


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        error_messages={
            "required": "Enter a name for the token, such as what will use it.",
            "max_length": "Keep the name to 100 characters or fewer.",
        },
    )
    scope = forms.ChoiceField(
        label="What it is for",
        choices=TokenScope.choices,
        initial=TokenScope.API,
        widget=forms.RadioSelect,
        required=False,  # an API token unless said otherwise
        error_messages={"invalid_choice": "Choose what the token is for."},
    )
    days = forms.IntegerField(
        label="A laptop copy's token works for (days)",
        min_value=1,
        max_value=366,
        initial=90,
        required=False,
        error_messages={
            "min_value": "At least 1 day.",
            "max_value": "At most 366 days: make a new token each year.",
            "invalid": "Enter a number of days.",
        },
    )

    def clean_scope(self) -> str:
        return str(self.cleaned_data.get("scope") or TokenScope.API)


class AuditFilterForm(forms.Form):
    object_type = forms.ChoiceField(required=False, label="Object type")
    actor = forms.ChoiceField(required=False, label="Who")
    since = forms.DateField(required=False, label="From (date)", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To (date)", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data: object, *, object_types: list[str], actors: list[str]) -> None:
        super().__init__(data)  # type: ignore[arg-type]
        self.fields["object_type"].choices = [("", "Any"), *((t, t) for t in object_types)]  # type: ignore[attr-defined]
        self.fields["actor"].choices = [("", "Anyone"), *((a, a) for a in actors)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date must be on or after the start date.")
        return data
