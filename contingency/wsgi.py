"""The WSGI application: Django, with the public status page's edge in front of it (contingency/status/serving.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")
django_application = get_wsgi_application()

from contingency.status.serving import StatusEdge  # noqa: E402  (after Django is set up)

application = StatusEdge(django_application)
