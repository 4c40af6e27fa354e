"""Inviting someone to the organisation: a signed link, e-mailed through the outbox, to choose a username and
password; accepting it makes them a member with the roles the administrator chose.

The administrator never sets or sees a password. The link is signed and time-stamped (INVITE_DAYS) and works
once. The e-mail is an outbox row (kind "invitation") written in the invitation's transaction, so it is sent
by the delivery worker like every other message (and kept by the demo's catcher when that is on).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from contingency.core import audit
from contingency.core.membership import MembershipRefused, add_member, clean_roles
from contingency.core.models import Invitation, Membership, Organisation

from .channels.registry import ChannelConfigError, from_settings
from .models import MessageKind, Notification, NotificationState

Actor = AbstractBaseUser | AnonymousUser | None
SALT = "invitation"
INVITE_DAYS = 7
INVITE_PATH = "/invite/"  # where urls.py mounts the acceptance page


class InvitationInvalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def link(invitation: Invitation) -> str:
    signed = signing.TimestampSigner(salt=SALT).sign(invitation.token)
    return f"{settings.CONTINGENCY_BASE_URL}{INVITE_PATH}{signed}/"


def invite(
    *, organisation: Organisation, email: str, roles: list[str], actor: Actor, name: str = "", via: str = "web"
) -> tuple[Invitation, Notification]:
    """Invite `email` with these roles; the e-mail is queued in the same transaction (failed at once, and
    saying why, when no e-mail channel is configured)."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise MembershipRefused({"email": ["Enter an email address, like name@example.org."]}) from None
    chosen = clean_roles(roles)
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise MembershipRefused({"email": [f"{email} is already a member of {organisation.name}."]})
    now = timezone.now()
    try:
        transport = from_settings().for_plan_channel("email")
    except ChannelConfigError:
        transport = None
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            name=name.strip(),
            roles=chosen,
            token=secrets.token_urlsafe(24),
            invited_by=actor if isinstance(actor, User) else None,
            invited_at=now,
        )
        url = link(invitation)
        inviter = actor.get_username() if isinstance(actor, User) else via
        subject = f"You are invited to {organisation.name} on Contingency"
        body = (
            f"{inviter} has invited you to {organisation.name}'s continuity plans on Contingency "
            f"(roles: {', '.join(chosen)}).\n\nChoose your username and password here (within {INVITE_DAYS} days; "
            f"the link works once):\n{url}\n\nIf you did not expect this, ignore this message."
        )
        message = Notification.objects.create(
            organisation=organisation,
            kind=MessageKind.INVITATION,
            key=f"invite:{invitation.pk}",
            channel="email",
            transport=transport.name if transport else "",
            address=email,
            recipient_name=name.strip() or email,
            subject=subject,
            body=body,
            short=f"{subject}: {url}",
            link=url,
            state=NotificationState.PENDING if transport else NotificationState.FAILED,
            permanent=transport is None,
            last_error="" if transport else "no e-mail channel is configured: give the person the link yourself",
            next_attempt_at=now,
            created_at=now,
        )
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.CREATE,
            object_type="invitation",
            object_key=email,
            label=name.strip() or email,
            after={"email": email, "roles": chosen},
            note="invited by e-mail",
            via=via,
        )
    return invitation, message


def find(signed: str) -> Invitation:
    """The invitation a link names, or InvitationInvalid saying why it cannot be used."""
    try:
        token = signing.TimestampSigner(salt=SALT).unsign(signed, max_age=timedelta(days=INVITE_DAYS))
    except signing.SignatureExpired:
        raise InvitationInvalid(f"This invitation is more than {INVITE_DAYS} days old: ask for a new one.") from None
    except signing.BadSignature:
        raise InvitationInvalid("This link is not a valid invitation: check it was copied whole.") from None
    invitation = Invitation.objects.select_related("organisation").filter(token=token).first()
    if invitation is None:
        raise InvitationInvalid("This invitation was withdrawn: ask for a new one.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation has been used: sign in with the username you chose.")
    return invitation


def accept(*, signed: str, username: str, password: str) -> User:
    """Create the invited user with the password they chose and the roles they were given (once)."""
    with transaction.atomic():
        invitation = find(signed)
        if not Invitation.objects.filter(pk=invitation.pk, accepted_at=None).update(accepted_at=timezone.now()):
            raise InvitationInvalid("This invitation has been used: sign in with the username you chose.")
        user = add_member(
            invitation.organisation,
            username=username,
            roles=invitation.roles,
            actor=invitation.invited_by,
            email=invitation.email,
            password=password,
        )
        if invitation.name:
            first, _, last = invitation.name.partition(" ")
            User.objects.filter(pk=user.pk).update(first_name=first[:150], last_name=last[:150])
        Invitation.objects.filter(pk=invitation.pk).update(user=user)
    return user
