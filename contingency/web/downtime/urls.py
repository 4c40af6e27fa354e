"""URLs of the downtime record pages (mounted under o/<org>/)."""

from django.urls import URLPattern, path

from . import actions, archive, ids, views

ONE = "incidents/<int:number>/downtime/"
RECORD = ONE + "records/<int:record>/"

urlpatterns: list[URLPattern] = [
    path(ONE, views.overview, name="incident-downtime"),
    path(ONE + "worklist/", views.worklist, name="downtime-worklist"),
    path(ONE + "record/", views.choose, name="downtime-record"),
    path(ONE + "record/<slug:kind>/", views.record, name="downtime-record-kind"),
    path(ONE + "upload/", views.upload, name="downtime-upload"),
    path(ONE + "draw/", actions.draw, name="downtime-draw"),
    path(ONE + "report/", actions.report, name="downtime-report"),
    path(ONE + "archive/", archive.runs, name="downtime-archive"),
    path(ONE + "archive/check/", archive.run, name="downtime-archive-run"),
    path(ONE + "archive/runs/<int:run>/", archive.report, name="downtime-archive-report"),
    path(RECORD, views.detail, name="downtime-record-detail"),
    path(RECORD + "cd/", archive.cd, name="downtime-record-cd"),
    path(RECORD + "re-enter/", actions.reenter, name="downtime-reenter"),
    path(RECORD + "check/", actions.check, name="downtime-check"),
    path(RECORD + "resolve/", actions.resolve, name="downtime-resolve"),
    path("downtime-ids/", ids.ranges, name="downtime-ids"),
    path("downtime-ids/allocate/", ids.allocate, name="downtime-ids-allocate"),
]
