"""`contingency notify ...`: check the notification channels this machine is configured with, and send a test.

Channels come from environment variables (docs/operator-guide.md lists them). A problem prints
`error: <variable>: <what is wrong>` (never a secret) and exits 2.
"""

from __future__ import annotations

import sys
import uuid

import click

from .common import EXIT_INVALID, _django, _error


@click.group()
def notify() -> None:
    """Notification channels: check the configuration, send a test message."""


def _channels() -> object:
    _django()
    from ..notify.channels.registry import ChannelConfigError, reset
    from ..notify.channels.registry import from_settings as load

    reset()
    try:
        return load()
    except ChannelConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s) in the channel configuration.", err=True)
        sys.exit(EXIT_INVALID)


@notify.command()
def check() -> None:
    """List the configured channels and what each plan channel (sms, email) is sent through."""
    from ..notify.channels.registry import Channels

    channels = _channels()
    assert isinstance(channels, Channels)
    described = channels.describe()
    if not described:
        click.echo("No channel is configured: call trees reach people by telephone tasks only.")
    for name, where in described:
        click.echo(f"{name}: {where}")
    for plan_channel in ("sms", "email"):
        transport = channels.for_plan_channel(plan_channel)
        click.echo(
            f"plan channel {plan_channel}: {transport.name if transport else 'not configured (telephone instead)'}"
        )


@notify.command()
@click.option(
    "--channel", "name", required=True, help="sms, email, or a transport name such as webhook:radiology-teams."
)
@click.option("--to", "address", default="", help="The phone number or e-mail address (not for webhooks).")
def test(name: str, address: str) -> None:
    """Send one test message now, outside any incident, and say what the provider answered."""
    from ..notify.channels.base import Outgoing, TransportError
    from ..notify.channels.registry import Channels

    channels = _channels()
    assert isinstance(channels, Channels)
    transport = channels.for_plan_channel(name) or channels.by_name(name)
    if transport is None:
        _error("--channel", f"{name!r} is not configured here (see `contingency notify check`)")
    if not address and not name.startswith("webhook:"):
        _error("--to", "give the phone number or e-mail address to send the test to")
    message = Outgoing(
        key=f"test:{uuid.uuid4()}",
        address=address or name.removeprefix("webhook:"),
        recipient="Contingency test",
        subject="Contingency test message",
        body="This is a test of Contingency's notifications. No action is needed.",
        short="Contingency test message: no action is needed.",
    )
    try:
        receipt = transport.send(message)
    except TransportError as exc:
        kind = "permanent" if exc.permanent else "temporary"
        click.echo(f"not sent ({kind} failure): {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"sent through {transport.name}" + (f" (provider id {receipt.provider_ref})" if receipt.provider_ref else "")
    )
