"""Message templates say plain `{name}` placeholders and nothing else, and every message stays within its channel's limit.

`{recipient:>100000000}` once rendered a 97 MB preview page and reached the outbox. The plan format now
refuses formats, conversions, attributes and indexes in placeholders, located like any other problem;
rendering leaves them as written (for plans stored before), and cuts each message at its limit while
keeping the acknowledgement link.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner
from django.urls import reverse

from contingency.cli import main
from contingency.incidents import services, worker
from contingency.notify import messages
from contingency.notify.messages import BODY_LIMIT, SMS_LIMIT, SUBJECT_LIMIT, Facts, fill, render
from contingency.notify.models import Callout
from contingency.plans.models import MessageTemplate as MessageRow
from contingency.plans.models import Plan
from contingency.plans.problems import PlanInvalid
from contingency.plans.spec.calltree import MessageTemplate
from contingency.plans.validate import validate_data

from .builders import minimal_plan
from .conftest import DEMO_PLANS
from .web import HOME_ORG, PACS, MemberFactory

BOMB = "{recipient:>100000000}"
NOT_PLAIN = "is not a placeholder: write the name alone in braces, e.g. {recipient}; formats, conversions (!r) and attributes are not allowed"
FACTS = Facts(
    incident="PACS failure",
    function="Imaging",
    status="Invoked, high severity",
    next_meeting="TP2 at 06:00",
    incident_link="https://contingency.example.org/i/1",
    trigger="TP1",
    recipient="Helen Marsh",
    plan="PACS plan",
    ack_link="https://contingency.example.org/ack/abc",
    ack_code="K7PX3M9Q",
)


def template(**words: str) -> MessageTemplate:
    return MessageTemplate.model_validate({"id": "m", "subject": "S", "body": "B", **words}, context={"stored": True})


# ---------------------------------------------------------------- the plan format


@pytest.mark.parametrize(
    "placeholder", [BOMB, "{recipient!r}", "{recipient.__class__}", "{recipient[0]}", "{}", "{0}", "{recipient:{x}}"]
)
def test_placeholders_other_than_plain_names_are_refused(placeholder: str) -> None:
    plan = minimal_plan(messages=[{"id": "m", "subject": "S", "body": "B", "sms": f"Hello {placeholder}"}])
    with pytest.raises(PlanInvalid) as caught:
        validate_data(plan)
    (problem,) = caught.value.problems
    assert problem.path == ("messages", 0, "sms")
    assert problem.message == f"{placeholder} {NOT_PLAIN}"


def test_the_command_line_locates_the_refused_placeholder(tmp_path: Path) -> None:
    text = (DEMO_PLANS / "pacs.yaml").read_text(encoding="utf-8")
    line = text[: text.index("  subject: '{incident}: {trigger}'")].count("\n") + 1
    path = tmp_path / "pacs.yaml"
    path.write_text(text.replace("  subject: '{incident}: {trigger}'", f"  subject: '{BOMB}'", 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["plan", "validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.replace(str(tmp_path) + "/", "").splitlines() == [
        f"pacs.yaml:{line}:3: messages[0].subject: {BOMB} {NOT_PLAIN}",
        "1 problem(s); nothing was written.",
    ]


def test_plain_placeholders_and_literal_braces_are_still_fine() -> None:
    plan = minimal_plan(messages=[{"id": "m", "subject": "{incident}", "body": "{{not a placeholder}} {recipient}"}])
    assert validate_data(plan).messages[0].body == "{{not a placeholder}} {recipient}"


# ---------------------------------------------------------------- rendering


def test_fill_leaves_anything_but_a_plain_known_name_as_written() -> None:
    values = {"recipient": "Helen"}
    assert fill(f"{BOMB} {{recipient!r}} {{recipient.__class__}} {{x}} {{{{y}}}} {{recipient}}", values) == (
        f"{BOMB} {{recipient!r}} {{recipient.__class__}} {{x}} {{y}} Helen"
    )
    assert fill("a { b", values) == "a { b"  # a stray brace: the words as written


def test_old_hostile_words_render_literally_and_small() -> None:
    rendered = render(template(subject=BOMB, body=f"Dear {BOMB}", sms=BOMB), FACTS)
    assert rendered.subject == BOMB
    assert rendered.body == f"Dear {BOMB}\n\nPlease acknowledge: {FACTS.ack_link}"
    assert rendered.short == f"{BOMB} Ack: {FACTS.ack_link} or reply {FACTS.ack_code}"


def test_each_channel_is_cut_at_its_limit_keeping_the_acknowledgement() -> None:
    long = "x" * 100_000
    facts = Facts(**{**FACTS.__dict__, "incident": long})
    rendered = render(template(subject="{incident}", body="{incident}", sms="{incident} Ack: {ack_link}"), facts)
    assert len(rendered.subject) == SUBJECT_LIMIT and rendered.subject.endswith("x...")
    assert len(rendered.body) == BODY_LIMIT
    assert rendered.body.endswith(f"x...\n\nPlease acknowledge: {FACTS.ack_link}")
    # The SMS names the link itself; cut off, the link is added back at the end.
    assert len(rendered.short) == SMS_LIMIT
    assert rendered.short.endswith(f"x... Ack: {FACTS.ack_link} or reply {FACTS.ack_code}")
    # Within the limit nothing changes.
    short = render(template(sms="{incident}: reply {ack_code}"), FACTS)
    assert short.short == "PACS failure: reply K7PX3M9Q"
    assert messages.SMS_LIMIT == 918 and messages.BODY_LIMIT == 5_000 and messages.SUBJECT_LIMIT == 200


# ---------------------------------------------------------------- a plan stored before the rule


@pytest.fixture
def stored_bomb(demo_plans: list[object]) -> Plan:
    """The PACS plan's incident-meeting message as an attacker left it, stored before the format refused it."""
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    MessageRow.objects.filter(plan=plan, key="incident-meeting").update(subject=BOMB, body=BOMB, sms=BOMB)
    return plan


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(datetime(2027, 3, 10, 2, 0, tzinfo=ZoneInfo("Europe/London")), tick=False) as traveller:
        yield traveller


def test_the_preview_page_shows_stored_hostile_words_as_written(
    stored_bomb: Plan, member: MemberFactory, clock: Any
) -> None:
    page = member("viewer").get(reverse("plan-messages", kwargs={"org": HOME_ORG, "plan": PACS}))
    assert page.status_code == 200
    assert len(page.content) < 500_000
    assert BOMB in html.unescape(page.content.decode())


def test_the_outbox_gets_stored_hostile_words_as_written(stored_bomb: Plan, clock: Any) -> None:
    answers = {"several-patients": True, "several-pcs": True, "several-modalities": True}
    reported = services.report(plan=stored_bomb, subject="system:pacs", actor=None, answers=answers, via="test")
    incident = services.invoke(incident=reported, actor=None, via="test")
    worker.run_until_idle(worker="test-worker")
    callouts = list(Callout.objects.filter(incident=incident, event="trigger:tp1:0"))
    assert callouts
    for callout in callouts:
        assert callout.subject == BOMB
        assert callout.short.startswith(f"{BOMB} Ack: ") and len(callout.short) <= SMS_LIMIT
