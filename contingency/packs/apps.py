from django.apps import AppConfig


class PacksConfig(AppConfig):
    name = "contingency.packs"
    label = "packs"
    verbose_name = "Grab packs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import hooks

        hooks.connect()
