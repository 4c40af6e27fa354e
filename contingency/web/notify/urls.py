"""URLs of the notification pages: the incident lead's actions and the preview under o/<org>/, and the
public acknowledgement page at the site's root (links.ACK_PATH)."""

from django.urls import URLPattern, path

from . import ack, actions, caught, views

CALLOUT = "incidents/<int:number>/callouts/<int:callout>/"

urlpatterns: list[URLPattern] = [
    path(CALLOUT + "resend/", actions.resend, name="callout-resend"),
    path(CALLOUT + "call/", actions.record_call, name="callout-call"),
    path("plans/<slug:plan>/messages/", views.plan_messages, name="plan-messages"),
    path("caught/", caught.caught, name="caught-messages"),
]

# No log-in: the signed link is the credential (see ack.py). The path must match links.ACK_PATH.
public: list[URLPattern] = [
    path("ack/<str:signed>/", ack.callout_ack, name="callout-ack"),
]
