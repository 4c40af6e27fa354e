"""The configured channels, read from the environment, and the one place that maps names to transports.

A channel is configured when its main variable is set: CONTINGENCY_SMTP_HOST, CONTINGENCY_NOTIFY_API_KEY,
or a CONTINGENCY_WEBHOOK_<NAME>. Every problem is collected and reported at once, each naming its variable;
secrets (the SMTP password, the Notify key, webhook URLs) are never repeated in a message.

    SMTP     CONTINGENCY_SMTP_HOST, _PORT, _SECURITY (none | starttls | tls), _USERNAME, _PASSWORD, _FROM,
             _TIMEOUT, _RATE_PER_MINUTE, _CA_FILE
    Notify   CONTINGENCY_NOTIFY_API_KEY, _BASE_URL, _SMS_TEMPLATE_ID, _EMAIL_TEMPLATE_ID, _SMS_SENDER_ID,
             _EMAIL_REPLY_TO_ID, _TIMEOUT, _RATE_PER_MINUTE
    E-mail   CONTINGENCY_EMAIL_VIA = smtp | notify (default: smtp when configured, else Notify's e-mail)
    Webhooks CONTINGENCY_WEBHOOK_<NAME> = teams:<url> | slack:<url> | json:<url>, and optionally
             CONTINGENCY_WEBHOOK_<NAME>_RATE_PER_MINUTE; the webhook's name is <name> in lower case, '_' -> '-'
    Catcher  CONTINGENCY_CATCHER = on: texts and e-mails with no real channel are kept in the application for
             the demo (catcher.py), never sent
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from contingency.plans.spec.types import ID_PATTERN

from .base import Transport
from .catcher import VARIABLE as CATCHER
from .catcher import CatcherEmail, CatcherSms
from .govuk_notify import NotifyConfig, NotifyEmailTransport, NotifySmsTransport
from .smtp import SmtpConfig, SmtpTransport
from .webhooks import WebhookConfig, webhook_transport

SMTP_VARIABLES = {
    "host": "CONTINGENCY_SMTP_HOST",
    "port": "CONTINGENCY_SMTP_PORT",
    "security": "CONTINGENCY_SMTP_SECURITY",
    "username": "CONTINGENCY_SMTP_USERNAME",
    "password": "CONTINGENCY_SMTP_PASSWORD",
    "sender": "CONTINGENCY_SMTP_FROM",
    "timeout": "CONTINGENCY_SMTP_TIMEOUT",
    "rate_per_minute": "CONTINGENCY_SMTP_RATE_PER_MINUTE",
    "ca_file": "CONTINGENCY_SMTP_CA_FILE",
}
NOTIFY_VARIABLES = {
    "api_key": "CONTINGENCY_NOTIFY_API_KEY",
    "base_url": "CONTINGENCY_NOTIFY_BASE_URL",
    "sms_template_id": "CONTINGENCY_NOTIFY_SMS_TEMPLATE_ID",
    "email_template_id": "CONTINGENCY_NOTIFY_EMAIL_TEMPLATE_ID",
    "sms_sender_id": "CONTINGENCY_NOTIFY_SMS_SENDER_ID",
    "email_reply_to_id": "CONTINGENCY_NOTIFY_EMAIL_REPLY_TO_ID",
    "timeout": "CONTINGENCY_NOTIFY_TIMEOUT",
    "rate_per_minute": "CONTINGENCY_NOTIFY_RATE_PER_MINUTE",
}
EMAIL_VIA = "CONTINGENCY_EMAIL_VIA"
WEBHOOK_PREFIX = "CONTINGENCY_WEBHOOK_"
RATE_SUFFIX = "_RATE_PER_MINUTE"
_SECRETS = {"CONTINGENCY_SMTP_PASSWORD", "CONTINGENCY_NOTIFY_API_KEY"}  # and every webhook variable's URL
_FLAVOURS = {"teams": "teams", "slack": "slack", "json": "webhook"}

EmailVia = Literal["smtp", "notify"]
Config = TypeVar("Config", bound=BaseModel)


class ChannelConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Channels:
    """The configured transports by registry name, and which one carries a plan's "email"."""

    transports: Mapping[str, Transport]
    email_via: EmailVia | None = None

    def for_plan_channel(self, channel: str) -> Transport | None:
        """The transport for a call tree's channel; None when it is not configured, and for "phone" (a person rings)."""
        if channel == "sms":
            return self.transports.get("notify-sms") or self.transports.get("catcher-sms")
        if channel == "email" and self.email_via is not None:
            return self.transports.get("smtp" if self.email_via == "smtp" else "notify-email")
        if channel == "email":
            return self.transports.get("catcher-email")
        return None

    def plan_channels(self) -> list[str]:
        """The call-tree channels this installation can send on ("sms", "email"); "phone" always works."""
        return [channel for channel in ("sms", "email") if self.for_plan_channel(channel) is not None]

    def webhook(self, name: str) -> Transport | None:
        """The webhook a call tree `posts` to, by its configured name (`radiology-teams`)."""
        return self.transports.get(f"webhook:{name}")

    def by_name(self, name: str) -> Transport | None:
        """A transport by its registry name (`smtp`, `notify-sms`, `webhook:radiology-teams`)."""
        return self.transports.get(name)

    def names(self) -> list[str]:
        return list(self.transports)

    def describe(self) -> list[tuple[str, str]]:
        """(name, where its messages go) for each transport; never a secret."""
        return [(name, transport.describe()) for name, transport in self.transports.items()]


def load(environ: Mapping[str, str]) -> Channels:
    """The channels the environment configures, or ChannelConfigError listing every problem."""
    problems: list[str] = []
    transports: dict[str, Transport] = {}
    if smtp := _section(environ, SmtpConfig, SMTP_VARIABLES, problems):
        transports["smtp"] = SmtpTransport(smtp)
    if notify := _section(environ, NotifyConfig, NOTIFY_VARIABLES, problems):
        if notify.sms_template_id:
            transports["notify-sms"] = NotifySmsTransport(notify)
        if notify.email_template_id:
            transports["notify-email"] = NotifyEmailTransport(notify)
        if not (notify.sms_template_id or notify.email_template_id):
            problems.append(
                f"{NOTIFY_VARIABLES['api_key']} is set, but neither {NOTIFY_VARIABLES['sms_template_id']} "
                f"nor {NOTIFY_VARIABLES['email_template_id']} is: set the template ids to send through Notify"
            )
    email_via = _email_via(environ, transports, problems)
    for config in _webhooks(environ, problems):
        transport = webhook_transport(config)
        transports[transport.name] = transport
    catcher = (_given(environ, CATCHER) or "off").lower()
    if catcher in ("on", "1", "true", "yes"):
        transports["catcher-sms"] = CatcherSms()
        transports["catcher-email"] = CatcherEmail()
    elif catcher not in ("off", "0", "false", "no"):
        problems.append(f"{CATCHER}: {catcher!r} should be on or off")
    if problems:
        raise ChannelConfigError(problems)
    return Channels(transports, email_via)


_cached: Channels | None = None
_lock = threading.Lock()


def from_settings() -> Channels:
    """The channels of this process's environment, read once."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = load(os.environ)
        return _cached


def reset() -> None:
    """Forget the cached channels (tests that change the environment)."""
    global _cached
    with _lock:
        _cached = None


def _given(environ: Mapping[str, str], variable: str) -> str | None:
    value = environ.get(variable, "").strip()
    return value or None  # an empty variable (as compose files write them) is not set


def _section(
    environ: Mapping[str, str], model: type[Config], variables: dict[str, str], problems: list[str]
) -> Config | None:
    main_field, main = next(iter(variables.items()))
    values = {field: value for field, variable in variables.items() if (value := _given(environ, variable))}
    if main_field not in values:
        problems.extend(f"{variables[field]} is set, but {main} is not" for field in values)
        return None
    return _build(environ, model, values, variables, problems, secrets=_SECRETS)


def _build(
    environ: Mapping[str, str],
    model: type[Config],
    values: dict[str, str],
    variables: dict[str, str],
    problems: list[str],
    *,
    secrets: set[str],
) -> Config | None:
    try:
        return model(**values)
    except ValidationError as exc:
        main = next(iter(variables.values()))
        for error in exc.errors(include_input=False, include_url=False):
            variable = variables.get(str(error["loc"][0]), main) if error["loc"] else main
            problems.append(_problem(variable, error, environ, main, secret=variable in secrets))
        return None


def _problem(variable: str, error: ErrorDetails, environ: Mapping[str, str], main: str, *, secret: bool) -> str:
    if error["type"] == "missing":
        return f"{variable} is not set; it is needed with {main}"
    message = error["msg"].removeprefix("Value error, ")
    # Our own messages quote the value when it is not a secret; pydantic's never do.
    if error["type"] != "value_error" and not secret and (value := _given(environ, variable)):
        message = f"{value!r}: {message}"
    return f"{variable}: {message}"


def _email_via(environ: Mapping[str, str], transports: Mapping[str, Transport], problems: list[str]) -> EmailVia | None:
    chosen = (_given(environ, EMAIL_VIA) or "").lower()
    if not chosen:
        return "smtp" if "smtp" in transports else "notify" if "notify-email" in transports else None
    if chosen == "smtp":
        if "smtp" not in transports and not _given(environ, SMTP_VARIABLES["host"]):
            problems.append(f"{EMAIL_VIA} is smtp, but {SMTP_VARIABLES['host']} is not set")
        return "smtp"
    if chosen == "notify":
        if "notify-email" not in transports and not _given(environ, NOTIFY_VARIABLES["email_template_id"]):
            problems.append(
                f"{EMAIL_VIA} is notify, but {NOTIFY_VARIABLES['email_template_id']} is not set "
                f"(with {NOTIFY_VARIABLES['api_key']})"
            )
        return "notify"
    problems.append(f"{EMAIL_VIA}: {chosen!r} should be smtp or notify")
    return None


def _webhooks(environ: Mapping[str, str], problems: list[str]) -> list[WebhookConfig]:
    hooks: dict[str, str] = {}  # the variable's suffix -> the variable
    rates: dict[str, str] = {}
    for variable in sorted(environ):
        if variable.startswith(WEBHOOK_PREFIX) and _given(environ, variable):
            suffix = variable.removeprefix(WEBHOOK_PREFIX)
            if suffix.endswith(RATE_SUFFIX):
                rates[suffix.removesuffix(RATE_SUFFIX)] = variable
            else:
                hooks[suffix] = variable
    problems.extend(
        f"{variable} is set, but {WEBHOOK_PREFIX}{base} is not" for base, variable in rates.items() if base not in hooks
    )
    configs: list[WebhookConfig] = []
    named: dict[str, str] = {}
    for suffix, variable in hooks.items():
        name = suffix.lower().replace("_", "-")
        if not re.match(ID_PATTERN, name):
            problems.append(
                f"{variable}: {name!r} is not a webhook name: after {WEBHOOK_PREFIX}, use letters, digits and "
                "single '_' (CONTINGENCY_WEBHOOK_RADIOLOGY_TEAMS is the webhook radiology-teams)"
            )
            continue
        if name in named:
            problems.append(f"{variable} and {named[name]} both name the webhook {name!r}")
            continue
        named[name] = variable
        flavour, colon, url = (_given(environ, variable) or "").partition(":")
        kind = _FLAVOURS.get(flavour.strip().lower())
        if not colon or kind is None:
            problems.append(f"{variable}: should be teams:<url>, slack:<url> or json:<url>")
            continue
        values = {"name": name, "kind": kind, "url": url.strip()}
        fields = {"url": variable, "name": variable, "kind": variable}
        if rate := rates.get(suffix):
            values["rate_per_minute"] = environ[rate].strip()
            fields["rate_per_minute"] = rate
        if config := _build(environ, WebhookConfig, values, fields, problems, secrets={variable}):
            configs.append(config)
    return configs
