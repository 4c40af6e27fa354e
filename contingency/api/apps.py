from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "contingency.api"
    label = "api"
    verbose_name = "JSON API"
