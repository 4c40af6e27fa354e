from django.apps import AppConfig


class DowntimeConfig(AppConfig):
    name = "contingency.downtime"
    label = "downtime"
    verbose_name = "Downtime data"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import progress, proof, transfer
        from .archive import checks

        progress.reconciliation = proof.outstanding
        progress.connect()
        transfer.register_sections()
        del checks  # the archive's configuration check registers itself on import
