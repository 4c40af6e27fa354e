from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "contingency.suppliers"
    label = "suppliers"
    verbose_name = "Suppliers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contingency.packs import terms

        from . import hooks, services

        hooks.connect()
        terms.supplier_reader = services.pack_terms
