"""URLs of the incident pages (mounted under o/<org>/)."""

from django.urls import URLPattern, path

from . import actions, followup, lead, mine, views

ONE = "incidents/<int:number>/"

urlpatterns: list[URLPattern] = [
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/report/", views.report, name="incident-report"),
    path(ONE, views.incident, name="incident"),
    path(ONE + "live/", views.live_region, name="incident-live"),
    path(ONE + "mine/", mine.mine, name="incident-mine"),
    path(ONE + "assess/", actions.assess_again, name="incident-assess"),
    path(ONE + "invoke/", actions.invoke, name="incident-invoke"),
    path(ONE + "close/", actions.close, name="incident-close"),
    path(ONE + "tasks/add/", actions.add_task, name="incident-task-add"),
    path(ONE + "tasks/<int:task>/", actions.task, name="incident-task"),
    path(ONE + "tasks/<int:task>/group/", actions.task_group, name="incident-task-group"),
    path(ONE + "targets/<int:target>/told/", actions.told, name="incident-told"),
    path(ONE + "updates/", actions.update, name="incident-update"),
    path(ONE + "restore/", actions.restore, name="incident-restore"),
    path(ONE + "stand-down/", actions.stand_down, name="incident-stand-down"),
    path(ONE + "handover/", followup.handover, name="incident-handover"),
    path(ONE + "handover/record/", followup.hand_over, name="incident-hand-over"),
    path(ONE + "handover/<int:pk>/", followup.handover_record, name="incident-handover-record"),
    path(ONE + "roles/", lead.lead_page, name="incident-lead"),
    path(ONE + "roles/ask/", lead.ask, name="incident-lead-ask"),
    path(ONE + "roles/requests/<int:pk>/", lead.answer, name="incident-lead-answer"),
    path(ONE + "roles/<str:which>/", lead.change, name="incident-lead-change"),
    path(ONE + "briefing/", followup.briefing, name="incident-briefing"),
    path(ONE + "briefing/publish/", followup.publish_briefing, name="incident-briefing-publish"),
    path(ONE + "review/", followup.review_page, name="incident-review"),
    path(ONE + "review/save/", followup.save_review, name="incident-review-save"),
    path(ONE + "review/actions/", followup.review_action, name="incident-review-action"),
    path(ONE + "review/actions/<int:pk>/done/", followup.review_action_done, name="incident-review-action-done"),
]
