from django.apps import AppConfig


class CommissioningConfig(AppConfig):
    name = "contingency.commissioning"
    label = "commissioning"
    verbose_name = "Commissioners"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contingency.incidents import outstanding

        from .relaxing import outstanding_relaxations

        outstanding.register("commissioning", outstanding_relaxations)
