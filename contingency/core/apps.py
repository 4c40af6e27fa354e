from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "contingency.core"
    label = "core"
    verbose_name = "Organisations"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import (
            checks,  # noqa: F401  (registers the system checks)
            signin,
        )

        user_login_failed.connect(signin.on_failure, dispatch_uid="contingency-signin-failure")
        user_logged_in.connect(signin.on_success, dispatch_uid="contingency-signin-success")
