"""`contingency notify check|test`: what an operator runs after setting the channel variables."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from contingency.cli import main
from contingency.notify.channels import registry

from .support.live_channels import LiveChannels


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_lists_the_channels_and_the_plan_channels(channels: LiveChannels) -> None:
    code, out, _ = run("notify", "check")
    assert code == 0
    lines = out.splitlines()
    assert "plan channel sms: notify-sms" in lines
    assert "plan channel email: smtp" in lines
    assert any(line.startswith("webhook:radiology-teams: ") for line in lines)
    assert channels.notify.api_key.split("-")[-1] not in out  # never the secret


def test_check_without_channels_says_telephone_only(monkeypatch: pytest.MonkeyPatch) -> None:
    channel_variables = ("CONTINGENCY_SMTP_", "CONTINGENCY_NOTIFY_", "CONTINGENCY_WEBHOOK_", "CONTINGENCY_EMAIL_VIA")
    for name in [n for n in os.environ if n.startswith(channel_variables)]:
        monkeypatch.delenv(name)
    registry.reset()
    code, out, _ = run("notify", "check")
    assert code == 0
    assert "No channel is configured" in out
    assert "plan channel sms: not configured (telephone instead)" in out


def test_bad_configuration_names_the_variable_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTINGENCY_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("CONTINGENCY_SMTP_PORT", "seventy")
    code, _, err = run("notify", "check")
    assert code == 2
    assert "CONTINGENCY_SMTP_PORT" in err
    registry.reset()


def test_test_message_reaches_the_sms_api_and_the_smtp_server(channels: LiveChannels) -> None:
    code, out, _ = run("notify", "test", "--channel", "sms", "--to", "07700 900123")
    assert code == 0 and out.startswith("sent through notify-sms (provider id ")
    [sms] = channels.notify.notifications
    assert sms.to == "07700 900123" and sms.personalisation["subject"] == "Contingency test message"
    code, out, _ = run("notify", "test", "--channel", "email", "--to", "duty.manager@northwick.example.org")
    assert code == 0 and out.startswith("sent through smtp (provider id <test-")
    assert channels.smtp.wait_for(1)[0].rcpt_tos == ["duty.manager@northwick.example.org"]


def test_test_message_failure_exits_1_and_says_why(channels: LiveChannels) -> None:
    channels.notify.fail_next(1, status=400)
    code, _, err = run("notify", "test", "--channel", "sms", "--to", "07700 900123")
    assert code == 1 and "not sent (permanent failure): GOV.UK Notify refused the message (400)" in err
    code, _, err = run("notify", "test", "--channel", "pager", "--to", "1")
    assert code == 2 and "error: --channel: 'pager' is not configured here" in err
    code, _, err = run("notify", "test", "--channel", "sms")
    assert code == 2 and "error: --to:" in err
