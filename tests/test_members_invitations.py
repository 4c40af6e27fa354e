"""Administrators invite by e-mail (a signed link, sent through the outbox, to choose a username and password);
members are shown with their e-mail, roles, last sign-in and the person in the plans they are, linked when an
administrator confirms the match by e-mail."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contingency.core.membership import roles_of
from contingency.core.models import AuditEntry, Invitation, Organisation, PersonLink
from contingency.notify import delivery
from contingency.notify.models import CaughtMessage, Notification

from .web import HOME_ORG, PASSWORD, make_user

MEMBERS = reverse("members", kwargs={"org": HOME_ORG})
INVITE = {"action": "invite", "invite-email": "sam.okafor@example.org", "invite-name": "Sam Okafor"}
LINK = re.compile(r"(http://\S+/invite/[^/\s]+/)")


def test_an_invitation_is_emailed_and_its_link_makes_a_member(catcher: None, member: Callable[..., Client]) -> None:
    admin = member("administrator")
    assert admin.post(MEMBERS, {**INVITE, "invite-roles": ["responder", "viewer"]}).status_code == 302
    invitation = Invitation.objects.get(email="sam.okafor@example.org")
    message = Notification.objects.get(key=f"invite:{invitation.pk}")
    assert (message.kind, message.state, message.organisation_id) == (
        "invitation",
        "pending",
        invitation.organisation_id,
    )
    assert "Invited, not yet joined" in admin.get(MEMBERS).content.decode()
    delivery.run_until_idle(worker="test")
    caught = CaughtMessage.objects.get(key=message.key)
    found = LINK.search(caught.body)
    assert found is not None
    path = "/" + found.group(1).split("://", 1)[1].split("/", 1)[1]

    invitee = Client()
    page = invitee.get(path)
    assert page.status_code == 200 and 'value="sam.okafor"' in page.content.decode()
    differ = invitee.post(path, {"username": "sam", "password": PASSWORD, "again": PASSWORD + "x"})
    assert differ.status_code == 400 and "The two passwords differ" in differ.content.decode()
    weak = invitee.post(path, {"username": "sam", "password": "password", "again": "password"})
    assert weak.status_code == 400 and "This password is too common." in weak.content.decode()
    assert not User.objects.filter(username="sam").exists()
    done = invitee.post(path, {"username": "sam", "password": PASSWORD, "again": PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("login")
    sam = User.objects.get(username="sam")
    organisation = Organisation.objects.get(slug=HOME_ORG)
    assert (sam.email, sam.get_full_name(), roles_of(sam, organisation)) == (
        "sam.okafor@example.org",
        "Sam Okafor",
        ["responder", "viewer"],
    )
    assert sam.check_password(PASSWORD) and sam.is_active
    # Once only.
    again = Client().get(path)
    assert again.status_code == 410 and "has been used" in again.content.decode()
    kinds = set(AuditEntry.objects.filter(organisation=organisation).values_list("object_type", "object_key"))
    assert {("invitation", "sam.okafor@example.org"), ("membership", "sam")} <= kinds


def test_without_an_email_channel_the_administrator_is_given_the_link(
    member: Callable[..., Client], monkeypatch: object
) -> None:
    from contingency.notify.channels import registry

    registry.reset()
    admin = member("administrator")
    answer = admin.post(MEMBERS, {**INVITE, "invite-roles": ["viewer"]}, follow=True)
    text = answer.content.decode()
    assert "No e-mail channel is configured, so nothing was sent" in text and "/invite/" in text
    message = Notification.objects.get(kind="invitation")
    assert (message.state, message.permanent) == ("failed", True)


def test_an_old_or_forged_link_is_refused(member: Callable[..., Client]) -> None:
    member("administrator").post(MEMBERS, {**INVITE, "invite-roles": ["viewer"]})
    link = Notification.objects.get(kind="invitation").link
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert Client().get(path[:-3] + "xx/").status_code == 410
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        old = Client().get(path)
    assert old.status_code == 410 and "more than 7 days old" in old.content.decode()


def test_bad_invitations_are_refused_beside_the_field(member: Callable[..., Client]) -> None:
    admin = member("administrator")
    bad = admin.post(MEMBERS, {**INVITE, "invite-email": "not an address", "invite-roles": ["viewer"]})
    assert bad.status_code == 400 and "Enter an email address" in bad.content.decode()
    make_user("dana", HOME_ORG, "viewer")  # type: ignore[arg-type]
    User.objects.filter(username="dana").update(email="dana@example.org")
    taken = admin.post(MEMBERS, {**INVITE, "invite-email": "dana@example.org", "invite-roles": ["viewer"]})
    assert taken.status_code == 400 and "already a member" in taken.content.decode()
    assert not Invitation.objects.exists()
    assert member("editor").post(MEMBERS, {**INVITE, "invite-roles": ["viewer"]}).status_code == 403


def test_members_show_email_last_sign_in_and_the_person_they_are(member: Callable[..., Client]) -> None:
    admin = member("administrator")
    helen = make_user("hmarsh", HOME_ORG, "responder")  # type: ignore[arg-type]
    User.objects.filter(pk=helen.pk).update(email="Helen.Marsh@northwick.example.org", last_login=timezone.now())
    page = admin.get(MEMBERS).content.decode()
    assert "Helen.Marsh@northwick.example.org" in page
    assert "Confirm hmarsh is Helen Marsh" in page  # matched by e-mail, not yet linked
    assert "never" in page  # the administrator's own client has signed in; others have not
    assert admin.post(MEMBERS, {"action": "link", "username": "hmarsh", "person": "helen-marsh"}).status_code == 302
    link = PersonLink.objects.get(user=helen)
    assert (link.person_key, link.person_name) == ("helen-marsh", "Helen Marsh")
    page = admin.get(MEMBERS).content.decode()
    assert "Unlink hmarsh" in page and "Confirm hmarsh" not in page
    # A person is one member: linking someone else to Helen is refused.
    other = make_user("other", HOME_ORG, "viewer")  # type: ignore[arg-type]
    refused = admin.post(MEMBERS, {"action": "link", "username": "other", "person": "helen-marsh"}, follow=True)
    assert "already linked" in refused.content.decode()
    assert not PersonLink.objects.filter(user=other).exists()
    assert admin.post(MEMBERS, {"action": "unlink", "username": "hmarsh"}).status_code == 302
    assert not PersonLink.objects.exists()
    notes = list(AuditEntry.objects.filter(object_key="hmarsh").values_list("note", flat=True))
    assert (
        "linked to the plans' person Helen Marsh" in notes
        and "no longer linked to the plans' person Helen Marsh" in notes
    )
