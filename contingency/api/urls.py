"""The JSON API's URLs (built in contingency.api)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
