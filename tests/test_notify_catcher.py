"""The demo's catcher: with CONTINGENCY_CATCHER=on, texts and e-mails are kept in the application and an
administrator reads them on the Caught messages page, whose acknowledgement links work; the demo's incident
in progress; `make run PORT=...`; the favicon."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contingency.incidents import services, worker
from contingency.incidents.models import DueAction, Incident
from contingency.notify import delivery
from contingency.notify import demo as live_demo
from contingency.notify.channels.registry import ChannelConfigError, load
from contingency.notify.models import Callout, CaughtMessage, Notification
from contingency.plans.models import Plan

ROOT = Path(__file__).resolve().parent.parent
ORG = "northwick-general"
CAUGHT = reverse("caught-messages", kwargs={"org": ORG})
ACK = re.compile(r'href="(http://[^"]*/ack/[^"]+)"')


def invoke_and_send() -> Incident:
    plan = Plan.objects.get(organisation__slug=ORG, key="pacs-bcdr")
    answers = {"several-patients": True, "several-pcs": True, "several-modalities": True}
    incident = services.report(plan=plan, subject="system:pacs", actor=None, answers=answers, via="test")
    incident = services.invoke(incident=incident, actor=None, via="test")
    worker.run_until_idle(worker="test")
    delivery.run_until_idle(worker="test")
    return incident


def test_the_catcher_is_configured_by_one_variable() -> None:
    channels = load({"CONTINGENCY_CATCHER": "on"})
    names = [getattr(channels.for_plan_channel(c), "name", None) for c in ("sms", "email")]
    assert names == ["catcher-sms", "catcher-email"]
    assert load({}).for_plan_channel("sms") is None
    with pytest.raises(ChannelConfigError, match="CONTINGENCY_CATCHER: 'maybe' should be on or off"):
        load({"CONTINGENCY_CATCHER": "maybe"})
    # A real channel wins over the catcher.
    real = load(
        {
            "CONTINGENCY_CATCHER": "on",
            "CONTINGENCY_SMTP_HOST": "mail.example.org",
            "CONTINGENCY_SMTP_FROM": "a@example.org",
        }
    )
    assert getattr(real.for_plan_channel("email"), "name", None) == "smtp"


def test_caught_messages_are_listed_for_administrators_with_working_acknowledgement_links(
    catcher: None, member: Callable[..., Client], demo_plans: object
) -> None:
    incident = invoke_and_send()
    sent = Notification.objects.filter(incident=incident, transport__startswith="catcher-")
    assert sent.exists() and set(sent.values_list("state", flat=True)) == {"sent"}
    assert set(CaughtMessage.objects.values_list("key", flat=True)) == set(sent.values_list("key", flat=True))

    admin = member("administrator")
    page = admin.get(CAUGHT)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{sent.count()} messages caught" in html
    assert "Caught messages</a>" in html  # in the navigation, for an administrator, while the catcher is on
    links = ACK.findall(html)
    assert links, html
    # The link works: its page names the person, and pressing the button acknowledges.
    path = links[0].split("://", 1)[1].split("/", 1)[1]
    token = path.removeprefix("ack/").split(":", 1)[0]
    callout = Callout.objects.get(incident=incident, ack_token=token)
    anyone = Client()
    assert anyone.get(f"/{path}").status_code == 200
    assert anyone.post(f"/{path}").status_code == 200
    callout.refresh_from_db()
    assert callout.state == "acknowledged"

    assert member("responder").get(CAUGHT).status_code == 403
    other = member("administrator", organisation="clearview-eyecare")
    theirs = other.get(reverse("caught-messages", kwargs={"org": "clearview-eyecare"}))
    assert theirs.status_code == 200 and "0 messages caught" in theirs.content.decode()


def test_the_demo_has_an_incident_in_progress(catcher: None, demo_plans: object) -> None:
    from contingency.core.models import Role

    from .web import HOME_ORG, make_user

    make_user("responder", HOME_ORG, Role.RESPONDER)  # the demo's responder reports it
    now = timezone.now()
    incident = live_demo.load(now)
    assert incident is not None and incident.state == "invoked"
    assert incident.invoked_at is not None and now - incident.invoked_at > timedelta(hours=4)
    fired = set(DueAction.objects.filter(incident=incident, state="fired").values_list("name", flat=True))
    assert {n.split(" - ")[0] for n in fired} >= {"TP1", "TP2"}, fired
    states = set(Callout.objects.filter(incident=incident).values_list("state", flat=True))
    assert {"acknowledged", "waiting"} <= states
    assert CaughtMessage.objects.filter(key__startswith=f"{incident.pk}:").exists()
    # It has a lead: the demo's responder, who reported it and took the lead from the plan's words.
    assert incident.lead is not None and incident.lead.username == "responder"
    assert incident.deputy_name in ("PACS team", "Senior radiographer on shift")
    assert live_demo.load(now) is None  # once


def test_make_run_takes_a_port_and_the_links_follow_it() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "PORT ?= 8000" in makefile
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    # The demo's messages (written by `contingency demo`) and the server's pages both link to the port.
    assert "DEMO_ENV = CONTINGENCY_CATCHER=on CONTINGENCY_BASE_URL=http://127.0.0.1:$(PORT)" in makefile
    assert "$(DEMO_ENV) $(BIN)/contingency demo" in run
    assert "$(DEMO_ENV) $(BIN)/contingency serve --host 127.0.0.1 --port $(PORT)" in run
    assert "make run PORT=" in (ROOT / "README.md").read_text()


def test_the_site_has_a_favicon(member: Callable[..., Client]) -> None:
    answer = Client().get("/favicon.ico")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/svg+xml"
    assert answer.content.startswith(b"<svg") or b"<svg" in answer.content[:200]
    page = member("viewer").get(reverse("dashboard", kwargs={"org": ORG})).content.decode()
    assert 'rel="icon"' in page
