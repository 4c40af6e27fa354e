from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "contingency.status"
    label = "status"
    verbose_name = "Status page"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, hooks

        hooks.connect()
        del checks  # registered on import
