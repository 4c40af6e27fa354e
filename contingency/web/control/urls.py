"""URLs of the document control pages (mounted under o/<org>/)."""

from django.urls import URLPattern, path

from . import ack, approval, views

urlpatterns: list[URLPattern] = [
    path("plans/<slug:plan>/control/", views.plan_control, name="plan-control"),
    path("plans/<slug:plan>/control/submit/", views.plan_submit, name="plan-submit"),
    path("plans/<slug:plan>/approval/", approval.plan_approval, name="plan-approval"),
    path("plans/<slug:plan>/control/approve/", approval.plan_approve, name="plan-approve"),
    path("plans/<slug:plan>/control/return/", views.plan_return, name="plan-return"),
    path("plans/<slug:plan>/control/issue/", approval.plan_issue, name="plan-issue"),
    path("plans/<slug:plan>/control/review/", views.plan_review, name="plan-review"),
    path("plans/<slug:plan>/diff/", views.plan_diff, name="plan-diff"),
    path("reviews/", views.reviews, name="reviews"),
    # No log-in: the signed token is the credential (see ack.py).
    path("ack/<str:token>/", ack.holder_ack, name="holder-ack"),
]
