"""Call-outs (one person to reach for one event), the outbox of messages, delivery attempts, pacing.

A Callout is the cascade's state for one recipient: which channel it is on, when the wait for an
acknowledgement ends (a durable timer the worker polls), and how it ended. Each message it sends is
a Notification row (the outbox), written in the transaction of the event; the delivery worker claims
rows, sends them and records every Attempt, so a send interrupted by a crash stays visible.
"""

from __future__ import annotations

from django.db import models

from contingency.core.models import LineField, Organisation, ProseField
from contingency.incidents.models import Incident, Task
from contingency.plans.models import KEY_LENGTH


class Level(models.IntegerChoices):
    AUDIENCE = 0, "audience"
    DEPUTY = 1, "deputy"
    ESCALATION = 2, "escalation"


class CalloutState(models.TextChoices):
    WAITING = "waiting", "waiting for acknowledgement"
    ACKNOWLEDGED = "acknowledged"
    UNREACHED = "unreached", "not reached"
    CANCELLED = "cancelled"


class Callout(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="callouts")
    event = models.CharField(max_length=200, help_text="What caused it, e.g. trigger:tp1:0 or task:<task key>.")
    event_label = LineField()
    call_tree = models.CharField(max_length=KEY_LENGTH)
    call_tree_name = LineField()
    position = models.PositiveIntegerField(help_text="Order within the event: audience order, then fall-backs.")
    recipient_key = models.CharField(max_length=KEY_LENGTH)
    recipient_name = LineField()
    detail = LineField(blank=True, default="")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.AUDIENCE)
    fallback_of = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    addresses = models.JSONField(default=dict, help_text="Channel -> address: sms, email, phone (list of numbers).")
    channels = models.JSONField(default=list, help_text="The channels to try, in order, that this recipient has.")
    step = models.PositiveSmallIntegerField(default=0, help_text="Index into channels of the one being tried.")
    round = models.PositiveSmallIntegerField(default=0, help_text="How many times the lead has sent it again.")
    ack_within_seconds = models.PositiveIntegerField()
    deputies = models.BooleanField(default=True)
    state = models.CharField(max_length=16, choices=CalloutState.choices, default=CalloutState.WAITING)
    ack_due_at = models.DateTimeField(null=True, blank=True, help_text="When the wait on this channel ends.")
    ack_token = models.CharField(max_length=64, unique=True)
    ack_code = models.CharField(max_length=12, unique=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_via = LineField(blank=True, default="")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_note = LineField(blank=True, default="")
    subject = LineField()
    body = ProseField()
    short = ProseField()
    task = models.ForeignKey(Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    inform_task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="callouts", help_text="The inform step."
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("incident_id", "event", "position")
        constraints = [
            # Never the same person twice for the same event: a deputy already on the list is not added again.
            models.UniqueConstraint(fields=("incident", "event", "recipient_key"), name="notify_callout_once"),
        ]
        indexes = [models.Index(fields=("state", "ack_due_at"), name="notify_callout_due")]

    def __str__(self) -> str:
        return f"{self.recipient_name} for {self.event_label}"

    @property
    def channel(self) -> str:
        return str(self.channels[self.step]) if self.step < len(self.channels) else ""


class NotificationState(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class MessageKind(models.TextChoices):
    """What a message is for: an incident's call-out or channel post, or the status page's e-mails."""

    INCIDENT = "incident"
    STATUS_CONFIRMATION = "status-confirmation", "status page: confirm a subscription"
    STATUS_UPDATE = "status-update", "status page: an update to a subscriber"
    PACK_NOTICE = "pack-notice", "grab pack: a new issue, to a copy holder"
    INVITATION = "invitation", "an invitation to join the organisation"


class Notification(models.Model):
    """One message to one address over one transport: the outbox row the delivery worker sends.

    An incident's messages have an incident; the others (the status page's e-mails, a grab pack's notice to a
    copy holder, by their kind) have only an organisation.
    """

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+", help_text="Without incident."
    )
    kind = models.CharField(max_length=24, choices=MessageKind.choices, default=MessageKind.INCIDENT)
    callout = models.ForeignKey(Callout, on_delete=models.CASCADE, null=True, blank=True, related_name="messages")
    key = models.CharField(max_length=255, unique=True, help_text="Idempotency key: event, recipient, channel.")
    channel = models.CharField(max_length=16, help_text="sms, email, phone or post.")
    step = models.PositiveSmallIntegerField(default=0, help_text="The call-out's step this message belongs to.")
    round = models.PositiveSmallIntegerField(default=0, help_text="The call-out's resend round it belongs to.")
    transport = models.CharField(max_length=80, help_text="The configured transport, e.g. smtp or notify-sms.")
    address = LineField()
    recipient_name = LineField()
    subject = LineField()
    body = ProseField()
    short = ProseField()
    link = models.CharField(max_length=500, blank=True, default="")
    ack_link = models.CharField(max_length=500, blank=True, default="")
    state = models.CharField(max_length=16, choices=NotificationState.choices, default=NotificationState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    not_before = models.DateTimeField(null=True, blank=True, help_text="The rate-limit slot of the current attempt.")
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_ref = models.CharField(max_length=200, blank=True, default="", db_index=True)
    last_error = ProseField(blank=True, default="")
    permanent = models.BooleanField(default=False)
    maybe_duplicate = models.BooleanField(
        default=False, help_text="Resent after a worker stopped mid-send: the first send may have gone out too."
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("incident_id", "created_at", "id")
        indexes = [models.Index(fields=("transport", "state", "next_attempt_at"), name="notify_outbox_due")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient_name}"


class Outcome(models.TextChoices):
    SENT = "sent"
    TEMPORARY = "temporary", "temporary failure"
    PERMANENT = "permanent", "permanent failure"
    INTERRUPTED = "interrupted", "worker stopped before recording the outcome"
    ABANDONED = "abandoned", "worker stopped before sending it"


class Attempt(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    worker = models.CharField(max_length=64)
    claimed_at = models.DateTimeField()
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="Set just before the transport was called: the send may have gone out."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    error = ProseField(blank=True, default="")

    class Meta:
        ordering = ("notification_id", "number")
        constraints = [models.UniqueConstraint(fields=("notification", "number"), name="notify_attempt_once")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.notification_id}"


class ChannelPace(models.Model):
    """The next free send slot of one rate group (transports sharing a limit), shared by every worker:
    claims lock this row."""

    transport = models.CharField(max_length=80, unique=True, help_text="The rate group: usually the transport.")
    next_slot_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.transport


class CaughtMessage(models.Model):
    """A text or e-mail the demo's catcher kept instead of sending (CONTINGENCY_CATCHER=on).

    `key` is the outbox row's idempotency key: a resend after a crash is the same caught message, and the page
    finds the organisation through the outbox row.
    """

    key = models.CharField(max_length=255, unique=True)
    channel = models.CharField(max_length=16, help_text="sms or email.")
    address = LineField()
    recipient = LineField()
    subject = LineField()
    body = ProseField()
    link = models.CharField(max_length=500, blank=True, default="")
    ack_link = models.CharField(max_length=500, blank=True, default="")
    caught_at = models.DateTimeField()

    class Meta:
        ordering = ("-caught_at", "-id")

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient}"
