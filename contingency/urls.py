"""Every URL: pages under /o/<organisation>/, the acknowledgement links under /ack/, the public status
pages under /status/, the JSON API under /api/v1/, and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from contingency.web import offline, views
from contingency.web.commissioning import urls as commissioning
from contingency.web.compliance import urls as compliance
from contingency.web.control import urls as control
from contingency.web.downtime import urls as downtime
from contingency.web.editing import urls as editing
from contingency.web.exercises import urls as exercises
from contingency.web.incidents import urls as incidents
from contingency.web.members import urls as members
from contingency.web.notify import urls as notify
from contingency.web.overview import urls as overview
from contingency.web.packs import urls as packs
from contingency.web.plan import urls as plan
from contingency.web.probes import urls as probes
from contingency.web.status import urls as status
from contingency.web.suppliers import urls as suppliers

# Editing first: its fixed `plans/upload/` must win over the plan page's `plans/<plan>/`.
organisation_pages = [
    *editing.urlpatterns,
    *overview.urlpatterns,
    *plan.urlpatterns,
    *control.urlpatterns,
    *incidents.urlpatterns,
    *downtime.urlpatterns,
    *notify.urlpatterns,
    *status.urlpatterns,
    *packs.urlpatterns,
    *probes.urlpatterns,
    *compliance.urlpatterns,
    *commissioning.urlpatterns,
    *suppliers.urlpatterns,
    *exercises.urlpatterns,
]

admin.site.login_form = views.AdminSignInForm  # slowed down after wrong passwords like the sign-in page

urlpatterns = [
    path("", views.home, name="home"),
    # At the root, so that the worker's scope covers every page.
    path("sw.js", offline.service_worker, name="service-worker"),
    path("manifest.webmanifest", offline.manifest, name="web-manifest"),
    # Browsers ask for /favicon.ico whatever the page says: the site's icon.
    path("favicon.ico", offline.favicon, name="favicon"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("o/<slug:org>/", include(organisation_pages)),
    path("", include(members.urlpatterns)),
    path("", include(notify.public)),  # ack/<signed>/: acknowledgement links, no log-in
    path("", include(status.public_urls)),  # status/<org>/: the public status page, no log-in
    path("api/", include("contingency.api.urls")),
    path("admin/", admin.site.urls),
]
