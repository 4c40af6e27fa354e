"""Adding members, changing their roles and removing them, each audited in its own transaction.

An organisation always keeps at least one administrator, so nobody can lock everyone out of
its members page; the check reads the administrators under a row lock so two administrators
removing each other at once cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from . import audit
from .errors import Kind, Refused
from .models import Membership, Organisation, Role

Actor = AbstractBaseUser | AnonymousUser | None
OBJECT_TYPE = audit.MEMBERSHIP


class MembershipRefused(Refused):
    """A change that was not made, with messages by form field ("" for the form as a whole).

    Problems with fields are bad input; a refusal of the form as a whole (not a member, the last
    administrator) is about the organisation's state.
    """

    code = "membership.refused"

    def __init__(self, errors: dict[str, list[str]]):
        fields = [field for field in errors if field]
        kind = Kind.INVALID if fields else Kind.CONFLICT
        message = "; ".join(message for messages in errors.values() for message in messages)
        super().__init__(message, fields[0] if len(errors) == 1 and fields else None, kind=kind)
        self.errors = errors

    def problems(self) -> list[tuple[str | None, str]]:
        return [(field or None, message) for field, messages in self.errors.items() for message in messages]


def clean_roles(roles: Iterable[str]) -> list[str]:
    """The roles sorted and without repeats; refused when empty or unknown."""
    chosen = sorted(set(roles))
    unknown = [role for role in chosen if role not in Role.values]
    if unknown:
        raise MembershipRefused({"roles": [f"Unknown role: {', '.join(unknown)}."]})
    if not chosen:
        raise MembershipRefused({"roles": ["Choose at least one role."]})
    return chosen


def roles_of(user: User, organisation: Organisation) -> list[str]:
    return sorted(Membership.objects.filter(user=user, organisation=organisation).values_list("role", flat=True))


def add_member(
    organisation: Organisation,
    *,
    username: str,
    roles: Iterable[str],
    actor: Actor,
    email: str | None = None,
    password: str | None = None,
) -> User:
    """Give an existing user (no email or password) or a new user (both given) roles in `organisation`."""
    chosen = clean_roles(roles)
    username = username.strip()
    creating = email is not None or password is not None
    with transaction.atomic():
        if creating:
            user = _new_user(username, email or "", password or "")
        else:
            found = User.objects.filter(username=username).first()
            if found is None:
                raise MembershipRefused({"username": [f"There is no user called {username!r}."]})
            user = found
            if Membership.objects.filter(user=user, organisation=organisation).exists():
                raise MembershipRefused(
                    {
                        "username": [
                            f"{username} is already a member of {organisation.name}: change their roles instead."
                        ]
                    }
                )
        Membership.objects.bulk_create(Membership(user=user, organisation=organisation, role=r) for r in chosen)
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.CREATE,
            object_type=OBJECT_TYPE,
            object_key=user.username,
            label=user.get_full_name() or user.username,
            after=chosen,
            note="new user" if creating else "",
        )
    return user


def _new_user(username: str, email: str, password: str) -> User:
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["Enter a username."]
    elif User.objects.filter(username=username).exists():
        errors["username"] = [f"The username {username!r} is taken: add the existing user instead."]
    else:
        try:
            User.username_validator(username)
        except ValidationError as error:
            errors["username"] = list(error.messages)
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter an email address, like name@example.org."]
    candidate = User(username=username, email=email)
    try:
        validate_password(password, candidate)
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if errors:
        raise MembershipRefused(errors)
    return User.objects.create_user(username, email, password)


def set_roles(user: User, organisation: Organisation, roles: Iterable[str], *, actor: Actor) -> list[str]:
    """Replace the member's roles; returns the new roles (unchanged roles write no audit entry)."""
    chosen = clean_roles(roles)
    with transaction.atomic():
        before = _locked_roles(user, organisation)
        if not before:
            raise MembershipRefused({"": [f"{user.username} is not a member of {organisation.name}."]})
        if chosen == before:
            return chosen
        if Role.ADMINISTRATOR in before and Role.ADMINISTRATOR not in chosen:
            _keep_an_administrator(user, organisation, "take the administrator role from")
        Membership.objects.filter(user=user, organisation=organisation).exclude(role__in=chosen).delete()
        Membership.objects.bulk_create(
            Membership(user=user, organisation=organisation, role=role) for role in chosen if role not in before
        )
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type=OBJECT_TYPE,
            object_key=user.username,
            label=user.get_full_name() or user.username,
            before=before,
            after=chosen,
        )
    return chosen


def remove_member(user: User, organisation: Organisation, *, actor: Actor) -> None:
    """Take all the user's roles in `organisation` away; the user account itself stays."""
    with transaction.atomic():
        before = _locked_roles(user, organisation)
        if not before:
            raise MembershipRefused({"": [f"{user.username} is not a member of {organisation.name}."]})
        if Role.ADMINISTRATOR in before:
            _keep_an_administrator(user, organisation, "remove")
        Membership.objects.filter(user=user, organisation=organisation).delete()
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.DELETE,
            object_type=OBJECT_TYPE,
            object_key=user.username,
            label=user.get_full_name() or user.username,
            before=before,
        )


def _locked_roles(user: User, organisation: Organisation) -> list[str]:
    rows = Membership.objects.select_for_update().filter(user=user, organisation=organisation)
    return sorted(row.role for row in rows)


def _keep_an_administrator(user: User, organisation: Organisation, doing: str) -> None:
    administrators = Membership.objects.select_for_update().filter(
        organisation=organisation, role=Role.ADMINISTRATOR, user__is_active=True
    )
    if not any(row.user_id != user.pk for row in administrators):
        raise MembershipRefused(
            {
                "": [
                    f"You cannot {doing} {user.username}: they are the last administrator of "
                    f"{organisation.name}. Make someone else an administrator first."
                ]
            }
        )
