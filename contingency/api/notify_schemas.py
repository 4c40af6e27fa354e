"""Shapes of the notification endpoints: an incident's call-outs, and GOV.UK Notify's callbacks.

The call-out answers are camelCase like the rest of the API. The callback bodies are Notify's own
(snake_case), and accept fields Notify may add later: refusing them would lose a receipt for good,
since Notify does not retry a callback that gets a 4xx answer.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from .incident_schemas import In, Instant, Line
from .schemas import Out

# An SMS reply is a few hundred characters at most; anything far longer is not one.
SMS_TEXT = 2000
Short = Annotated[str, StringConstraints(max_length=500)]


class CalloutMessage(Out):
    id: int
    key: str = Field(description="The idempotency key; sent to GOV.UK Notify as the message's `reference`.")
    channel: str = Field(description="sms, email, phone (a call for someone to make) or post (a webhook).")
    step: int = Field(description="The call-out's step (index into its channels) this message belongs to.")
    transport: str = Field(
        description='notify-sms, notify-email, smtp, manual, webhook:<name>; "" when none is set up.'
    )
    address: str = Field(description="The number, e-mail address, numbers to ring, or webhook name.")
    recipient_name: str
    state: str = Field(description="pending, sending, sent, failed or cancelled.")
    attempts: int
    next_attempt_at: Instant | None = Field(description="While pending: when the worker tries next.")
    sent_at: Instant | None
    provider_ref: str = Field(description="The provider's id for the message (Notify's notification id), if any.")
    last_error: str
    permanent: bool = Field(description="The failure will not pass by trying again.")
    maybe_duplicate: bool = Field(description="Sent again after a worker stopped mid-send: it may have gone twice.")
    created_at: Instant


class CalloutOut(Out):
    id: int
    event: str = Field(description="What caused it: trigger:<id>:<occurrence> or task:<task key>.")
    event_label: str
    call_tree: str
    call_tree_name: str
    position: int
    recipient: str = Field(description="The recipient's id in the plan (a person, role, supplier ...).")
    recipient_name: str
    detail: str
    level: str = Field(description="audience, deputy or escalation.")
    fallback_of: int | None = Field(description="The call-out this one stands in for, after no acknowledgement.")
    channels: list[str] = Field(description="The channels to try, in order.")
    step: int = Field(description="Index into `channels` of the one being tried.")
    channel: str = Field(description='The channel being tried; "" once every one has been.')
    round: int = Field(description="How many times it has been sent again.")
    state: str = Field(description="waiting, acknowledged, unreached or cancelled.")
    ack_within_seconds: int
    ack_due_at: Instant | None = Field(description="When the wait on this channel ends.")
    ack_due_local: str | None
    acknowledged_at: Instant | None
    acknowledged_local: str | None
    acknowledged_via: str
    ended_at: Instant | None
    end_note: str
    task: int | None = Field(description="The task to telephone them, when the channel is a call.")
    inform_task: int | None = Field(description="The inform step's task, for an inform step's call tree.")
    created_at: Instant
    messages: list[CalloutMessage]


class CalloutCounts(Out):
    waiting: int
    acknowledged: int
    unreached: int
    cancelled: int


class CalloutEvent(Out):
    event: str
    label: str
    call_tree: str
    call_tree_name: str
    started_at: Instant
    counts: CalloutCounts
    callouts: list[CalloutOut] = Field(description="The audience in order, then the fall-backs.")
    posts: list[CalloutMessage] = Field(description="Posts to the call tree's chat and JSON webhooks.")


class OutcomeIn(In):
    reached: bool = Field(description="true: they were told (an acknowledgement); false: not reached, move on.")
    note: Line = Field("", description="What was said, or why it failed.")


# ---------------------------------------------------------------- GOV.UK Notify's callbacks


class NotifyBody(Schema):
    model_config = ConfigDict(extra="ignore")


class InboundSmsIn(NotifyBody):
    id: Short = Field(description="Notify's id for the received message.")
    source_number: Short = Field(description="The number it was sent from, e.g. 447700900123.")
    destination_number: Short = Field("", description="The service's number it was sent to.")
    message: Annotated[str, StringConstraints(max_length=SMS_TEXT)] = Field(description="The text received.")
    date_received: Short = Field("", description="When Notify received it (UTC).")


class DeliveryReceiptIn(NotifyBody):
    id: Short = Field(description="Notify's id for the notification (the id it answered the send with).")
    reference: Short | None = Field(None, description="The reference sent with it: the message's key.")
    to: Short = Field("", description="The phone number or e-mail address.")
    status: Short = Field(description="delivered, permanent-failure, temporary-failure or technical-failure.")
    created_at: Short | None = None
    completed_at: Short | None = None
    sent_at: Short | None = None
    notification_type: Short = Field("", description="sms or email.")


class CallbackAnswer(Out):
    result: str = Field(description="What was done, as a stable word (acknowledged, no-match, failed, ...).")
    detail: str
