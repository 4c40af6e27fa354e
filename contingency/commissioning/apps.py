from django.apps import AppConfig


class CommissioningConfig(AppConfig):
    name = "contingency.commissioning"
    label = "commissioning"
    verbose_name = "Commissioners"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contingency.incidents import outstanding
        from contingency.packs import terms

        from .relaxing import outstanding_relaxations
        from .services import pack_terms

        outstanding.register("commissioning", outstanding_relaxations)
        terms.kpi_reader = pack_terms
