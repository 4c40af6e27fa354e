from django.apps import AppConfig


class MirrorConfig(AppConfig):
    name = "contingency.mirror"
    label = "mirror"
    verbose_name = "Laptop copies"
    default_auto_field = "django.db.models.BigAutoField"
