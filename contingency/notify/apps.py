from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "contingency.notify"
    label = "notify"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, hooks, transfer

        hooks.connect()
        transfer.register_sections()
        del checks  # registered on import
