"""The JSON API's URLs: version 1 under /api/v1/ (built in contingency.api.main)."""

from django.urls import URLPattern, URLResolver, path

from .main import api

urlpatterns: list[URLPattern | URLResolver] = [path("v1/", api.urls)]
