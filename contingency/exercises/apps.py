from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "contingency.exercises"
    label = "exercises"
    verbose_name = "Exercises"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import transfer

        transfer.register_sections()
