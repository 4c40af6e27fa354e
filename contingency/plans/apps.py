from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "contingency.plans"
    label = "plans"
    verbose_name = "Continuity plans"
