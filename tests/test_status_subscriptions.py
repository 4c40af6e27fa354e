"""E-mail subscriptions: double opt-in end to end through the real outbox and SMTP server, no enumeration, no
mail bombing, Welsh, bad input and bad links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from contingency.core.models import AuditEntry, Organisation
from contingency.notify import delivery
from contingency.notify.models import MessageKind, Notification
from contingency.status import subscriptions, updates
from contingency.status.models import Subscriber, SubscriptionRequest
from contingency.status.publishing import worker

from .support.live_channels import LiveChannels
from .support.status import HOME, northwick

pytestmark = pytest.mark.django_db
SUBSCRIBE = f"/status/{HOME}/subscribe/"
LINK = re.compile(r"http://\S+/status-links/(?:confirm|unsubscribe)/\S+/")


@pytest.fixture
def page(demo_plans: list[object]) -> Organisation:
    northwick()
    return Organisation.objects.get(slug=HOME)


def _body(message: object) -> str:
    email = message.message  # type: ignore[attr-defined]
    return str(email.get_body(preferencelist=("plain",)).get_content())


def _link(text: str) -> str:
    found = LINK.search(text)
    assert found, text
    return found.group(0).removeprefix("http://127.0.0.1:8000")


def _post_update(organisation: Organisation, text: str, audience: str = "public", text_cy: str = "") -> None:
    updates.post_update(
        organisation=organisation, text=text, text_cy=text_cy, audience=audience, actor=None, via="test"
    )


def test_double_opt_in_through_the_outbox_then_updates_then_unsubscribe(
    page: Organisation, channels: LiveChannels
) -> None:
    client = Client()
    response = client.post(SUBSCRIBE, {"email": "Reader@Example.ORG", "lang": "en"})
    assert response.status_code == 200 and "Check your e-mail" in response.content.decode()
    # Not stored: only a keyed digest that says a confirmation went out, and the message in the outbox.
    assert not Subscriber.objects.exists()
    assert "reader" not in SubscriptionRequest.objects.get().digest.lower()
    assert Notification.objects.get(kind=MessageKind.STATUS_CONFIRMATION).incident is None

    delivery.run_until_idle()
    [mail] = channels.smtp.wait_for(1)
    assert mail.rcpt_tos == ["Reader@example.org"]
    assert str(mail.message["Subject"]).strip() == f"Confirm your subscription to {page.name} service status"
    confirm = _link(_body(mail))
    worker.housekeeping(timezone.now())  # the sent confirmation keeps neither address nor link
    sent = Notification.objects.get(kind=MessageKind.STATUS_CONFIRMATION)
    assert sent.address == "" and "status-links" not in sent.body

    shown = client.get(confirm)  # a mail scanner following the link changes nothing
    assert shown.status_code == 200 and "Confirm your subscription" in shown.content.decode()
    assert not Subscriber.objects.exists()
    assert client.post(confirm).status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "Reader@example.org"
    entry = AuditEntry.objects.get(object_type="status-subscriber")
    assert entry.object_label == "R***@example.org" and entry.actor_name == "subscription link"
    assert client.post(confirm).status_code == 200 and Subscriber.objects.count() == 1  # twice changes nothing

    _post_update(page, "STAFF: only for us.", audience="staff")
    _post_update(page, "PACS is back; images sent during the outage are being loaded.")
    delivery.run_until_idle()
    mails = channels.smtp.wait_for(2)
    assert len(mails) == 2
    text = _body(mails[1])
    assert "PACS is back" in text and "STAFF" not in text
    assert str(mails[1].message["Subject"]).strip() == f"{page.name} service status: Updates"

    unsubscribe = _link(text)
    assert client.get(unsubscribe).status_code == 200 and Subscriber.objects.exists()
    assert client.post(unsubscribe).status_code == 200
    assert not Subscriber.objects.exists()
    assert client.post(unsubscribe).status_code == 200  # already gone: the same page
    _post_update(page, "Another update.")
    assert delivery.run_until_idle() == (0, 0)


def test_the_same_answer_whatever_the_address_and_one_confirmation_a_day(
    page: Organisation, channels: LiveChannels
) -> None:
    client = Client()
    answers = {client.post(SUBSCRIBE, {"email": "a@example.org"}).content for _ in range(3)}
    Subscriber.objects.create(organisation=page, email="known@example.org", token="t", confirmed_at=timezone.now())
    answers.add(client.post(SUBSCRIBE, {"email": "known@example.org"}).content)
    assert len(answers) == 1
    confirmations = Notification.objects.filter(kind=MessageKind.STATUS_CONFIRMATION)
    assert confirmations.count() == 2  # one for each address, however often asked
    with time_machine.travel(timezone.now() + subscriptions.PERIOD + timedelta(minutes=1)):
        client.post(SUBSCRIBE, {"email": "a@example.org"}, REMOTE_ADDR="192.0.2.7")
    assert confirmations.count() == 3


def test_one_client_asking_too_often_is_refused(page: Organisation, channels: LiveChannels) -> None:
    client = Client()
    for n in range(subscriptions.CLIENT_LIMIT):
        assert client.post(SUBSCRIBE, {"email": f"r{n}@example.org"}).status_code == 200
    refused = client.post(SUBSCRIBE, {"email": "one-more@example.org"})
    assert refused.status_code == 429 and "Too many requests" in refused.content.decode()
    assert Notification.objects.filter(kind=MessageKind.STATUS_CONFIRMATION).count() == subscriptions.CLIENT_LIMIT
    other = Client(REMOTE_ADDR="192.0.2.55")
    assert other.post(SUBSCRIBE, {"email": "one-more@example.org"}).status_code == 200


def test_in_welsh(page: Organisation, channels: LiveChannels) -> None:
    client = Client()
    answer = client.post(SUBSCRIBE, {"email": "darllenydd@example.org", "lang": "cy"}).content.decode()
    assert '<html lang="cy">' in answer and "Gwiriwch eich e-bost" in answer
    delivery.run_until_idle()
    [mail] = channels.smtp.wait_for(1)
    assert mail.message["Subject"] == "Cadarnhewch eich tanysgrifiad i Statws gwasanaethau Northwick"
    confirm = _link(_body(mail))
    assert "Cadarnhau eich tanysgrifiad" in client.get(confirm).content.decode()
    client.post(confirm)
    assert Subscriber.objects.get().language == "cy"
    _post_update(page, "Back to normal.", text_cy="Yn ôl i'r arfer.")
    delivery.run_until_idle()
    mails = channels.smtp.wait_for(2)
    assert "Yn ôl i'r arfer." in _body(mails[1]) and "Back to normal" not in _body(mails[1])
    assert "I atal yr e-byst hyn" in _body(mails[1])


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("", "Enter your e-mail address"),
        ("   ", "Enter your e-mail address"),
        ("not-an-address", "Enter an e-mail address like name@example.org"),
        ("a@b", "Enter an e-mail address like name@example.org"),
        ("x" * 400 + "@example.org", "Enter an e-mail address like name@example.org"),
        ("a@example.org\r\nBcc: victim@example.org", "Enter an e-mail address like name@example.org"),
    ],
)
def test_bad_addresses_are_refused_beside_the_field_and_nothing_is_written(
    page: Organisation, channels: LiveChannels, email: str, error: str
) -> None:
    response = Client().post(SUBSCRIBE, {"email": email})
    body = response.content.decode()
    assert response.status_code == 400
    assert f'<a href="#subscribe-email">{error}</a>' in body
    assert 'aria-invalid="true"' in body
    assert not SubscriptionRequest.objects.exists() and not Notification.objects.exists()


def test_bad_and_old_links(page: Organisation, channels: LiveChannels) -> None:
    client = Client()
    client.post(SUBSCRIBE, {"email": "late@example.org"})
    delivery.run_until_idle()
    confirm = _link(_body(channels.smtp.wait_for(1)[0]))
    altered = confirm[:-3] + ("A" if confirm[-3] != "A" else "B") + confirm[-2:]
    assert client.get(altered).status_code == 404
    assert client.post(altered).status_code == 404
    with time_machine.travel(timezone.now() + subscriptions.PERIOD + timedelta(minutes=1)):
        expired = client.post(confirm)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert not Subscriber.objects.exists()
    assert client.post("/status-links/unsubscribe/nonsense/").status_code == 404
    assert client.get("/status-links/confirm/nonsense/").status_code == 404


def test_no_subscriptions_without_e_mail(page: Organisation) -> None:
    response = Client().post(SUBSCRIBE, {"email": "reader@example.org"})
    assert response.status_code == 409 and "not available" in response.content.decode()
    assert not SubscriptionRequest.objects.exists()
