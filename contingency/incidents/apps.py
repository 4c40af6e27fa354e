from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "contingency.incidents"
    label = "incidents"
    verbose_name = "Incidents"
    default_auto_field = "django.db.models.BigAutoField"
