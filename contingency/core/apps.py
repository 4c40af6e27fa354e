from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "contingency.core"
    label = "core"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
