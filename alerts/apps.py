from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Chat alerts"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
