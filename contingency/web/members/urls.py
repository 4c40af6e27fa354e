"""URLs of the member, audit and account pages (mounted at the site root)."""

from django.urls import URLPattern, path

from . import invite, settings, views

urlpatterns: list[URLPattern] = [
    path("o/<slug:org>/members/", views.members, name="members"),
    path("o/<slug:org>/audit/", views.audit_log, name="audit-log"),
    path("o/<slug:org>/settings/", settings.organisation_settings, name="organisation-settings"),
    path("o/<slug:org>/history/<str:object_type>/<path:key>/", views.history, name="history"),
    path("account/", views.account, name="account"),
    # No log-in: the signed link is the credential. The path must match notify.invitations.INVITE_PATH.
    path("invite/<str:signed>/", invite.accept, name="invite-accept"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("account/tokens/", views.token_create, name="token-create"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
