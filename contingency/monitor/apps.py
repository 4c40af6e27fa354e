from django.apps import AppConfig


class MonitorConfig(AppConfig):
    name = "contingency.monitor"
    label = "monitor"
    verbose_name = "Probes"
    default_auto_field = "django.db.models.BigAutoField"
