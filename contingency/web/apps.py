from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "contingency.web"
    label = "web"
    verbose_name = "Pages"
